package server

import (
	"errors"
	"fmt"
	"net"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/smokenet/smoke/pkg/hub/internal/wire"
	"github.com/smokenet/smoke/pkg/hub/server/internal/ws"
)

// closeKind says who ended a connection and so what becomes of its session.
type closeKind int32

const (
	kindNone      closeKind = iota // not closed by the server: the peer or the network ended it
	kindDropped                    // the server gave up on it (write failed, no pong, slow message): detach
	kindViolation                  // protocol violation: the session ends
	kindThrottled                  // over the rate limit: closed with 1008, the session waits for a resume
	kindShutdown                   // Server.Close: the session ends
	kindReplaced                   // a resume took the session over: the session lives on
	kindEnded                      // the peer or the network ended it, and connEnded settled it
)

// conn is one WebSocket connection of a node. While idle it has no goroutine and no buffer: the poller (lean.go)
// watches its socket, and a goroutine runs only while there is something to do (bytes arrived, a close was asked
// for, a deadline passed). Writes happen in its session's drain goroutine, started when there is something to write.
//
// Everything that reads, and every state change of the read side, happens in the goroutine holding the
// connection's work token (work, read.go): other goroutines that want something done set a flag and call wake.
type conn struct {
	srv  *Server
	nc   net.Conn        // as net/http hijacked it (a gateConn under Serve)
	wc   net.Conn        // what writes go to: the *net.TCPConn under nc if there is one (net.Buffers use writev on it)
	raw  syscall.RawConn // of that TCP connection, for non-blocking reads and writes; nil if there is none
	sess *session        // set by bind before ready; then fixed

	// Read side: the holder of the work token only.
	rd        *readState  // nil at a frame boundary outside a fragmented message, as idle connections are
	fl        *flushList  // while process runs: the sessions to write to once the read is handled
	cut       *time.Timer // cuts the connection if the peer does not answer the close frame in time
	closeSent bool        // the server sent its close frame: reading goes on only to find the peer's
	broken    bool        // the stream cannot be parsed any more: bytes are discarded until the peer hangs up
	finished  bool
	fd        int32 // registered with the poller; -1 when not
	counted   bool  // in stats.nodes; set by ServeHTTP before serving starts

	wmu sync.Mutex // serializes writes: the drain goroutine's, pongs, pings and close frames

	blocking atomic.Bool                  // a goroutine of its own reads (no poller for this connection)
	hup      atomic.Bool                  // the poller saw the peer hang up: read until the end, not just a short read
	state    atomic.Int32                 // work token: 0 free, 1 taken, 2 taken and woken again since
	dead     atomic.Pointer[error]        // set by abort: the token holder ends the connection with this error
	timedOut atomic.Bool                  // slow fired
	lastRead atomic.Int64                 // unix nanoseconds of the peer's last bytes, or of the last pong
	pingAt   atomic.Int64                 // unix nanoseconds of the keepalive ping awaiting its pong; 0: none
	ready    atomic.Bool                  // the binding was written; the session's writer may write
	kind     atomic.Int32                 // closeKind; leaves kindNone once, to whoever closes the connection first
	closeReq atomic.Pointer[closeRequest] // set by requestClose for the token holder
}

// readState is what the read side holds between reads while a frame or a fragmented message is incomplete.
type readState struct {
	dec  ws.Decoder
	in   []byte      // bytes of a frame not yet complete
	slow *time.Timer // MessageTimeout of the message in progress
}

type closeRequest struct {
	code   ws.StatusCode
	reason string
}

func (c *conn) closing() bool { return closeKind(c.kind.Load()) != kindNone }

func (c *conn) remote() string { return c.nc.RemoteAddr().String() }

// requestClose asks for a close handshake, unless someone already closes the connection. It does not wait. Any
// goroutine may call it.
func (c *conn) requestClose(kind closeKind, code ws.StatusCode, reason string) bool {
	if !c.kind.CompareAndSwap(int32(kindNone), int32(kind)) {
		return false
	}
	c.closeReq.Store(&closeRequest{code: code, reason: reason})
	c.wake()
	return true
}

