package restcore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"runtime/debug"
	"sync"
	"time"

	"github.com/smokenet/smoke/pkg/node"
	"github.com/smokenet/smoke/pkg/rest/internal/wire"
)

// conn serves the requests of one accepted socket, one at a time. Exactly one goroutine at a time is its reader: it
// reads every message the client sends. A request head starts the handler, body data feeds that request's body,
// demand feeds its record stream. The reader keeps reading while a handler runs, so a client that closes the socket
// (it cancelled, or went away) cancels the handler's context at once.
//
// A request whose body came whole with its head (most do) is handled on the reader goroutine itself: handing it to a
// new goroutine costs more than a small request's whole exchange (a wake-up of another thread, natively). Should
// the handler still run after watchDelay, or wait for record demand, a new goroutine takes over reading (takeOver),
// and the handler's goroutine ends when the handler returns.
type conn struct {
	srv    *Server
	sock   *node.Socket
	remote string
	// timer closes a socket that waits too long for a head: ReadHeaderTimeout for the first, IdleTimeout after.
	timer *time.Timer
	// watch hands reading to a new goroutine when a handler run by the reader takes longer than watchDelay.
	watch *time.Timer

	mu       sync.Mutex
	ex       *exchange // the request in progress, nil between requests
	served   bool      // a request has arrived (the timer now means idleness)
	inlineEx *exchange // the request whose handler the reader is running, until another goroutine takes over
	reader   int       // counts handovers: which read loop holds the reader role
	// The last response's buffers, small ones only, for the next response to reuse.
	spareBuf, spareMsg []byte

	closeOnce sync.Once
}

// watchDelay (watch_native.go, watch_js.go) is how long a handler may run on the reader goroutine before another
// goroutine starts reading: the longest a client's close can wait to cancel the handler.

// exchange is one request and its response.
type exchange struct {
	c      *conn
	req    *Request
	ctx    context.Context
	cancel context.CancelCauseFunc
	w      *response
	body   *requestBody // nil when the whole body came with the head

	// Under c.mu: which halves are over. The socket is idle again once both are.
	reqDone, respDone bool

	// Reader goroutine only.
	declared, received int64

	handedOff bool // under c.mu: another goroutine took over reading while this handler ran on the reader
}

// errStop ends the reader loop after it already answered and closed the socket.
var errStop = errors.New("rest: socket closed after an error response")

// errHandedOff ends a goroutine's reader loop once another goroutine took over reading.
var errHandedOff = errors.New("rest: another goroutine reads the socket now")

func newConn(s *Server, sock *node.Socket) *conn {
	c := &conn{srv: s, sock: sock}
	if a, ok := sock.RemoteAddr().(node.Addr); ok {
		c.remote = a.Node
	}
	return c
}

func (c *conn) serve() {
	c.timer = time.AfterFunc(c.srv.readHeaderTimeout(), c.timeout)
	c.read(0)
}

// read is the reader loop, run by serve's goroutine and then by any goroutine that takes over reading; reader is
// c.reader when it took over.
func (c *conn) read(reader int) {
	ended, handedOff := false, false
	defer func() {
		if handedOff {
			return // the socket is the new reader's
		}
		c.mu.Lock()
		mine := c.reader == reader
		if mine {
			c.inlineEx = nil
		}
		c.mu.Unlock()
		// Nothing below should panic on peer input; this is the last guard (docs/ARCHITECTURE.md, decision 6).
		if p := recover(); p != nil {
			c.srv.logger().Error("rest: panic serving socket", "remote", c.remote, "panic", p, "stack", string(debug.Stack()))
			c.lost(fmt.Errorf("rest: internal error: %v", p))
		} else if !ended && mine {
			// A handler run on this goroutine called runtime.Goexit; its response was completed as if it had
			// returned. Reading goes on elsewhere.
			go c.read(reader)
			return
		}
		if mine {
			c.srv.removeConn(c)
		}
	}()
	for {
		_, msg, err := c.sock.Read(context.Background())
		if err == nil {
			err = c.handle(msg)
			if errors.Is(err, errHandedOff) {
				handedOff = true
				return
			}
			if err != nil && !errors.Is(err, errStop) {
				c.srv.logger().Warn("rest: closing socket", "remote", c.remote, "err", err)
				c.closeWith(node.StatusProtocolError, err.Error())
			}
		}
		if err != nil {
			ended = true
			c.lost(err)
			return
		}
	}
}

// timeout closes the socket when no head arrived in time; a request that began meanwhile keeps it.
func (c *conn) timeout() {
	c.mu.Lock()
	busy, served := c.ex != nil, c.served
	c.mu.Unlock()
	switch {
	case busy:
	case served:
		c.closeWith(node.StatusGoingAway, "rest: idle timeout")
	default:
		c.closeWith(node.StatusPolicyViolation, "rest: no request head in time")
	}
}

