package restcore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/smokenet/smoke/pkg/node"
	"github.com/smokenet/smoke/pkg/rest/internal/wire"
)

// inlineMax is the largest request body sent in the head's message; a bigger one, or one of unknown length, streams.
const inlineMax = 64 << 10

// hostKey is what the pool groups sockets by.
type hostKey struct {
	address string
	port    int
}

// retryableError is a failure on a reused socket before any of the response arrived: the server had closed the
// idle socket. The request is sent again on a new one, if its body can be sent again.
type retryableError struct{ err error }

func (e retryableError) Error() string { return e.err.Error() }
func (e retryableError) Unwrap() error { return e.err }

func (t *Transport) roundTrip(req *Request) (*Response, error) {
	fail := func(err error) (*Response, error) {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	switch {
	case t.Node == nil:
		return fail(errors.New("rest: Transport.Node is nil"))
	case req.URL == nil:
		return fail(errors.New("rest: request has no URL"))
	case req.URL.Scheme != "rest":
		return fail(fmt.Errorf("%w %q", ErrUnsupportedScheme, req.URL.Scheme))
	}
	address := req.URL.Hostname()
	if address == "" {
		address = "localhost"
	}
	port := DefaultPort
	if p := req.URL.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return fail(fmt.Errorf("rest: invalid port %q", p))
		}
		port = n
	}
	key := hostKey{address, port}
	head := wire.RequestHead{Method: req.Method, Target: req.URL.RequestURI(), Host: req.Host, Header: req.Header}
	if head.Method == "" {
		head.Method = "GET"
	}
	if head.Host == "" {
		head.Host = req.URL.Host
	}
	if head.Host == "" {
		head.Host = "localhost"
	}

	// A body of known, small length goes with the head; any other streams after it.
	var (
		inline []byte
		end    = true
		stream io.ReadCloser
	)
	switch {
	case req.Body == nil || req.Body == NoBody:
	case req.ContentLength > 0 && req.ContentLength <= inlineMax:
		inline = make([]byte, req.ContentLength)
		_, err := io.ReadFull(req.Body, inline)
		req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("rest: reading request body: %w", err)
		}
	default:
		stream, end = req.Body, false
	}
	head.ContentLength = int64(len(inline))
	if stream != nil {
		head.ContentLength = -1
		if req.ContentLength > 0 {
			head.ContentLength = req.ContentLength
		}
	}

	ctx := req.Context()
	for attempt := 0; ; attempt++ {
		pc, err := t.pool.get(ctx, t, key)
		if err != nil {
			if stream != nil {
				stream.Close()
			}
			return nil, err
		}
		resp, err := pc.roundTrip(req, &head, end, inline, stream)
		var re retryableError
		if !errors.As(err, &re) || attempt >= 2 || ctx.Err() != nil {
			return resp, err
		}
		if stream != nil { // sent in part: send it again only if it can be had again
			if req.GetBody == nil {
				return nil, err
			}
			if stream, err = req.GetBody(); err != nil {
				return nil, err
			}
		}
		continue
	}
}

// clientConn is a socket of the Transport's pool.
type clientConn struct {
	t         *Transport
	key       hostKey
	sock      *node.Socket
	reused    bool   // it served a request before this one
	msg       []byte // encoding buffer, reused
	idleTimer *time.Timer
}

func (pc *clientConn) roundTrip(req *Request, head *wire.RequestHead, end bool, inline []byte, stream io.ReadCloser) (*Response, error) {
	ctx := req.Context()
	ex := newClientExchange(pc, ctx, stream == nil)
	pc.msg = wire.AppendRequest(pc.msg[:0], head, end, inline)
	if err := pc.sock.Write(ctx, node.MessageBinary, pc.msg); err != nil {
		ex.abort(err)
		if stream != nil {
			stream.Close()
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if pc.reused {
			return nil, retryableError{err}
		}
		return nil, fmt.Errorf("rest: sending request: %w", err)
	}
	if stream != nil {
		go ex.writeBody(stream, head.ContentLength)
	}

	rctx := ctx
	if d := pc.t.ResponseHeaderTimeout; d > 0 {
		var cancel context.CancelFunc
		rctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	_, msg, err := pc.sock.Read(rctx)
	if err != nil {
		ex.abort(err)
		switch {
		case ex.bodyErr() != nil:
			return nil, ex.bodyErr()
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case rctx.Err() != nil:
			return nil, fmt.Errorf("rest: no response head in %v: %w", pc.t.ResponseHeaderTimeout, rctx.Err())
		case pc.reused && isClosed(err):
			return nil, retryableError{err}
		}
		return nil, fmt.Errorf("rest: reading response: %w", err)
	}
	h, ended, body, err := wire.DecodeResponse(msg, pc.t.maxHeaderBytes())
	if err != nil {
		ex.abort(err)
		return nil, fmt.Errorf("%w: response head: %w", ErrProtocol, err)
	}
	if h.Header == nil {
		h.Header = make(Header)
	}
	resp := &Response{
		Status:        statusLine(h.Status),
		StatusCode:    h.Status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h.Header,
		ContentLength: h.ContentLength,
		Request:       req,
	}
	if req.Method == "HEAD" && resp.ContentLength < 0 {
		if n, err := strconv.ParseInt(h.Header.Get("Content-Length"), 10, 64); err == nil && n >= 0 {
			resp.ContentLength = n
		}
	}
	b := &responseBody{ex: ex, kind: h.Kind, window: int64(h.Window), declared: h.ContentLength}
	b.buf, b.received = body, int64(len(body))
	b.rec = h.Kind == wire.KindRecords && len(body) > 0
	ex.mu.Lock()
	ex.noReuse = h.Close
	ex.mu.Unlock()
	resp.Body = b
	if ended {
		b.done = true
		ex.responseEnded()
	}
	return resp, nil
}

// isClosed reports whether err says the socket was closed, by either side.
func isClosed(err error) bool {
	var ce node.CloseError
	return errors.As(err, &ce) || errors.Is(err, net.ErrClosed) || errors.Is(err, io.ErrUnexpectedEOF)
}

// statusLines are the Status strings of the responses that have a status text, made on first use rather than in
// package initialisation, which every page load pays (make bench, section wasm: package init).
var statusLines = sync.OnceValue(func() (s *[600]string) {
	s = new([600]string)
	for code := range s {
		if text := StatusText(code); text != "" {
			s[code] = strconv.Itoa(code) + " " + text
		}
	}
	return s
})

// statusLine is a Response's Status for code, as net/http makes it: "200 OK".
func statusLine(code int) string {
	if lines := statusLines(); code >= 0 && code < len(lines) && lines[code] != "" {
		return lines[code]
	}
	return strconv.Itoa(code) + " " + StatusText(code)
}
