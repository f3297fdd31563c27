// Command smoke-hub runs a Smoke signalling hub: nodes connect to it over WebSocket to get an address and ICE
// configuration, to exchange WebRTC signalling with other nodes, and to register and look up hostnames. The
// protocol is pkg/hub/PROTOCOL.md.
//
//	smoke-hub --port 5000 [--host 0.0.0.0] [--ice ice.json] [--web ./site] [--token SECRET] …
//
// Every flag can also come from the environment as SMOKE_HUB_<FLAG> (upper case, dashes as underscores), e.g.
// SMOKE_HUB_PORT=5000; a flag on the command line wins. Endpoints: the WebSocket hub at / (any path, for upgrade
// requests), GET /healthz, GET /metrics (Prometheus text format), and with --web the static files of that folder
// for every other request.
package main

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/smokenet/smoke/pkg/hub"
	"github.com/smokenet/smoke/pkg/hub/server"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "smoke-hub:", err)
		}
		os.Exit(2)
	}
}

// config is everything the flags set.
type config struct {
	host, web, ice, token, origins, logLevel, logFormat, metricsAddr string
	port                                                             int
	limits                                                           server.Options // the limits the flags set

	nats, natsPrefix string
	natsReplicas     int
	lease            time.Duration

	turn                          bool
	turnPort                      int
	turnIP, turnSecret, turnPorts string
	turnTTL                       time.Duration
	turnAllowPrivate              bool
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	var c config
	fs := flag.NewFlagSet("smoke-hub", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&c.port, "port", 5000, "TCP port to listen on (0 picks a free one)")
	fs.StringVar(&c.host, "host", "", "address to listen on (default: all interfaces)")
	fs.StringVar(&c.ice, "ice", "", "JSON file of ICE servers handed to nodes: [{\"urls\":[…],\"username\":…,\"credential\":…}] or {\"iceServers\":[…]}")
	fs.StringVar(&c.web, "web", "", "folder of static files to serve for non-WebSocket requests")
	fs.StringVar(&c.token, "token", "", "shared secret nodes must present (?token=)")
	fs.StringVar(&c.origins, "allowed-origins", "", "comma-separated origin host patterns allowed to connect (default: any)")
	fs.StringVar(&c.metricsAddr, "metrics-addr", "", "serve /metrics on this address only (e.g. 127.0.0.1:9090), without the token")
	fs.StringVar(&c.nats, "nats", "", "join a cluster of hubs over NATS (JetStream): comma-separated nats:// URLs of its servers")
	fs.StringVar(&c.natsPrefix, "nats-prefix", "smoke", "subject and KV bucket prefix; the hubs of one cluster share it")
	fs.IntVar(&c.natsReplicas, "nats-replicas", 0, "replicas of the cluster's KV buckets (default 3, or 1 on a single NATS server)")
	fs.DurationVar(&c.lease, "lease", server.DefaultLease, "cluster hostname lease: a dead hub's hostnames are free after it")
	fs.BoolVar(&c.turn, "turn", false, "run a TURN relay (UDP --turn-port) and hand each node credentials for it")
	fs.IntVar(&c.turnPort, "turn-port", 3478, "UDP port of the TURN relay (0 picks a free one)")
	fs.StringVar(&c.turnIP, "turn-ip", "", "public IP of this host for relayed traffic (default: --host, if it is an IP)")
	fs.StringVar(&c.turnSecret, "turn-secret", "", "TURN REST shared secret: of --turn (default: random), or of the turn: servers in --ice (coturn's static-auth-secret)")
	fs.DurationVar(&c.turnTTL, "turn-ttl", server.DefaultTURNTTL, "how long TURN credentials stay valid")
	fs.StringVar(&c.turnPorts, "turn-relay-ports", "49152-65535", "UDP port range of relays")
	fs.BoolVar(&c.turnAllowPrivate, "turn-allow-private", false, "let the relay send to private, loopback and link-local addresses (tests on one host)")
	l := &c.limits
	fs.IntVar(&l.MaxConnections, "max-connections", 0, "most nodes connected at once (default: derived from the file-descriptor limit)")
	fs.IntVar(&l.MaxSessions, "max-sessions", 0, "most sessions, connected or waiting for a resume (default: --max-connections)")
	fs.IntVar(&l.MaxConnectionsPerIP, "max-connections-per-ip", server.DefaultMaxConnectionsPerIP, "most sessions from one IP address (IPv6: /64); -1 for no limit")
	fs.Int64Var(&l.MaxMessageSize, "max-message-size", server.DefaultMaxMessageSize, "largest message in bytes")
	fs.Float64Var(&l.Rate, "rate", server.DefaultRate, "messages per second allowed per node")
	fs.IntVar(&l.Burst, "burst", server.DefaultBurst, "burst of messages allowed per node")
	fs.DurationVar(&l.Grace, "grace", server.DefaultGrace, "how long a dropped node keeps its address and hostnames for a resume")
	fs.IntVar(&l.QueueSize, "queue-size", server.DefaultQueueSize, "most messages waiting for one node")
	fs.Int64Var(&l.QueueBytes, "queue-bytes", server.DefaultQueueBytes, "most bytes waiting for one node")
	fs.Int64Var(&l.QueueBytesPerIP, "queue-bytes-per-ip", server.DefaultQueueBytesPerIP, "most bytes waiting for the nodes of one IP address")
	fs.Int64Var(&l.MaxQueuedBytes, "max-queued-bytes", server.DefaultMaxQueuedBytes, "most bytes waiting in the whole hub")
	fs.IntVar(&l.MaxHeaderBytes, "max-header-bytes", server.DefaultMaxHeaderBytes, "largest HTTP request header")
	fs.DurationVar(&l.HeaderTimeout, "header-timeout", server.DefaultHeaderTimeout, "time allowed for an HTTP request header to arrive")
	fs.DurationVar(&l.IdleTimeout, "idle-timeout", server.DefaultIdleTimeout, "how long an idle HTTP keep-alive connection stays open")
	fs.IntVar(&l.MaxHTTPConnections, "max-http-connections", 0, "most connections that are not hub connections (default: derived from the file-descriptor limit)")
	fs.IntVar(&l.MaxHTTPConnectionsPerIP, "max-http-connections-per-ip", server.DefaultMaxHTTPConnectionsPerIP, "most such connections from one IP address")
	fs.StringVar(&c.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&c.logFormat, "log-format", "text", "text or json")

	// The environment fills flags first, so the command line overrides it.
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		name := "SMOKE_HUB_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(name); ok && envErr == nil {
			if err := f.Value.Set(v); err != nil {
				envErr = fmt.Errorf("%s=%q: %w", name, v, err)
			}
		}
	})
	if envErr != nil {
		return nil, envErr
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	return &c, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	hopts := &slog.HandlerOptions{Level: level}
	var logger *slog.Logger
	switch c.logFormat {
	case "text":
		logger = slog.New(slog.NewTextHandler(stderr, hopts))
	case "json":
		logger = slog.New(slog.NewJSONHandler(stderr, hopts))
	default:
		return fmt.Errorf("--log-format must be text or json, not %q", c.logFormat)
	}

	opts := &c.limits
	opts.Token = c.token
	opts.Logger = logger
	if c.origins != "" {
		for _, o := range strings.Split(c.origins, ",") {
			if o = strings.TrimSpace(o); o != "" {
				opts.AllowedOrigins = append(opts.AllowedOrigins, o)
			}
		}
	}
	if err := checkLimits(opts); err != nil {
		return err
	}
	if c.ice != "" {
		servers, err := readICE(c.ice)
		if err != nil {
			return err
		}
		opts.ICEServers = servers
	}
	relay, err := setupTURN(c, opts, logger)
	if err != nil {
		return err
	}
	if relay != nil {
		defer relay.Close()
	}
	hubServer := server.New(opts)
	if c.nats != "" {
		nc, err := nats.Connect(c.nats, nats.Name("smoke-hub"), nats.MaxReconnects(-1), nats.ReconnectWait(250*time.Millisecond))
		if err != nil {
			return fmt.Errorf("--nats: %w", err)
		}
		defer nc.Close()
		if err := hubServer.JoinCluster(&server.ClusterOptions{Conn: nc, Prefix: c.natsPrefix, Replicas: c.natsReplicas, Lease: c.lease}); err != nil {
			return err
		}
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	metrics := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", server.MetricsContentType)
		hubServer.WriteMetrics(w)
		if relay != nil {
			writeTURNMetrics(w, relay.Stats())
		}
		writeGoMetrics(w)
	})
	if c.metricsAddr == "" {
		// On the public port, the metrics (how many nodes, how much traffic, which limits fire) are for whoever
		// holds the token, when there is one.
		mux.Handle("GET /metrics", requireToken(c.token, metrics))
	}
	var static http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "smoke-hub: connect with a WebSocket (see pkg/hub/PROTOCOL.md)", http.StatusNotFound)
	})
	if c.web != "" {
		if st, err := os.Stat(c.web); err != nil || !st.IsDir() {
			return fmt.Errorf("--web %q is not a folder", c.web)
		}
		static = newStaticFiles(c.web)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if isWebSocket(r) {
			hubServer.ServeHTTP(w, r)
			return
		}
		static.ServeHTTP(w, r)
	})

	ln, err := net.Listen("tcp", net.JoinHostPort(c.host, strconv.Itoa(c.port)))
	if err != nil {
		return err
	}
	served := make(chan error, 2)
	if c.metricsAddr != "" {
		mln, err := net.Listen("tcp", c.metricsAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("--metrics-addr: %w", err)
		}
		mmux := http.NewServeMux()
		mmux.Handle("GET /metrics", metrics)
		logger.Info("smoke-hub metrics", "addr", mln.Addr().String())
		go func() { served <- hubServer.Serve(mln, mmux) }()
	}
	addr := ln.Addr().(*net.TCPAddr)
	logger.Info("smoke-hub listening", "addr", addr.String(), "web", c.web, "ice_servers", len(opts.ICEServers))
	// One plain line on stdout for scripts and tests that start the hub on port 0.
	fmt.Fprintf(stdout, "smoke-hub listening on http://%s\n", hostForURL(addr))

	go func() { served <- hubServer.Serve(ln, mux) }()
	select {
	case err := <-served:
		hubServer.Close()
		return err
	case <-ctx.Done():
	}
	logger.Info("smoke-hub shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Nodes get close code 1001; plain requests in progress may finish.
	return hubServer.Shutdown(shutdownCtx)
}

