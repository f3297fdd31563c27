package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/smokenet/smoke/pkg/hub/internal/wire"
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

// conn is one WebSocket connection of a node. Its only goroutine while idle is readLoop, asleep in a shallow read
// (see lean.go); writes happen in its session's drain goroutine, started when there is something to write.
//
// Every read, including a close handshake's, happens on the read goroutine: other goroutines that want the
// connection closed call requestClose, which wakes the read goroutine, or kill, which cuts the connection.
type conn struct {
	srv  *Server
	ws   *websocket.Conn
	lc   *leanConn
	sess *session // set by bind before ready; then fixed

	controlFlood bool // onPing or onPong found the rate limit exceeded; read goroutine only
	counted      bool // in stats.nodes; set by ServeHTTP before the read loop starts

	lastRead atomic.Int64 // unix nanoseconds of the peer's last frame, or of the last pong to a keepalive ping
	ready    atomic.Bool  // the binding was written; the session's writer may write
	pinging  atomic.Bool
	kind     atomic.Int32                 // closeKind; leaves kindNone once, to whoever closes the connection first
	closeReq atomic.Pointer[closeRequest] // set by requestClose for the read goroutine
}

type closeRequest struct {
	code   websocket.StatusCode
	reason string
}

func (c *conn) closing() bool { return closeKind(c.kind.Load()) != kindNone }

func (c *conn) remote() string { return c.lc.RemoteAddr().String() }

// requestClose asks the read goroutine to close the connection with a close handshake, unless someone already
// closes it. It does not wait. Any goroutine may call it.
func (c *conn) requestClose(kind closeKind, code websocket.StatusCode, reason string) bool {
	if !c.kind.CompareAndSwap(int32(kindNone), int32(kind)) {
		return false
	}
	c.closeReq.Store(&closeRequest{code: code, reason: reason})
	// Wake the read goroutine: its read fails at once. The read goroutine checks closeReq after every deadline it
	// sets, so it cannot overwrite this one unnoticed.
	c.lc.SetReadDeadline(aLongTimeAgo)
	return true
}

var aLongTimeAgo = time.Unix(1, 0)

// performClose runs a requested close handshake. Read goroutine only (or ServeHTTP before it starts).
func (c *conn) performClose(req *closeRequest) {
	c.lc.setReadDeadline(time.Time{})
	c.closeHandshake(req.code, req.reason)
}

// closeHandshake sends a close frame and waits for the peer's, at most closeHandshakeWait (coder/websocket alone
// would wait up to 10 s, which a hostile peer would use to keep its goroutine).
func (c *conn) closeHandshake(code websocket.StatusCode, reason string) {
	c.lc.noIdle = true
	cut := time.AfterFunc(c.srv.closeWait, func() { c.lc.Close() })
	c.ws.Close(code, truncate(reason, 120))
	cut.Stop()
}

// kill closes the connection without a handshake: the peer is gone or too slow to be worth one. Any goroutine.
func (c *conn) kill(kind closeKind, reason string) {
	if !c.kind.CompareAndSwap(int32(kindNone), int32(kind)) {
		return
	}
	c.srv.log.Info("hub: dropping connection", "address", c.addr(), "remote", c.remote(), "reason", reason)
	c.ws.CloseNow()
}

// violation closes the connection for breaking the protocol; the session ends with it. Only the first call
// counts and logs. Read goroutine only. It returns an error for the read loop to stop on.
func (c *conn) violation(code websocket.StatusCode, reason string) error {
	reason = truncate(reason, 120) // a close reason is at most 123 bytes
	if !c.kind.CompareAndSwap(int32(kindNone), int32(kindViolation)) {
		return errClosing
	}
	c.srv.stats.violations.Add(1)
	c.srv.log.Info("hub: closing connection", "address", c.addr(), "remote", c.remote(), "code", int(code), "reason", reason)
	c.closeHandshake(code, reason)
	return errClosing
}

func (c *conn) addr() string {
	if c.sess == nil {
		return ""
	}
	return c.sess.addr
}

// write writes one message under a deadline on the net.Conn (no timer or context per message). The caller clears
// the deadline when done writing.
func (c *conn) write(b []byte) error {
	c.lc.SetWriteDeadline(time.Now().Add(c.srv.opts.MessageTimeout))
	if err := c.ws.Write(context.Background(), websocket.MessageText, b); err != nil {
		return err
	}
	c.srv.stats.bytesOut.Add(int64(len(b)))
	return nil
}