var aLongTimeAgo = time.Unix(1, 0)

// startClose sends the close frame, and gives the peer closeWait to answer it before the connection is cut. Token
// holder only (or ServeHTTP before serving starts).
func (c *conn) startClose(code ws.StatusCode, reason string) {
	if c.closeSent {
		return
	}
	c.closeSent = true
	c.writeClose(code, reason)
	c.cut = time.AfterFunc(c.srv.closeWait, func() { c.abort(errCut) })
}

var errCut = errors.New("hub server: no answer to the close frame")

// abort makes the token holder end the connection with err, at once. Any goroutine.
func (c *conn) abort(err error) {
	c.dead.CompareAndSwap(nil, &err)
	c.wake()
}

// kill closes the connection without a handshake: the peer is gone or too slow to be worth one. Any goroutine.
func (c *conn) kill(kind closeKind, reason string) {
	if !c.kind.CompareAndSwap(int32(kindNone), int32(kind)) {
		return
	}
	c.srv.log.Info("hub: dropping connection", "address", c.addr(), "remote", c.remote(), "reason", reason)
	// A write blocked on a peer that reads nothing fails at once; the token holder closes the socket.
	c.nc.SetWriteDeadline(aLongTimeAgo)
	c.abort(errors.New("hub server: " + reason))
}

// violation closes the connection for breaking the protocol; the session ends with it. Only the first call
// counts and logs. Token holder only. It returns an error that stops the handling of the message.
func (c *conn) violation(code ws.StatusCode, reason string) error {
	reason = truncate(reason, 120) // a close reason is at most 123 bytes
	if !c.kind.CompareAndSwap(int32(kindNone), int32(kindViolation)) {
		return errClosing
	}
	c.srv.stats.violations.Add(1)
	c.srv.log.Info("hub: closing connection", "address", c.addr(), "remote", c.remote(), "code", int(code), "reason", reason)
	c.startClose(code, reason)
	return errClosing
}

func (c *conn) addr() string {
	if c.sess == nil {
		return ""
	}
	return c.sess.addr
}

// allow takes a token from the session's bucket (rate.go).
func (c *conn) allow(now time.Time) bool {
	if c.sess == nil {
		return true
	}
	return c.sess.lim.allow(c.srv, now)
}

// throttle closes the connection for going over the rate limit. Unlike a violation, the session waits for a resume:
// a node is over the limit by sending too much, which it can stop doing, and nothing it sent was wrong. Its bucket
// stays with the session, so a resume does not refill it. Token holder only.
func (c *conn) throttle() error {
	if !c.kind.CompareAndSwap(int32(kindNone), int32(kindThrottled)) {
		return errClosing
	}
	c.srv.stats.violations.Add(1)
	c.srv.stats.limit(limitRate)
	c.srv.log.Info("hub: closing connection", "address", c.addr(), "remote", c.remote(), "code", int(ws.StatusPolicyViolation), "reason", "rate limit exceeded")
	c.startClose(ws.StatusPolicyViolation, "rate limit exceeded")
	return errClosing
}

func (c *conn) handle(b []byte) error {
	m, ok := decodeForward(b)
	var err error
	if !ok {
		m, err = wire.Decode(b, wire.FromClient)
	}
	if err != nil {
		if se := (*wire.SyntaxError)(nil); errors.As(err, &se) {
			return c.violation(ws.StatusInvalidPayload, "malformed message: "+se.Err.Error())
		}
		if pe := (*wire.PolicyError)(nil); errors.As(err, &pe) {
			return c.violation(ws.StatusPolicyViolation, pe.Reason)
		}
		return c.violation(ws.StatusPolicyViolation, err.Error())
	}
	if c.closing() {
		return nil // being replaced or shut down: the message is moot
	}
	switch m.Type {
	case wire.TypeForward:
		c.forward(&m)
	case wire.TypeRegister:
		c.register(&m)
	case wire.TypeUnregister:
		c.unregister(&m)
	case wire.TypeLookup:
		c.lookup(&m)
	}
	return nil
}

