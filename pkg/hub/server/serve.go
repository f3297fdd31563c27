package server

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Serve accepts connections on ln and serves HTTP on them with the limits a hub facing the internet needs (Options:
// MaxHeaderBytes, HeaderTimeout, IdleTimeout, MaxHTTPConnections, MaxHTTPConnectionsPerIP): no client can hold
// memory with an endless header, pin connections by sending it slowly or by keeping them idle, or use up the
// file descriptors that new nodes and health checks need. h handles every request; nil means the hub alone
// (cmd/smoke-hub passes a mux that adds /healthz, /metrics and static files and sends upgrade requests to s).
//
// Serve returns when ln fails, or http.ErrServerClosed after Close or Shutdown. Serve may be called for several
// listeners.
func (s *Server) Serve(ln net.Listener, h http.Handler) error {
	if h == nil {
		h = s
	}
	g := &gate{
		Listener: ln,
		srv:      s,
		conns:    make(map[*gateConn]struct{}),
		perIP:    make(map[string]int),
		refusing: make(chan struct{}, maxRefusing),
	}
	hs := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if c, ok := r.Context().Value(gateConnKey{}).(*gateConn); ok {
				c.handled.Store(true)
			}
			h.ServeHTTP(w, r)
		}),
		MaxHeaderBytes:    s.opts.MaxHeaderBytes,
		ReadHeaderTimeout: s.opts.HeaderTimeout,
		IdleTimeout:       s.opts.IdleTimeout,
		// A slow reader of a large static file cannot hold its connection longer than this. Hub connections are
		// not affected: ServeHTTP clears the deadline once it has upgraded one.
		WriteTimeout: httpWriteTimeout,
		ConnState:    g.connState,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, gateConnKey{}, c)
		},
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return http.ErrServerClosed
	}
	s.https = append(s.https, hs)
	s.mu.Unlock()
	return hs.Serve(g)
}

// Shutdown shuts the server down gracefully: it closes every hub connection with 1001 (as Close does), then stops
// the listeners of Serve and waits for plain HTTP requests in progress, until ctx ends (then it cuts them and
// returns ctx's error).
func (s *Server) Shutdown(ctx context.Context) error {
	s.closeOnce.Do(s.close)
	var first error
	for _, hs := range s.httpServers() {
		if err := hs.Shutdown(ctx); err != nil {
			hs.Close()
			if first == nil {
				first = err
			}
		}
	}
	return first
}

func (s *Server) httpServers() []*http.Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*http.Server(nil), s.https...)
}

const (
	// httpWriteTimeout bounds writing one plain HTTP response (a 8 MB smoke.wasm at 1 Mbit/s takes a minute).
	httpWriteTimeout = 2 * time.Minute
	// maxRefusing bounds the connections being answered 503 at once; beyond it a refused connection is closed
	// without an answer. Each holds a descriptor for at most refuseTime.
	maxRefusing = 64
	refuseTime  = time.Second
	// silentAfter is how long a new connection may stay silent before it may be closed to make room: browsers
	// send their request at once, and open spare connections they may never use.
	silentAfter = time.Second
)

type gateConnKey struct{}

// gate is the listener Serve gives net/http: it admits or refuses each connection, and follows it (through
// http.Server.ConnState) until it is upgraded or closed, counting it against MaxHTTPConnections meanwhile.
type gate struct {
	net.Listener
	srv      *Server
	refusing chan struct{} // semaphore of refusals in flight

	mu    sync.Mutex
	conns map[*gateConn]struct{} // counted connections
	perIP map[string]int
}

// gateConn is an accepted connection. net/http hands it to the hub when it upgrades (hijacks) it, so it stays the
// hub connection's net.Conn; it stops being counted here at that point.
type gateConn struct {
	net.Conn
	ip      string
	handled atomic.Bool // a handler ran for the current request; reset when the connection goes idle

	// Under gate.mu:
	counted bool
	state   http.ConnState
	since   time.Time // of the last state change
}

func (g *gate) Accept() (net.Conn, error) {
	for {
		nc, err := g.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if c := g.admit(nc); c != nil {
			return c, nil
		}
	}
}

