package server

import (
	"log/slog"
	"time"

	"github.com/smokenet/smoke/pkg/hub"
	"github.com/smokenet/smoke/pkg/hub/internal/wire"
)

// Options configures a Server. The zero value, or a nil *Options, is a working configuration: every zero field takes
// the default written beside it, which matches PROTOCOL.md's "Limits" section.
type Options struct {
	// ICEServers are passed to every node in its binding.
	ICEServers []hub.ICEServer

	// MaxMessageSize is the largest message, in bytes, a node may send; a larger one closes its connection with 1009.
	// Default 64 KiB.
	MaxMessageSize int64

	// Rate and Burst shape the per-connection token bucket: every message and every ping a node sends takes one
	// token. A node that runs dry is closed with 1008 "rate limit exceeded". Defaults 200 per second, burst 400.
	Rate  float64
	Burst int

	// MaxConnections bounds the open WebSocket connections (including ones still binding); further upgrade requests
	// are answered with HTTP 503. Default: derived from the process's file-descriptor limit (DefaultLimits).
	MaxConnections int

	// MaxSessions bounds the sessions alive at once: connected nodes plus dropped ones waiting for a resume. A new
	// node beyond it gets HTTP 503 (a resume is always let in). Default MaxConnections.
	MaxSessions int

	// MaxConnectionsPerIP bounds the sessions (connected or waiting for a resume) whose node connected from one IP
	// address (IPv6: one /64). A new node from an address at the limit ends that address's oldest session waiting
	// for a resume, or, if none waits, gets HTTP 503. Default 256: room for a school or an office behind one NAT.
	// Negative: no limit (a hub behind a reverse proxy sees every node come from the proxy's address).
	MaxConnectionsPerIP int

	// AllowedOrigins lists the origins (host patterns as path.Match takes them; see checkOrigin in origin.go)
	// whose pages may connect; others get HTTP 403. The request's own host is always allowed. Empty allows any
	// origin, which is what a public hub serving pages from anywhere wants.
	AllowedOrigins []string

	// Token, when set, is a shared secret every node must present as the `token` query parameter; a missing or
	// wrong one gets HTTP 403. It is compared in constant time.
	Token string

	// Grace is how long a session whose connection dropped waits for a resume before it ends and its hostnames are
	// released. Default 30 s.
	Grace time.Duration

	// QueueSize bounds the messages waiting to be written to one node (and, while its connection is down, waiting
	// for its resume). A forward to a full queue is answered with undeliverable "recipient busy". Default 256.
	QueueSize int

	// QueueBytes bounds the bytes waiting for one node, QueueBytesPerIP those waiting for all the nodes of one IP
	// address (as MaxConnectionsPerIP counts them), and MaxQueuedBytes those waiting in the whole hub, resumable
	// sessions included; beyond MaxQueuedBytes only nodes of addresses holding less than QueueBytes may still
	// queue, up to twice MaxQueuedBytes, so that many full addresses cannot lock out the rest. A forward over any
	// of them is answered with undeliverable "recipient busy". Defaults
	// 512 KiB, 4 MiB and 256 MiB; each is raised to fit at least the one before it, and QueueBytes to fit two
	// messages of MaxMessageSize. Every message counts queueOverhead bytes more than its length.
	QueueBytes      int64
	QueueBytesPerIP int64
	MaxQueuedBytes  int64

	// Registry holds hostname leases. Default: an in-memory registry private to this Server (NewMemoryRegistry).
	Registry Registry

	// Logger receives one line per refused or closed-for-cause connection, and debug lines for ordinary ones.
	// Default: discard. The hub binary passes its own; an embedding program decides where hub logs go.
	Logger *slog.Logger

	// KeepAlive is how often an otherwise silent connection is pinged; one that does not answer within half of it
	// is treated as dropped (its session waits Grace for a resume). Default 30 s; negative disables pings.
	KeepAlive time.Duration

	// MessageTimeout bounds writing one message to a node, and reading the rest of a message once its first frame
	// arrived. A connection that is slower is treated as dropped. Default 10 s.
	MessageTimeout time.Duration

	// TURN, when set, adds to every node's binding a TURN server with credentials of its own for that node (see
	// package turn): the embedded relay of smoke-hub --turn, or an external one such as coturn with
	// use-auth-secret.
	TURN *TURNOptions

	// The limits below apply to the connections Serve accepts, before they become hub connections or while they
	// are plain HTTP (health checks, metrics, static files). A program that runs its own http.Server with
	// ServeHTTP must set the equivalents itself (MaxHeaderBytes, ReadHeaderTimeout, IdleTimeout).

	// MaxHeaderBytes bounds an HTTP request's header, upgrade requests included; a larger one gets 431 and the
	// connection is closed. Default 8 KiB.
	MaxHeaderBytes int

	// HeaderTimeout bounds the time from a connection's first byte (or its last response) until the request's
	// header has arrived whole. Default 5 s.
	HeaderTimeout time.Duration

	// IdleTimeout closes a plain HTTP keep-alive connection that has not sent a request for that long. Default 30 s.
	IdleTimeout time.Duration

	// MaxHTTPConnections bounds the accepted connections that are not (yet) hub connections: upgrade requests
	// being read, plain HTTP requests, idle keep-alive connections. At the limit a new connection makes room by
	// closing the longest idle keep-alive connection, or, if none is idle, gets HTTP 503 at once.
	// MaxHTTPConnectionsPerIP is the same limit for one IP address (IPv6: one /64), without the making room.
	// Defaults: DefaultLimits, and 64.
	MaxHTTPConnections      int
	MaxHTTPConnectionsPerIP int
}