func (c *conn) writeNow(b []byte) error {
	err := c.write(b)
	c.lc.SetWriteDeadline(time.Time{})
	return err
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
// stays with the session, so a resume does not refill it. Read goroutine only.
func (c *conn) throttle() error {
	if !c.kind.CompareAndSwap(int32(kindNone), int32(kindThrottled)) {
		return errClosing
	}
	c.srv.stats.violations.Add(1)
	c.srv.stats.limit(limitRate)
	c.srv.log.Info("hub: closing connection", "address", c.addr(), "remote", c.remote(), "code", int(websocket.StatusPolicyViolation), "reason", "rate limit exceeded")
	c.closeHandshake(websocket.StatusPolicyViolation, "rate limit exceeded")
	return errClosing
}

// onPing runs inside coder/websocket's Reader, on the read goroutine, when the peer pings. Pings take rate tokens
// like messages do. Over the limit, no pong; the read loop closes the connection once Reader returns.
func (c *conn) onPing(context.Context, []byte) bool {
	if c.allow(time.Now()) {
		return true
	}
	c.controlFlood = true
	return false
}

// onPong is onPing's twin for pongs: answers to the hub's keepalive pings cost a token a minute, unsolicited ones
// as many as they are.
func (c *conn) onPong(context.Context, []byte) {
	if !c.allow(time.Now()) {
		c.controlFlood = true
	}
}

// linger is how long a read goroutine that has handled something waits for more before it hands the idle wait to a
// fresh goroutine (see readLoop). Signalling comes in exchanges (offer and answer, trickled candidates), and at
// high rates the next message of a busy node comes within milliseconds: waiting for it in the goroutine already
// running costs one read, where a handover costs a goroutine start and regrowing its stack on the next message.
const linger = 50 * time.Millisecond

// readLoop reads and handles the node's messages until the connection ends, then settles the session.
//
// A goroutine that handled something has a grown stack, and the runtime never shrinks a 4 KiB stack back to the
// 2 KiB minimum (runtime.shrinkstack counts 800 bytes of headroom against the quarter it may use). So once nothing
// has arrived for linger, it hands the idle wait to a fresh goroutine and exits: one goroutine start per pause in
// the traffic, and an idle node's goroutine keeps the smallest stack there is.
func (c *conn) readLoop() {
	var err error
	handedOver := false
	defer c.srv.wg.Done()
	defer func() {
		if r := recover(); r != nil {
			c.srv.logPanic(r, c.addr())
			c.kill(kindDropped, "internal error")
			err = fmt.Errorf("panic: %v", r)
		}
		if !handedOver {
			c.srv.connEnded(c, err)
		}
	}()
	worked := false
	for err == nil {
		if c.lc.drained() {
			if worked {
				var more bool
				if more, err = c.waitHot(); err != nil {
					err = c.readFailed(err)
					continue
				}
				if !more {
					c.srv.wg.Add(1) // this goroutine is counted, so the Add is safe
					go c.readLoop()
					handedOver = true
					return
				}
			} else {
				// Idle: sleep here, in a shallow stack, until the peer sends something.
				if !c.lc.rdl.IsZero() {
					c.lc.setReadDeadline(time.Time{})
				}
				if req := c.closeReq.Load(); req != nil {
					c.performClose(req)
					return
				}
				if err = c.lc.wait(); err != nil {
					err = c.readFailed(err)
					continue
				}
			}
		}
		worked = true
		err = c.readMessage()
	}
}

// waitHot waits up to about linger for the peer's next message on a goroutine that has just handled one. It
// reports false when nothing came: time to hand over. The linger deadline is set again only when less than half
// of it is left, so a busy connection sets one deadline per linger/2, not one per message.
func (c *conn) waitHot() (more bool, err error) {
	now := time.Now()
	if left := c.lc.rdl.Sub(now); left < linger/2 || left > linger {
		c.lc.setReadDeadline(now.Add(linger))
	}
	if req := c.closeReq.Load(); req != nil { // checked after every deadline set: see requestClose
		c.performClose(req)
		return false, errClosing
	}
	err = c.lc.waitHot()
	if errors.Is(err, os.ErrDeadlineExceeded) && c.closeReq.Load() == nil {
		return false, nil
	}
	return err == nil, err
}

// messageDeadline makes sure the read deadline allows the message being read MessageTimeout from its start (and
// at most a sixteenth more, so that messages following each other share one deadline). leanConn calls it before
// every network read that coder/websocket asks for, i.e. in the middle of a message: a peer cannot pin read buffers
// (or this goroutine in a deep stack) by sending half a message and stalling. Most messages arrive whole with
// their first read, and then no deadline is set for them at all. Read goroutine only.
func (c *conn) messageDeadline() {
	want := time.Unix(0, c.lastRead.Load()).Add(c.srv.opts.MessageTimeout)
	if !c.lc.rdl.IsZero() && !c.lc.rdl.Before(want) && c.lc.rdl.Sub(want) <= c.srv.opts.MessageTimeout/16 {
		return
	}
	c.lc.setReadDeadline(want.Add(c.srv.opts.MessageTimeout / 32))
	if c.closeReq.Load() != nil {
		// requestClose's deadline may have been overwritten: fail the read as it would have.
		c.lc.setReadDeadline(aLongTimeAgo)
	}
}

// readFailed turns a read error into the error that ends the read loop, running a requested close first.
func (c *conn) readFailed(err error) error {
	if req := c.closeReq.Load(); req != nil {
		c.performClose(req)
		return errClosing
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		c.kill(kindDropped, "message did not arrive in time")
	}
	return err
}

// readMessage reads frames until coder/websocket has a data message, or has handled control frames and nothing
// more has arrived (errIdle), and handles the message. A non-nil error ends the read loop.
func (c *conn) readMessage() error {
	s := c.srv
	now := time.Now()
	// Once something arrived, the rest of the message must follow within MessageTimeout (see messageDeadline).
	c.lastRead.Store(now.UnixNano())
	if req := c.closeReq.Load(); req != nil {
		c.performClose(req)
		return errClosing
	}
	typ, r, err := c.ws.Reader(context.Background())
	if c.controlFlood {
		return c.throttle()
	}
	if errors.Is(err, errIdle) {
		return nil
	}
	if err != nil {
		return c.readFailed(err)
	}
	if !c.allow(now) {
		return c.throttle()
	}
	if typ != websocket.MessageText {
		return c.violation(websocket.StatusPolicyViolation, "binary messages are not allowed")
	}
	bp := s.bufs.Get().(*[]byte)
	defer s.bufs.Put(bp)
	n, err := readAll(r, *bp)
	switch {
	case errors.Is(err, websocket.ErrMessageTooBig):
		// coder/websocket has already sent the 1009 close frame; this finishes the handshake.
		s.stats.limit(limitMessageSize)
		return c.violation(websocket.StatusMessageTooBig, fmt.Sprintf("message over %d bytes", s.opts.MaxMessageSize))
	case errors.Is(err, errAnnouncedTooBig):
		// A frame header announced more than the limit: say so now rather than wait for bytes that may never come.
		s.stats.limit(limitMessageSize)
		return c.violation(websocket.StatusMessageTooBig, fmt.Sprintf("message over %d bytes", s.opts.MaxMessageSize))
	case err != nil:
		return c.readFailed(err)
	}
	s.stats.bytesIn.Add(int64(n))
	return c.handle((*bp)[:n])
}

// readAll reads a message into buf, which is one byte longer than the read limit: reading that byte makes the
// next Read fail with ErrMessageTooBig.
func readAll(r io.Reader, buf []byte) (int, error) {
	n := 0
	for {
		m, err := r.Read(buf[n:])
		n += m
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

func (c *conn) handle(b []byte) error {
	m, ok := decodeForward(b)
	var err error
	if !ok {
		m, err = wire.Decode(b, wire.FromClient)
	}
	if err != nil {
		if se := (*wire.SyntaxError)(nil); errors.As(err, &se) {
			return c.violation(websocket.StatusInvalidFramePayloadData, "malformed message: "+se.Err.Error())
		}
		if pe := (*wire.PolicyError)(nil); errors.As(err, &pe) {
			return c.violation(websocket.StatusPolicyViolation, pe.Reason)
		}
		return c.violation(websocket.StatusPolicyViolation, err.Error())
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
	switch hit := dst.push(b, s.opts.QueueSize, true); hit {
	case limitNone:
		s.stats.forwarded.Add(1)
	case limitShutdown:
		c.undeliverable(m.To, "unknown address")
	default:
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
	c.sess.push(b, 2*c.srv.opts.QueueSize, false)
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
// runs on the read goroutine, or in ServeHTTP for a connection that never got one.
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
			if code := websocket.CloseStatus(err); code == websocket.StatusNormalClosure || code == websocket.StatusGoingAway {
				sess.end(c, false, "closed by node")
				break
			}
			s.log.Debug("hub: connection dropped", "address", sess.addr, "remote", c.remote(), "err", err)
			sess.detach(c)
		default: // kindDropped
			sess.detach(c)
		}
	}
	c.ws.CloseNow() // whatever happened, the socket goes (a no-op after a close handshake)
	c.lc.release()
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