// admit counts nc in, making room by closing the longest idle (or silent) connection if the gate is full, or
// refuses it with a 503 and returns nil.
func (g *gate) admit(nc net.Conn) *gateConn {
	s := g.srv
	ip := sourceKey(nc.RemoteAddr().String())
	now := time.Now()
	var victim *gateConn
	hit := limitNone
	g.mu.Lock()
	switch {
	case g.perIP[ip] >= s.opts.MaxHTTPConnectionsPerIP:
		hit = limitHTTPPerIP
	case len(g.conns) >= s.opts.MaxHTTPConnections:
		if victim = g.oldestIdleLocked(now); victim != nil {
			g.uncountLocked(victim)
		} else {
			hit = limitHTTP
		}
	}
	var c *gateConn
	if hit == limitNone {
		c = &gateConn{Conn: nc, ip: ip, counted: true, state: http.StateNew, since: now}
		g.conns[c] = struct{}{}
		g.perIP[ip]++
		s.stats.httpConns.Add(1)
	}
	g.mu.Unlock()
	if victim != nil {
		s.stats.limit(limitIdleEvicted)
		victim.Conn.Close() // net/http's read fails; it then reports StateClosed
	}
	if hit != limitNone {
		s.stats.limit(hit)
		s.stats.refused.Add(1)
		s.log.Info("hub: refused connection", "remote", nc.RemoteAddr().String(), "status", http.StatusServiceUnavailable, "reason", limitNames[hit])
		g.refuse(nc)
	}
	return c
}

// oldestIdleLocked returns the connection idle the longest (a keep-alive connection between requests) or, failing
// that, silent the longest (accepted, nothing received for silentAfter), or nil.
func (g *gate) oldestIdleLocked(now time.Time) *gateConn {
	var best *gateConn
	for c := range g.conns {
		ok := c.state == http.StateIdle || (c.state == http.StateNew && now.Sub(c.since) >= silentAfter)
		if ok && (best == nil || c.since.Before(best.since)) {
			best = c
		}
	}
	return best
}

func (g *gate) uncountLocked(c *gateConn) {
	if !c.counted {
		return
	}
	c.counted = false
	delete(g.conns, c)
	if g.perIP[c.ip]--; g.perIP[c.ip] <= 0 {
		delete(g.perIP, c.ip)
	}
	g.srv.stats.httpConns.Add(-1)
}

// connState follows a connection through net/http's states.
func (g *gate) connState(nc net.Conn, st http.ConnState) {
	c, ok := nc.(*gateConn)
	if !ok {
		return
	}
	g.mu.Lock()
	prev := c.state
	c.state, c.since = st, time.Now()
	switch st {
	case http.StateIdle:
		c.handled.Store(false)
	case http.StateHijacked, http.StateClosed:
		g.uncountLocked(c)
	}
	g.mu.Unlock()
	if st == http.StateClosed && prev == http.StateActive && !c.handled.Load() {
		// net/http read part of a request and gave up on it: a header too large (431) or too slow, or malformed.
		g.srv.stats.limit(limitIncomplete)
	}
}

// refuse answers a refused connection with 503 and closes it, in the background and within refuseTime; when
// maxRefusing refusals are under way already, it just closes it.
func (g *gate) refuse(nc net.Conn) {
	select {
	case g.refusing <- struct{}{}:
	default:
		nc.Close()
		return
	}
	go func() {
		defer func() { <-g.refusing }()
		writeRefusal(nc)
	}()
}

const refusalBody = "smoke-hub: too many connections; try again later\n"

var refusal = []byte("HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n" +
	"Content-Length: " + strconv.Itoa(len(refusalBody)) + "\r\nRetry-After: 5\r\nConnection: close\r\n\r\n" + refusalBody)

// writeRefusal waits for the start of the client's request, writes the 503, and then reads what the client sent
// until it closes: closing a socket with unread bytes would reset the connection, and the client could lose the
// answer. An answer before the request would be unsolicited: Go's HTTP client, for one, fails it without a status.
func writeRefusal(nc net.Conn) {
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(refuseTime))
	var first [1]byte
	if _, err := nc.Read(first[:]); err != nil {
		return
	}
	if _, err := nc.Write(refusal); err != nil {
		return
	}
	if cw, ok := nc.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
	var buf [512]byte
	for total := 0; total < 64<<10; {
		n, err := nc.Read(buf[:])
		total += n
		if err != nil {
			return
		}
	}
}