// forwardOverhead is what AppendForward adds around data, besides the sender's address.
const forwardOverhead = len(`{"type":"forward","from":"","data":}`)

func (c *conn) forward(m *wire.Message) {
	s := c.srv
	dst := s.session(m.To)
	if dst == nil {
		if s.cluster != nil {
			s.cluster.forward(c, m) // maybe on another hub
			return
		}
		c.undeliverable(m.To, "unknown address")
		return
	}
	from := c.sess.addr
	b := wire.AppendForward(make([]byte, 0, forwardOverhead+len(from)+len(m.Data)), from, m.Data)
	// Counted before push, which may write the message at once: whoever reads it may look at the counter next.
	s.stats.forwarded.Add(1)
	switch hit := dst.pushVia(b, s.opts.QueueSize, true, c.fl); hit {
	case limitNone:
	case limitShutdown:
		s.stats.forwarded.Add(-1)
		c.undeliverable(m.To, "unknown address")
	default:
		s.stats.forwarded.Add(-1)
		s.stats.limit(hit)
		c.undeliverable(m.To, "recipient busy")
	}
}

// maxEchoedTo bounds the `to` an undeliverable echoes (PROTOCOL.md); addresses are far shorter.
const maxEchoedTo = 256

func (c *conn) undeliverable(to, reason string) {
	if len(to) > maxEchoedTo {
		to = strings.ToValidUTF8(to[:maxEchoedTo], "")
	}
	c.srv.stats.undeliverable.Add(1)
	c.reply(&wire.Message{Type: wire.TypeUndeliverable, To: to, Reason: reason})
}

// reply queues a message for this node. Replies are bounded by the rate limit (one per message received), so
// their queue limit is only a backstop, above the one for other nodes' forwards.
func (c *conn) reply(m *wire.Message) {
	b, err := wire.Encode(m)
	if err != nil { // plain fields only: cannot happen
		c.srv.log.Error("hub: encoding a reply", "address", c.addr(), "err", err)
		return
	}
	c.sess.pushVia(b, 2*c.srv.opts.QueueSize, false, c.fl)
}

func (c *conn) replyError(id uint64, code, format string, args ...any) {
	c.reply(&wire.Message{Type: wire.TypeError, ID: id, Code: code, Text: fmt.Sprintf(format, args...)})
}

func (c *conn) register(m *wire.Message) {
	s, sess := c.srv, c.sess
	name, err := wire.NormalizeHostname(m.Hostname)
	if err != nil {
		c.replyError(m.ID, wire.CodeInvalidHostname, "%s", err)
		return
	}
	held, n := sess.holds(name)
	if held {
		c.reply(&wire.Message{Type: wire.TypeResult, ID: m.ID})
		return
	}
	if n >= maxHostnames {
		c.replyError(m.ID, wire.CodeTooManyHostnames, "a node holds at most %d hostnames", maxHostnames)
		return
	}
	ctx, cancel := s.registryContext()
	defer cancel()
	if err := s.reg.Claim(ctx, name, sess.addr); err != nil {
		if errors.Is(err, ErrHostnameTaken) {
			c.replyError(m.ID, wire.CodeHostnameTaken, "hostname %q is held by another node", name)
			return
		}
		s.log.Warn("hub: claiming hostname", "address", sess.addr, "hostname", name, "err", err)
		c.replyError(m.ID, wire.CodeInternal, "the hub could not register the hostname; try again later")
		return
	}
	if addErr := sess.addHostname(name); addErr != nil {
		if err := s.reg.Release(ctx, name, sess.addr); err != nil {
			s.log.Warn("hub: releasing hostname", "address", sess.addr, "hostname", name, "err", err)
		}
		if errors.Is(addErr, errTooMany) {
			c.replyError(m.ID, wire.CodeTooManyHostnames, "a node holds at most %d hostnames", maxHostnames)
		}
		return
	}
	if s.cluster != nil {
		s.cluster.publishSession(sess) // its hostnames, for a resume on another hub
	}
	c.reply(&wire.Message{Type: wire.TypeResult, ID: m.ID})
}