func (c *conn) handle(msg []byte) error {
	typ, err := wire.Type(msg)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrProtocol, err)
	}
	switch typ {
	case wire.TypeRequest:
		return c.onRequest(msg)
	case wire.TypeData:
		return c.onData(msg)
	case wire.TypeDemand:
		return c.onDemand(msg)
	}
	return fmt.Errorf("%w: a client sent a message of type 0x%02x", ErrProtocol, typ)
}

func (c *conn) onRequest(msg []byte) error {
	c.mu.Lock()
	busy := c.ex != nil
	c.served = true
	c.mu.Unlock()
	if busy {
		return fmt.Errorf("%w: request head before the previous request ended", ErrProtocol)
	}
	c.timer.Stop()

	h, end, body, err := wire.DecodeRequest(msg, c.srv.maxHeaderBytes())
	if err != nil {
		status := StatusBadRequest
		if errors.Is(err, wire.ErrHeadTooLarge) {
			status = StatusRequestHeaderFieldsTooLarge
		}
		c.reject(status, err)
		return errStop
	}
	u, err := url.ParseRequestURI(h.Target)
	if err != nil {
		c.reject(StatusBadRequest, err)
		return errStop
	}
	if limit := c.srv.MaxBodyBytes; limit > 0 && (h.ContentLength > limit || int64(len(body)) > limit) {
		if !end { // the body is still coming: rather than read and drop it, close
			c.reject(StatusRequestEntityTooLarge, errors.New("request body too large"))
			return errStop
		}
		c.sendError(StatusRequestEntityTooLarge, false)
		c.becameIdle()
		return nil
	}
	if h.Header == nil {
		h.Header = make(Header)
	}

	ctx, cancel := context.WithCancelCause(c.srv.state.ctx)
	ex := &exchange{c: c, ctx: ctx, cancel: cancel, declared: h.ContentLength, reqDone: end}
	r := &Request{
		Method:     h.Method,
		URL:        u,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     h.Header,
		Host:       h.Host,
		RemoteAddr: c.remote,
		RequestURI: h.Target,
	}
	switch {
	case end && len(body) == 0:
		r.Body = NoBody
	case end:
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
	default:
		ex.body = newRequestBody(c.srv.MaxBodyBytes)
		r.Body = ex.body
		r.ContentLength = h.ContentLength
	}
	ex.req = r.WithContext(ctx)
	ex.w = newResponse(ex)
	if end {
		return c.runInline(ex)
	}
	c.mu.Lock()
	c.ex = ex
	c.mu.Unlock()
	go ex.run()
	if len(body) > 0 {
		ex.received = int64(len(body))
		ex.body.deliver(body)
	}
	return nil
}

// runInline runs the handler of a request that came whole on the reader goroutine (see conn). It returns
// errHandedOff if another goroutine took over reading meanwhile.
func (c *conn) runInline(ex *exchange) error {
	c.mu.Lock()
	c.ex, c.inlineEx = ex, ex
	c.mu.Unlock()
	if c.watch == nil {
		c.watch = time.AfterFunc(watchDelay, c.takeOver)
	} else {
		c.watch.Reset(watchDelay)
	}
	ex.run()
	c.mu.Lock()
	handedOff := ex.handedOff
	if !handedOff {
		c.inlineEx = nil // a callback that fires anyway finds no handler to take over from
	}
	c.mu.Unlock()
	if handedOff {
		return errHandedOff // and the timer is the new reader's
	}
	c.watch.Stop()
	return nil
}

// releaseReader is called on behalf of a handler that runs on the reader goroutine and will not return soon: it
// takes the reader role from that goroutine, if it still has it, and returns the new reader's number for read.
func (c *conn) releaseReader() (reader int, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ex := c.inlineEx
	if ex == nil {
		return 0, false
	}
	ex.handedOff = true
	c.inlineEx = nil
	c.reader++
	return c.reader, true
}

// takeOver is the watch timer's callback: the handler is taking a while, so this goroutine becomes the reader.
func (c *conn) takeOver() {
	if reader, ok := c.releaseReader(); ok {
		c.read(reader)
	}
}

// needReader starts a reader for a handler that is about to wait for the client (record demand).
func (c *conn) needReader() {
	if reader, ok := c.releaseReader(); ok {
		go c.read(reader)
	}
}

func (c *conn) onData(msg []byte) error {
	end, data, err := wire.DecodeData(msg)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrProtocol, err)
	}
	c.mu.Lock()
	ex := c.ex
	c.mu.Unlock()
	if ex == nil || ex.reqDone {
		return fmt.Errorf("%w: body data after the request's end", ErrProtocol)
	}
	ex.received += int64(len(data))
	if ex.declared >= 0 && (ex.received > ex.declared || end && ex.received != ex.declared) {
		return fmt.Errorf("%w: request body is not the %d bytes its head declared", ErrProtocol, ex.declared)
	}
	if len(data) > 0 {
		ex.body.deliver(data)
	}
	if end {
		ex.body.end()
		c.mu.Lock()
		ex.reqDone = true
		idle := ex.respDone
		if idle {
			c.ex = nil
		}
		c.mu.Unlock()
		if idle {
			c.becameIdle()
		}
	}
	return nil
}

