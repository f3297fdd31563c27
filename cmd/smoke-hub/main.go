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
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

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
	host, web, ice, token, origins, logLevel, logFormat string
	port, maxConns, burst                               int
	maxMessage                                          int64
	rate                                                float64
	grace                                               time.Duration
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
	fs.IntVar(&c.maxConns, "max-connections", 20000, "most nodes connected at once")
	fs.Int64Var(&c.maxMessage, "max-message-size", 64<<10, "largest message in bytes")
	fs.Float64Var(&c.rate, "rate", 200, "messages per second allowed per connection")
	fs.IntVar(&c.burst, "burst", 400, "burst of messages allowed per connection")
	fs.DurationVar(&c.grace, "grace", 30*time.Second, "how long a dropped node keeps its address and hostnames for a resume")
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

	opts := &server.Options{
		MaxMessageSize: c.maxMessage,
		Rate:           c.rate,
		Burst:          c.burst,
		MaxConnections: c.maxConns,
		Token:          c.token,
		Grace:          c.grace,
		Logger:         logger,
	}
	if c.origins != "" {
		for _, o := range strings.Split(c.origins, ",") {
			if o = strings.TrimSpace(o); o != "" {
				opts.AllowedOrigins = append(opts.AllowedOrigins, o)
			}
		}
	}
	if c.ice != "" {
		servers, err := readICE(c.ice)
		if err != nil {
			return err
		}
		opts.ICEServers = servers
	}
	hubServer := server.New(opts)

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", server.MetricsContentType)
		hubServer.WriteMetrics(w)
		writeGoMetrics(w)
	})
	var static http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "smoke-hub: connect with a WebSocket (see pkg/hub/PROTOCOL.md)", http.StatusNotFound)
	})
	if c.web != "" {
		if st, err := os.Stat(c.web); err != nil || !st.IsDir() {
			return fmt.Errorf("--web %q is not a folder", c.web)
		}
		static = http.FileServer(http.Dir(c.web))
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
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	addr := ln.Addr().(*net.TCPAddr)
	logger.Info("smoke-hub listening", "addr", addr.String(), "web", c.web, "ice_servers", len(opts.ICEServers))
	// One plain line on stdout for scripts and tests that start the hub on port 0.
	fmt.Fprintf(stdout, "smoke-hub listening on http://%s\n", hostForURL(addr))

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		hubServer.Close()
		return err
	case <-ctx.Done():
	}
	logger.Info("smoke-hub shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Shutdown stops new connections and waits for plain requests; hub connections are hijacked, so the hub closes
	// them itself (close code 1001).
	hubServer.Close()
	err = srv.Shutdown(shutdownCtx)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
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