// checkLimits refuses limits that cannot work, and says where the connection limits come from: an operator
// should know when the file-descriptor limit, not a flag, decides how many nodes the hub takes.
func checkLimits(o *server.Options) error {
	if o.MaxMessageSize < 0 || o.Rate < 0 || o.Burst < 0 || o.QueueSize < 0 || o.QueueBytes < 0 ||
		o.QueueBytesPerIP < 0 || o.MaxQueuedBytes < 0 || o.MaxHeaderBytes < 0 || o.MaxConnections < 0 ||
		o.MaxSessions < 0 || o.MaxHTTPConnections < 0 || o.MaxHTTPConnectionsPerIP < 0 || o.Grace < 0 ||
		o.HeaderTimeout < 0 || o.IdleTimeout < 0 {
		return errors.New("limits must not be negative (only --max-connections-per-ip takes -1, for none)")
	}
	for _, p := range o.AllowedOrigins {
		if _, err := path.Match(p, ""); err != nil {
			return fmt.Errorf("--allowed-origins: bad pattern %q: %w", p, err)
		}
	}
	lim := server.DefaultLimits()
	derived := o.MaxConnections == 0 || o.MaxHTTPConnections == 0
	if o.MaxConnections == 0 {
		o.MaxConnections = lim.MaxConnections
	}
	if o.MaxHTTPConnections == 0 {
		o.MaxHTTPConnections = lim.MaxHTTPConnections
	}
	switch {
	case derived && lim.FileDescriptors > 0:
		o.Logger.Info("smoke-hub connection limits derived from the file-descriptor limit (ulimit -n)",
			"nofile", lim.FileDescriptors, "max_connections", o.MaxConnections, "max_http_connections", o.MaxHTTPConnections)
	case derived:
		o.Logger.Info("smoke-hub connection limits: file-descriptor limit unknown, using defaults",
			"max_connections", o.MaxConnections, "max_http_connections", o.MaxHTTPConnections)
	}
	if n := lim.FileDescriptors; n > 0 && o.MaxConnections+o.MaxHTTPConnections > n {
		o.Logger.Warn("smoke-hub: --max-connections plus --max-http-connections exceed the file-descriptor limit; at the limit new connections time out instead of getting 503",
			"nofile", n, "max_connections", o.MaxConnections, "max_http_connections", o.MaxHTTPConnections)
	}
	return nil
}