func (c *conn) unregister(m *wire.Message) {
	s, sess := c.srv, c.sess
	name, err := wire.NormalizeHostname(m.Hostname)
	if err != nil {
		c.replyError(m.ID, wire.CodeInvalidHostname, "%s", err)
		return
	}
	if !sess.removeHostname(name) {
		c.replyError(m.ID, wire.CodeHostnameNotFound, "this node does not hold hostname %q", name)
		return
	}
	ctx, cancel := s.registryContext()
	defer cancel()
	if err := s.reg.Release(ctx, name, sess.addr); err != nil && !errors.Is(err, ErrHostnameNotFound) {
		s.log.Warn("hub: releasing hostname", "address", sess.addr, "hostname", name, "err", err)
		sess.addHostname(name) // still ours in the registry: keep it, so the session's end releases it
		c.replyError(m.ID, wire.CodeInternal, "the hub could not unregister the hostname; try again later")
		return
	}
	if s.cluster != nil {
		s.cluster.publishSession(sess)
	}
	c.reply(&wire.Message{Type: wire.TypeResult, ID: m.ID})
}

func (c *conn) lookup(m *wire.Message) {
	s := c.srv
	name, err := wire.NormalizeHostname(m.Hostname)
	if err != nil {
		c.replyError(m.ID, wire.CodeInvalidHostname, "%s", err)
		return
	}
	ctx, cancel := s.registryContext()
	defer cancel()
	addr, err := s.reg.Lookup(ctx, name)
	switch {
	case errors.Is(err, ErrHostnameNotFound):
		c.replyError(m.ID, wire.CodeHostnameNotFound, "no node holds hostname %q", name)
	case err != nil:
		s.log.Warn("hub: looking up hostname", "address", c.sess.addr, "hostname", name, "err", err)
		c.replyError(m.ID, wire.CodeInternal, "the hub could not look up the hostname; try again later")
	default:
		c.reply(&wire.Message{Type: wire.TypeResult, ID: m.ID, Address: addr})
	}
}

// connEnded settles what a connection's end means for its session and frees its slot. err is what ended it. It
// runs in the holder of the work token (finish), or in ServeHTTP for a connection that was never served.
func (s *Server) connEnded(c *conn, err error) {
	kind := kindNone
	if !c.kind.CompareAndSwap(int32(kindNone), int32(kindEnded)) { // later kills are no-ops
		kind = closeKind(c.kind.Load())
	}
	if sess := c.sess; sess != nil {
		switch kind {
		case kindViolation:
			sess.end(c, false, "protocol violation")
		case kindShutdown:
			if s.cluster != nil {
				sess.handOver() // to whichever hub of the cluster the node resumes on
			} else {
				sess.end(c, false, "server shutting down")
			}
		case kindThrottled:
			sess.detach(c)
		case kindReplaced:
			// The session lives on with the newer connection.
		case kindNone:
			// 1000, or 1001 "going away", which browsers send for a page that unloads (HTML's "make disappear"):
			// the node left on purpose and will not resume, so its address and hostnames are freed now, and a
			// reloaded page can claim its hostname again at once.
			if code := ws.CloseStatus(err); code == ws.StatusNormalClosure || code == ws.StatusGoingAway {
				sess.end(c, false, "closed by node")
				break
			}
			s.log.Debug("hub: connection dropped", "address", sess.addr, "remote", c.remote(), "err", err)
			sess.detach(c)
		default: // kindDropped
			sess.detach(c)
		}
	}
	c.nc.Close() // whatever happened, the socket goes
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.stats.open.Add(-1)
	if c.counted {
		s.stats.nodes.Add(-1)
	}
}

func (s *Server) logPanic(r any, addr string) {
	s.log.Error("hub: panic", "address", addr, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
}
