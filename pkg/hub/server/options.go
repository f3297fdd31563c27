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
	// are answered with HTTP 503. Default 20,000.
	MaxConnections int

	// AllowedOrigins lists the origins (host patterns, see github.com/coder/websocket AcceptOptions.OriginPatterns)
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
}

// Defaults, as in PROTOCOL.md.
const (
	DefaultMaxMessageSize = 64 << 10
	DefaultRate           = 200
	DefaultBurst          = 400
	DefaultMaxConnections = 20000
	DefaultGrace          = 30 * time.Second
	DefaultQueueSize      = 256
	DefaultKeepAlive      = 30 * time.Second
	DefaultMessageTimeout = 10 * time.Second
)

// cloneWithDefaults copies opts, so later changes by the caller do not reach the Server, and fills the defaults.
func (opts *Options) cloneWithDefaults() *Options {
	var o Options
	if opts != nil {
		o = *opts
	}
	o.ICEServers = append([]hub.ICEServer(nil), o.ICEServers...)
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
	if o.MaxConnections <= 0 {
		o.MaxConnections = DefaultMaxConnections
	}
	if o.Grace <= 0 {
		o.Grace = DefaultGrace
	}
	if o.QueueSize <= 0 {
		o.QueueSize = DefaultQueueSize
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
