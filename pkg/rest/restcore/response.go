package restcore

import (
	"fmt"
	"strconv"
	"sync"

	"github.com/smokenet/smoke/pkg/node"
	"github.com/smokenet/smoke/pkg/rest/internal/wire"
)

// chunkSize is how many body bytes a response buffers before it sends them as one message. Bigger messages cost
// less per byte (the socket splits them into 16 KiB frames anyway); the socket's flow control paces them.
const chunkSize = 128 << 10

// dataHead is the room the body buffer keeps in front of the body bytes: a chunk after the head goes out as a data
// message encoded in place, not copied into another buffer first.
const dataHead = wire.DataHeadLen

// keepBuf is the largest buffer a socket keeps for its next response; bigger ones (a large body's) are dropped.
const keepBuf = 4 << 10

// response is the ResponseWriter of one exchange. It buffers the body so that a small response, head, body
// and end, goes out as one message when the handler returns.
type response struct {
	ex     *exchange
	header Header
	status int

	wroteHeader bool // the status is fixed
	headSent    bool
	ended       bool
	isHead      bool // the request is HEAD: no body goes out
	kind        byte
	window      int64

	buf      []byte // dataHead bytes of room, then the body bytes not sent yet
	msg      []byte // encoding buffer of the head's message
	written  int64  // body bytes the handler wrote
	declared int64  // the handler's Content-Length, -1 if none
	err      error  // first send error; the socket is failing

	// Record streams: how many records may be sent now. The reader goroutine grants, the handler's spends.
	mu     sync.Mutex
	credit int64
	demand chan struct{} // size 1: credit was granted
}

var (
	_ ResponseWriter = (*response)(nil)
)

func newResponse(ex *exchange) *response {
	w := &response{ex: ex, header: make(Header), declared: -1, isHead: ex.req.Method == "HEAD"}
	c := ex.c
	c.mu.Lock()
	w.buf, w.msg = c.spareBuf, c.spareMsg
	c.spareBuf, c.spareMsg = nil, nil
	c.mu.Unlock()
	if cap(w.buf) < dataHead {
		w.buf = make([]byte, dataHead, 512)
	}
	w.buf = w.buf[:dataHead]
	return w
}

// pending returns the body bytes not sent yet.
func (w *response) pending() []byte { return w.buf[dataHead:] }

// giveBack returns the response's buffers to the socket for the next response, once the last message went out.
func (w *response) giveBack() {
	c := w.ex.c
	c.mu.Lock()
	if cap(w.buf) <= keepBuf {
		c.spareBuf = w.buf
	}
	if cap(w.msg) <= keepBuf {
		c.spareMsg = w.msg
	}
	c.mu.Unlock()
	w.buf, w.msg = nil, nil
}

func (w *response) Header() Header { return w.header }

func (w *response) WriteHeader(code int) {
	if w.wroteHeader {
		w.ex.c.srv.logger().Warn("rest: superfluous WriteHeader call", "code", code, "path", w.ex.req.URL.Path)
		return
	}
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code)) // as net/http does; run recovers it
	}
	if code < 200 {
		return // informational responses are not supported; the final status is still to come
	}
	w.wroteHeader = true
	w.status = code
	if cl := w.header.Get("Content-Length"); cl != "" {
		if n, err := strconv.ParseInt(cl, 10, 64); err == nil && n >= 0 {
			w.declared = n
		} else {
			w.header.Del("Content-Length")
		}
	}
}

// bodyAllowed reports whether the status lets a response carry a body (RFC 9110 §6.4.1).
func bodyAllowed(status int) bool {
	return status >= 200 && status != StatusNoContent && status != StatusNotModified
}

func (w *response) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(StatusOK)
	}
	switch {
	case w.ended:
		return 0, fmt.Errorf("rest: write after the response ended")
	case w.err != nil:
		return 0, w.err
	case w.kind == wire.KindRecords:
		return 0, fmt.Errorf("%w: Write on a record stream", ErrBodyKind)
	case !bodyAllowed(w.status):
		return 0, ErrBodyNotAllowed
	case w.declared >= 0 && w.written+int64(len(p)) > w.declared:
		return 0, ErrContentLength
	}
	w.written += int64(len(p))
	if w.isHead {
		return len(p), nil
	}
	n := len(p)
	for len(p) > 0 {
		k := min(len(p), chunkSize-len(w.pending()))
		if len(w.buf)+k > cap(w.buf) && len(w.pending())+len(p) >= chunkSize {
			// A chunk's worth is coming: grow once to a whole chunk rather than step by step.
			w.buf = append(make([]byte, 0, dataHead+chunkSize), w.buf...)
		}
		w.buf = append(w.buf, p[:k]...)
		p = p[k:]
		if len(w.pending()) >= chunkSize {
			if err := w.send(false); err != nil {
				return n - len(p), err
			}
		}
	}
	return n, nil
}