// requireToken lets a request through only with the token, as `Authorization: Bearer <token>` or `?token=`, when
// there is one.
func requireToken(token string, h http.Handler) http.Handler {
	if token == "" {
		return h
	}
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := r.URL.Query().Get("token")
		if b, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			got = b
		}
		h2 := sha256.Sum256([]byte(got))
		if subtle.ConstantTimeCompare(h2[:], want[:]) != 1 {
			http.Error(w, "smoke-hub: metrics need the token", http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func isWebSocket(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// hostForURL turns a listening address into one a local client can dial: an unspecified host becomes loopback.
func hostForURL(a *net.TCPAddr) string {
	if a.IP == nil || a.IP.IsUnspecified() {
		return net.JoinHostPort("127.0.0.1", strconv.Itoa(a.Port))
	}
	return a.String()
}

// readICE reads ICE servers from a JSON file: either a bare array or an RTCConfiguration-shaped object.
func readICE(path string) ([]hub.ICEServer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--ice: %w", err)
	}
	var servers []hub.ICEServer
	if err := json.Unmarshal(b, &servers); err != nil {
		var cfg hub.Configuration
		if err2 := json.Unmarshal(b, &cfg); err2 != nil {
			return nil, fmt.Errorf("--ice %s: want [{\"urls\":[…]}] or {\"iceServers\":[…]}: %w", path, err)
		}
		servers = cfg.ICEServers
	}
	for i, s := range servers {
		if len(s.URLs) == 0 {
			return nil, fmt.Errorf("--ice %s: server %d has no urls", path, i)
		}
	}
	return servers, nil
}

// writeGoMetrics adds the Go runtime's gauges under the names Prometheus' Go client uses, so that memory per
// connection can be split into heap and goroutine stacks (internal/cmd/smoke-bench reads them).
func writeGoMetrics(w io.Writer) {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	fmt.Fprintf(w, "# HELP go_goroutines Number of goroutines that currently exist.\n# TYPE go_goroutines gauge\ngo_goroutines %d\n", runtime.NumGoroutine())
	for _, g := range []struct {
		name, help string
		v          uint64
	}{
		{"heap_inuse_bytes", "Number of heap bytes that are in use.", m.HeapInuse},
		{"stack_inuse_bytes", "Number of bytes in use by the stack allocator.", m.StackInuse},
		{"sys_bytes", "Number of bytes obtained from system.", m.Sys},
	} {
		fmt.Fprintf(w, "# HELP go_memstats_%s %s\n# TYPE go_memstats_%s gauge\ngo_memstats_%s %d\n", g.name, g.help, g.name, g.name, g.v)
	}
}