func (c *conn) onDemand(msg []byte) error {
	n, err := wire.DecodeDemand(msg)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrProtocol, err)
	}
	c.mu.Lock()
	ex := c.ex
	c.mu.Unlock()
	if ex == nil {
		return nil // it crossed the end of a record stream (SPEC.md §4)
	}
	return ex.w.grant(n)
}

// responseEnding is called by the handler's goroutine just before it sends the response's end: the socket is idle
// from then on if the request's body has ended too, and the idle timer starts. It runs before the end is sent so
// that the next request, which the client sends only after the end arrives, finds the socket idle. The caller calls
// becameIdle once the end is sent, if this returned true.
func (ex *exchange) responseEnding() (idle bool) {
	c := ex.c
	c.mu.Lock()
	ex.respDone = true
	idle = ex.reqDone
	if idle {
		c.ex = nil
		c.timer.Reset(c.srv.idleTimeout())
	}
	c.mu.Unlock()
	return idle
}

// becameIdle arms the idle timeout, or closes the socket if the server is shutting down.
func (c *conn) becameIdle() {
	if c.srv.shuttingDown() {
		c.closeWith(node.StatusGoingAway, "rest: server shutting down")
		return
	}
	c.timer.Reset(c.srv.idleTimeout())
}

// reject answers a request the server will not handle with status, then closes the socket.
func (c *conn) reject(status int, err error) {
	c.srv.logger().Info("rest: rejected request", "remote", c.remote, "status", status, "err", err)
	c.sendError(status, true)
	c.closeWith(node.StatusPolicyViolation, "rest: "+err.Error())
}

// sendError answers with status and its text as the whole response; close says the socket closes after it.
func (c *conn) sendError(status int, close bool) {
	h := wire.ResponseHead{
		Status:        status,
		Close:         close,
		ContentLength: -1,
		Header:        Header{"Content-Type": {"text/plain; charset=utf-8"}, "X-Content-Type-Options": {"nosniff"}},
	}
	body := StatusText(status) + "\n"
	h.ContentLength = int64(len(body))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.sock.Write(ctx, node.MessageBinary, wire.AppendResponse(nil, &h, true, []byte(body))); err != nil {
		c.srv.logger().Info("rest: sending error response", "remote", c.remote, "status", status, "err", err)
	}
}

// closeIfIdle closes the socket unless a request is in progress (Shutdown).
func (c *conn) closeIfIdle() {
	c.mu.Lock()
	idle := c.ex == nil
	c.mu.Unlock()
	if idle {
		c.closeWith(node.StatusGoingAway, "rest: server shutting down")
	}
}

// closeWith closes the socket with a close handshake, in the background: the handshake can take a while if the
// peer is gone. The reader's Read fails at once.
func (c *conn) closeWith(code node.StatusCode, reason string) {
	c.closeOnce.Do(func() {
		if len(reason) > 123 {
			reason = reason[:120] + "..."
		}
		go c.sock.Close(code, reason)
	})
}

func (c *conn) closeNow() {
	c.closeOnce.Do(func() { c.sock.CloseNow() })
}

// lost ends the socket after its reader stopped: the request in progress, if any, is cancelled.
func (c *conn) lost(err error) {
	if c.timer != nil {
		c.timer.Stop()
	}
	if c.watch != nil {
		c.watch.Stop()
	}
	c.mu.Lock()
	ex := c.ex
	c.mu.Unlock()
	if ex != nil {
		cause := fmt.Errorf("rest: client socket closed: %w", err)
		ex.cancel(cause)
		if ex.body != nil {
			ex.body.fail(cause)
		}
	}
	c.closeNow()
}

// run calls the handler, recovering its panics, then completes the response.
func (ex *exchange) run() {
	defer ex.finish()
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		if p != ErrAbortHandler {
			ex.c.srv.logger().Error("rest: handler panic", "remote", ex.c.remote, "method", ex.req.Method,
				"path", ex.req.URL.Path, "panic", p, "stack", string(debug.Stack()))
		}
		if p == ErrAbortHandler || !ex.w.fail(StatusInternalServerError) {
			ex.w.abort("rest: handler failed")
		}
	}()
	ex.c.srv.Handler.ServeREST(ex.w, ex.req)
}

func (ex *exchange) finish() {
	if ex.body != nil && ex.body.exceeded && !ex.w.wroteHeader {
		ex.w.fail(StatusRequestEntityTooLarge)
	}
	ex.w.finish()
	ex.cancel(context.Canceled)
	if ex.body != nil {
		ex.body.Close()
		if ex.body.exceeded {
			// The rest of an oversized body may still be coming; do not read it.
			ex.c.closeWith(node.StatusMessageTooBig, "rest: request body too large")
		}
	}
}