// Flush sends the head, if not sent yet, and the buffered body now.
func (w *response) Flush() error {
	if !w.wroteHeader {
		w.WriteHeader(StatusOK)
	}
	if w.ended {
		return nil
	}
	if w.err != nil {
		return w.err
	}
	if w.headSent && len(w.pending()) == 0 {
		return nil
	}
	return w.send(false)
}

// send sends the head (if not sent yet) and the buffered body as one message; end marks the body's end.
func (w *response) send(end bool) error {
	if w.err != nil {
		return w.err
	}
	var msg []byte
	if !w.headSent {
		h := wire.ResponseHead{Status: w.status, Kind: w.kind, ContentLength: -1, Header: w.header}
		// Tell the client when the socket will close after this response, so that it does not reuse it.
		h.Close = w.ex.body != nil && w.ex.body.exceeded || w.ex.c.srv.shuttingDown()
		switch {
		case w.isHead || !bodyAllowed(w.status):
		case w.kind == wire.KindRecords:
			h.Window = uint64(w.window)
		case end:
			h.ContentLength = int64(len(w.pending()))
		default:
			h.ContentLength = w.declared
		}
		if _, ok := w.header["Content-Type"]; !ok && len(w.pending()) > 0 && w.kind == wire.KindBytes {
			w.header.Set("Content-Type", DetectContentType(w.pending())) // as net/http does
		}
		msg = wire.AppendResponse(w.msg[:0], &h, end, w.pending())
		w.msg = msg
		w.headSent = true
	} else {
		wire.AppendData(w.buf[:0], end, nil) // in the room in front of the body bytes
		msg = w.buf
	}
	idle := false
	if end {
		w.ended = true
		idle = w.ex.responseEnding()
	}
	err := w.ex.c.sock.Write(w.ex.ctx, node.MessageBinary, msg)
	w.buf = w.buf[:dataHead] // the socket is done with msg
	if err != nil {
		w.err = fmt.Errorf("rest: sending response: %w", err)
		return w.err
	}
	if idle && w.ex.c.srv.shuttingDown() { // (the idle timer is already armed)
		w.ex.c.closeWith(node.StatusGoingAway, "rest: server shutting down")
	}
	if end {
		w.giveBack()
	}
	return nil
}

// finish completes the response after the handler returned.
func (w *response) finish() {
	if w.ended || w.err != nil {
		return
	}
	if !w.wroteHeader {
		w.WriteHeader(StatusOK)
	}
	if w.declared >= 0 && !w.isHead && bodyAllowed(w.status) && w.written < w.declared {
		w.abort(fmt.Sprintf("rest: handler wrote %d of its %d-byte Content-Length", w.written, w.declared))
		return
	}
	w.send(true)
}

// fail replaces a response whose head was not sent with an error status; false if the head went out already.
func (w *response) fail(status int) bool {
	if w.headSent || w.ended {
		return false
	}
	w.header = Header{"Content-Type": {"text/plain; charset=utf-8"}, "X-Content-Type-Options": {"nosniff"}}
	w.status, w.wroteHeader, w.kind, w.declared = status, true, wire.KindBytes, -1
	w.buf = append(w.buf[:dataHead], StatusText(status)+"\n"...)
	w.written = int64(len(w.pending()))
	return true
}

// abort ends a response that cannot complete by closing the socket: the client's body read fails.
func (w *response) abort(reason string) {
	w.ended = true
	w.err = fmt.Errorf("%s", reason)
	w.ex.c.closeWith(node.StatusInternalError, reason)
}

// grant adds demand from the client to a record stream. Demand for a response that is no record stream, or is over,
// is dropped (it may cross the end); demand beyond the window is a protocol violation.
func (w *response) grant(n uint64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.demand == nil {
		return nil
	}
	if w.credit+int64(n) > w.window {
		return fmt.Errorf("%w: demand beyond the record window of %d", ErrProtocol, w.window)
	}
	w.credit += int64(n)
	select {
	case w.demand <- struct{}{}:
	default:
	}
	return nil
}

// asResponse finds this package's ResponseWriter under w, through wrappers that have Unwrap as
// http.ResponseController expects (pkg/rest's adapter has it).
func asResponse(w ResponseWriter) *response {
	for {
		switch x := w.(type) {
		case *response:
			return x
		case interface{ Unwrap() ResponseWriter }:
			w = x.Unwrap()
		default:
			return nil
		}
	}
}

func setBodyKind(w ResponseWriter, k Kind) error {
	r := asResponse(w)
	if r == nil {
		return nil
	}
	switch {
	case k != KindBytes && k != KindMedia:
		return fmt.Errorf("%w: SetBodyKind(%v): use NewRecordWriter for records", ErrBodyKind, k)
	case r.headSent:
		return fmt.Errorf("%w: SetBodyKind after the head was sent", ErrBodyKind)
	case r.kind == wire.KindRecords:
		return fmt.Errorf("%w: the body is a record stream", ErrBodyKind)
	}
	r.kind = byte(k)
	return nil
}