// TURNOptions are the TURN servers whose credentials the hub hands out.
type TURNOptions struct {
	// URLs are the servers' turn: or turns: URLs. "{host}" in a URL is replaced with the host name the node used
	// to reach the hub, for a relay on the hub's own host.
	URLs []string
	// Secret is the TURN REST shared secret the servers know.
	Secret string
	// TTL is how long credentials stay valid; a node gets new ones with every binding. Default 6 h.
	TTL time.Duration
}

// DefaultTURNTTL is TURNOptions.TTL's default.
const DefaultTURNTTL = 6 * time.Hour

// Defaults, as in PROTOCOL.md.
const (
	DefaultMaxMessageSize = 64 << 10
	DefaultRate           = 200
	DefaultBurst          = 400
	DefaultMaxConnections = 20000 // when the file-descriptor limit is unknown; see DefaultLimits
	DefaultGrace          = 30 * time.Second
	DefaultQueueSize      = 256
	DefaultKeepAlive      = 30 * time.Second
	DefaultMessageTimeout = 10 * time.Second

	DefaultMaxConnectionsPerIP     = 256
	DefaultQueueBytes              = 512 << 10
	DefaultQueueBytesPerIP         = 4 << 20
	DefaultMaxQueuedBytes          = 256 << 20
	DefaultMaxHeaderBytes          = 8 << 10
	DefaultHeaderTimeout           = 5 * time.Second
	DefaultIdleTimeout             = 30 * time.Second
	DefaultMaxHTTPConnections      = 1024 // at most; see DefaultLimits
	DefaultMaxHTTPConnectionsPerIP = 64
)

// cloneWithDefaults copies opts, so later changes by the caller do not reach the Server, and fills the defaults.
func (opts *Options) cloneWithDefaults() *Options {
	var o Options
	if opts != nil {
		o = *opts
	}
	o.ICEServers = append([]hub.ICEServer(nil), o.ICEServers...)
	if o.TURN != nil {
		t := *o.TURN
		t.URLs = append([]string(nil), t.URLs...)
		if t.TTL <= 0 {
			t.TTL = DefaultTURNTTL
		}
		o.TURN = &t
	}
	o.AllowedOrigins = append([]string(nil), o.AllowedOrigins...)
	if o.MaxMessageSize <= 0 {
		o.MaxMessageSize = DefaultMaxMessageSize
	}
	if o.Rate <= 0 {
		o.Rate = DefaultRate
	}
	if o.Burst <= 0 {
		o.Burst = DefaultBurst
	}
	if o.MaxConnections <= 0 || o.MaxHTTPConnections <= 0 {
		lim := DefaultLimits()
		if o.MaxConnections <= 0 {
			o.MaxConnections = lim.MaxConnections
		}
		if o.MaxHTTPConnections <= 0 {
			o.MaxHTTPConnections = lim.MaxHTTPConnections
		}
	}
	if o.MaxSessions <= 0 {
		o.MaxSessions = o.MaxConnections
	}
	if o.MaxConnectionsPerIP == 0 {
		o.MaxConnectionsPerIP = DefaultMaxConnectionsPerIP
	}
	if o.MaxHTTPConnectionsPerIP <= 0 {
		o.MaxHTTPConnectionsPerIP = DefaultMaxHTTPConnectionsPerIP
	}
	if o.Grace <= 0 {
		o.Grace = DefaultGrace
	}
	if o.QueueSize <= 0 {
		o.QueueSize = DefaultQueueSize
	}
	if o.QueueBytes <= 0 {
		o.QueueBytes = DefaultQueueBytes
	}
	if o.QueueBytesPerIP <= 0 {
		o.QueueBytesPerIP = DefaultQueueBytesPerIP
	}
	if o.MaxQueuedBytes <= 0 {
		o.MaxQueuedBytes = DefaultMaxQueuedBytes
	}
	// A queue must hold at least one message of the largest size, with its envelope.
	o.QueueBytes = max(o.QueueBytes, 2*o.MaxMessageSize+1024)
	o.QueueBytesPerIP = max(o.QueueBytesPerIP, o.QueueBytes)
	o.MaxQueuedBytes = max(o.MaxQueuedBytes, o.QueueBytesPerIP)
	if o.MaxHeaderBytes <= 0 {
		o.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if o.HeaderTimeout <= 0 {
		o.HeaderTimeout = DefaultHeaderTimeout
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.Registry == nil {
		o.Registry = NewMemoryRegistry()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.KeepAlive == 0 {
		o.KeepAlive = DefaultKeepAlive
	}
	if o.MessageTimeout <= 0 {
		o.MessageTimeout = DefaultMessageTimeout
	}
	return &o
}

func (opts *Options) wireICEServers() []wire.ICEServer {
	if len(opts.ICEServers) == 0 {
		return nil
	}
	out := make([]wire.ICEServer, len(opts.ICEServers))
	for i, s := range opts.ICEServers {
		out[i] = wire.ICEServer{URLs: append([]string(nil), s.URLs...), Username: s.Username, Credential: s.Credential}
	}
	return out
}
