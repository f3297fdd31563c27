package rest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime/debug"
	"sync"
	"time"

	"github.com/smokenet/smoke/pkg/node"
	"github.com/smokenet/smoke/pkg/rest/internal/wire"
)

// conn serves the requests of one accepted socket, one at a time. Its reader goroutine (serve) reads every message
// the client sends: a request head starts a handler goroutine, body data feeds that request's body, demand feeds its
// record stream. It keeps reading while the handler runs, so a client that closes the socket (it cancelled, or went
// away) cancels the handler's context at once.
type conn struct {
	srv    *Server
	sock   *node.Socket
	remote string
	// timer closes a socket that waits too long for a head: ReadHeaderTimeout for the first, IdleTimeout after.
	timer *time.Timer

	mu     sync.Mutex
	ex     *exchange // the request in progress, nil between requests
	served bool      // a request has arrived (the timer now means idleness)

	closeOnce sync.Once
}

// exchange is one request and its response.
type exchange struct {
	c      *conn
	req    *http.Request
	ctx    context.Context
	cancel context.CancelCauseFunc
	w      *response
	body   *requestBody // nil when the whole body came with the head

	// Under c.mu: which halves are over. The socket is idle again once both are.
	reqDone, respDone bool

	// Reader goroutine only.
	declared, received int64
}

// errStop ends the reader loop after it already answered and closed the socket.
var errStop = errors.New("rest: socket closed after an error response")

func newConn(s *Server, sock *node.Socket) *conn {
	c := &conn{srv: s, sock: sock}
	if a, ok := sock.RemoteAddr().(node.Addr); ok {
		c.remote = a.Node
	}
	return c
}

func (c *conn) serve() {
	defer c.srv.removeConn(c)
	defer func() {
		// Nothing below should panic on peer input; this is the last guard (DESIGN.md decision 6).
		if p := recover(); p != nil {
			c.srv.logger().Error("rest: panic serving socket", "remote", c.remote, "panic", p, "stack", string(debug.Stack()))
			c.lost(fmt.Errorf("rest: internal error: %v", p))
		}
	}()
	c.timer = time.AfterFunc(c.srv.readHeaderTimeout(), c.timeout)
	for {
		_, msg, err := c.sock.Read(context.Background())
		if err == nil {
			err = c.handle(msg)
			if err != nil && !errors.Is(err, errStop) {
				c.srv.logger().Warn("rest: closing socket", "remote", c.remote, "err", err)
				c.closeWith(node.StatusProtocolError, err.Error())
			}
		}
		if err != nil {
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
		status := http.StatusBadRequest
		if errors.Is(err, wire.ErrHeadTooLarge) {
			status = http.StatusRequestHeaderFieldsTooLarge
		}
		c.reject(status, err)
		return errStop
	}
	u, err := url.ParseRequestURI(h.Target)
	if err != nil {
		c.reject(http.StatusBadRequest, err)
		return errStop
	}
	if limit := c.srv.MaxBodyBytes; limit > 0 && (h.ContentLength > limit || int64(len(body)) > limit) {
		if !end { // the body is still coming: rather than read and drop it, close
			c.reject(http.StatusRequestEntityTooLarge, errors.New("request body too large"))
			return errStop
		}
		c.sendError(http.StatusRequestEntityTooLarge, false)
		c.becameIdle()
		return nil
	}
	if h.Header == nil {
		h.Header = make(http.Header)
	}

	ctx, cancel := context.WithCancelCause(c.srv.state.ctx)
	ex := &exchange{c: c, ctx: ctx, cancel: cancel, declared: h.ContentLength, reqDone: end}
	r := &http.Request{
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
		r.Body = http.NoBody
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
	c.mu.Lock()
	c.ex = ex
	c.mu.Unlock()
	go ex.run()
	if !end && len(body) > 0 {
		ex.received = int64(len(body))
		ex.body.deliver(body)
	}
	return nil
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
		Header:        http.Header{"Content-Type": {"text/plain; charset=utf-8"}, "X-Content-Type-Options": {"nosniff"}},
	}
	body := http.StatusText(status) + "\n"
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
		if p != http.ErrAbortHandler {
			ex.c.srv.logger().Error("rest: handler panic", "remote", ex.c.remote, "method", ex.req.Method,
				"path", ex.req.URL.Path, "panic", p, "stack", string(debug.Stack()))
		}
		if p == http.ErrAbortHandler || !ex.w.fail(http.StatusInternalServerError) {
			ex.w.abort("rest: handler failed")
		}
	}()
	ex.c.srv.Handler.ServeHTTP(ex.w, ex.req)
}

func (ex *exchange) finish() {
	if ex.body != nil && ex.body.exceeded && !ex.w.wroteHeader {
		ex.w.fail(http.StatusRequestEntityTooLarge)
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
