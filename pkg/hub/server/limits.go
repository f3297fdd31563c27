package server

// Limits are the connection limits that fit the process's file-descriptor limit: every connection, hub or plain
// HTTP, holds one descriptor, and a process out of descriptors cannot even accept a connection to refuse it, so
// new nodes and health checks would time out instead of getting 503.
type Limits struct {
	FileDescriptors    int // the soft RLIMIT_NOFILE as read (Go raises it to the hard limit at start); 0: unknown
	MaxConnections     int // hub connections
	MaxHTTPConnections int // connections not (yet) upgraded: requests being read, plain HTTP, idle keep-alives
}

// fdReserve is what DefaultLimits keeps for descriptors that are not client connections: the listener, the
// poller, files the static handler opens, logs, and refusals in flight (maxRefusing).
const fdReserve = 128

// DefaultLimits derives MaxConnections and MaxHTTPConnections from the file-descriptor limit: a reserve of 128,
// an eighth of the rest (at most DefaultMaxHTTPConnections) for HTTP, the remainder for hub connections. Where the
// limit cannot be read, it returns DefaultMaxConnections and DefaultMaxHTTPConnections.
func DefaultLimits() Limits {
	n := fdLimit()
	if n <= 0 {
		return Limits{MaxConnections: DefaultMaxConnections, MaxHTTPConnections: DefaultMaxHTTPConnections}
	}
	avail := max(n-fdReserve, 32)
	httpConns := min(DefaultMaxHTTPConnections, max(avail/8, 16))
	return Limits{FileDescriptors: n, MaxConnections: max(avail-httpConns, 16), MaxHTTPConnections: httpConns}
}
