package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall/js"

	"github.com/smokenet/smoke/internal/jsx"
	"github.com/smokenet/smoke/pkg/node"
	"github.com/smokenet/smoke/pkg/rest/restcore"
)

// The REST half of the JS face: node.rest.createServer() serves a JavaScript router as a restcore.Handler through
// pkg/rest/restcore, and node.rest.fetch() runs a restcore Transport (restcore, not pkg/rest: net/http stays out of
// smoke.wasm). The router, the request and response objects and body shaping are JavaScript (npm/src/rest.js);
// this file moves heads and bytes and does all the waiting.
//
// Server: each request runs in its handler goroutine (restcore's), which calls the server's JavaScript dispatch
// function with the request head, then serves the response from a queue that the response's native calls
// (restRespond, restAbort) fill, until the response ends or the client goes away. Only that goroutine touches
// the ResponseWriter. JavaScript learns that there is room for more of a streamed body through callbacks it
// passes in (resolve, reject of a Promise it made), which Go calls from the handler goroutine, and how the exchange
// ended through the server's done function, called once per request: no Go function is made per request. Heads
// cross as one packed string each way (packStrings), not as objects or arrays: every JavaScript value that crosses
// into Go costs a call and a finalizer, every string a conversion.
//
// Bodies that go to JavaScript (a fetch's response body, a request body on the server) are read ahead by one
// goroutine each into a bounded buffer (restBodyBuffer); bodyRead hands JavaScript everything buffered, as one
// Uint8Array, at once if there is some, else through the callbacks it passed. Bodies that come from JavaScript are
// bytes (copied into Go once) or a pull source that Go reads chunk by chunk, copying each straight into the
// Transport's buffer.

const (
	// restBodyBuffer bounds how far a body read by JavaScript is read ahead of it, in bytes.
	restBodyBuffer = 1 << 20
	// restReadSize is the size of one read of a body into the buffer.
	restReadSize = 64 << 10
	// restHighWater and restLowWater bound the bytes a response has queued for its handler goroutine: write()
	// says "no room" at restHighWater, and room comes back below restLowWater.
	restHighWater = 1 << 20
	restLowWater  = 256 << 10
)

// Errors of the REST face.
var (
	errClientGone   = errors.New("smoke: rest: the client has gone, or the response has ended")
	errFetchAborted = errors.New("aborted")
	errRedirect     = errors.New("smoke: fetch: redirected, and the request said redirect: 'error'")
)

var uint8ArrayCtor = js.Global().Get("Uint8Array")

// callbacks are the two functions of a JavaScript Promise that a native call was given to settle later.
type callbacks struct{ resolve, reject js.Value }

// callbacksArg returns the resolve and reject arguments i and i+1 (declared func), or nil when they are absent.
func callbacksArg(a args, i int) *callbacks {
	if !a.has(i) || !a.has(i+1) {
		return nil
	}
	return &callbacks{resolve: a.val(i), reject: a.val(i + 1)}
}

// ok and fail settle the promise. They are called outside any lock; the functions are the loader's promise
// functions, which cannot throw.
func (c *callbacks) ok(v js.Value) {
	if c != nil {
		_, _ = fastInvoke(c.resolve, v)
	}
}

func (c *callbacks) fail(err error) {
	if c != nil {
		_, _ = fastInvoke(c.reject, jsx.ErrorValue(err))
	}
}

// fastInvoke calls fn(args...) directly, and returns its exception as an error: the hot-path form of jsx.Invoke, for
// functions of the loader's own and arguments that js.ValueOf takes as they are (numbers, strings, bools,
// js.Value). Any other panic is a bug here, and goes on.
func fastInvoke(fn js.Value, args ...any) (v js.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			jerr, ok := r.(js.Error)
			if !ok {
				panic(r)
			}
			v, err = js.Undefined(), jsx.ErrorFrom(jerr.Value)
		}
	}()
	return fn.Invoke(args...), nil
}

// packStrings returns parts joined by NUL, as one string for JavaScript to split: one string crosses instead of
// one per part. When a part holds a NUL itself it returns them as an array instead, which JavaScript takes as is.
func packStrings(parts []string) any {
	n := 0
	for _, p := range parts {
		if strings.IndexByte(p, 0) >= 0 {
			out := make([]any, len(parts))
			for i, p := range parts {
				out[i] = p
			}
			v, _ := jsx.ValueOf(out)
			return v
		}
		n += len(p) + 1
	}
	var b strings.Builder
	b.Grow(n)
	for i, p := range parts {
		if i > 0 {
			b.WriteByte(0)
		}
		b.WriteString(p)
	}
	return b.String()
}

// unpackStrings reads what JavaScript packed the same way: a string of NUL-separated parts ("" is none), or an
// array of strings.
func unpackStrings(v js.Value, what string) ([]string, error) {
	switch v.Type() {
	case js.TypeString:
		s := v.String()
		if s == "" {
			return nil, nil
		}
		return strings.Split(s, "\x00"), nil
	case js.TypeObject:
		n := v.Length()
		out := make([]string, n)
		for i := range n {
			out[i] = v.Index(i).String()
		}
		return out, nil
	}
	return nil, typeError("%s must be an array", what)
}

// ---------------------------------------------------------------------------------------------------------------
// Server

// restServer is a JavaScript RestServer listening on a port.
type restServer struct {
	id        int
	r         *registry
	port      int
	l         *node.Listener
	srv       *restcore.Server
	onRequest js.Value // the router's dispatch: (exchange, body, remotePort, head) (see requestHead)
	onDone    js.Value // (exchange, how, error?): the exchange is over (see exchangeDone)
}

// restListen(node, port, dispatch, done) → server handle. Like netBind it binds at once, so that listen() throws
// ERR_PORT_IN_USE and a fetch on the next line finds the port bound.
func (r *registry) restListen(a args) (any, error) {
	jn, err := r.node(a, 0)
	if err != nil {
		return nil, err
	}
	port, onRequest, onDone := a.int(1), a.val(2), a.val(3)
	l, err := jn.n.Listen(port)
	if err != nil {
		return nil, coded(fmt.Sprintf("cannot listen on port %d", port), err)
	}
	s := &restServer{r: r, port: port, l: l, onRequest: onRequest, onDone: onDone}
	s.srv = &restcore.Server{Handler: s}
	s.id = r.add(s)
	go func() {
		defer guard("a REST server")
		_ = s.srv.Serve(l) // returns when closed, or when the node is disposed
		r.remove(s.id)
	}()
	return s.id, nil
}

// restClose(server) → boolean: stop serving. The port is free when it returns (Listener.Close only takes a lock);
// the server's sockets close in the background.
func (r *registry) restClose(a args) (any, error) {
	s, ok := take[*restServer](r, a.int(0))
	if !ok {
		return false, nil
	}
	s.l.Close()
	go func() {
		defer guard("closing a REST server")
		_ = s.srv.Close()
	}()
	return true, nil
}

// resOp is one step of a response, queued by JavaScript for the handler goroutine.
type resOp struct {
	head    bool
	status  int
	header  []string // name, value, name, value, ...
	data    []byte
	records bool // the body is a record stream (res.query): data holds records, JSON joined by newlines
	media   bool // the head starts a media response (res.mediastream, media_js.go): body kind media
	end     bool
	abort   bool
}

// queryWindow is the record window of a record stream served from JavaScript (res.query): how many records the
// server may send beyond what the client consumed. With the one batch queued and the one being written, it bounds
// how far the server reads its query ahead of the client.
const queryWindow = 2048

// exchange is one request being answered by JavaScript.
type exchange struct {
	id   int
	wake chan struct{} // size 1: ops grew

	mu       sync.Mutex
	ops      []resOp
	recOps   int          // record ops queued and not taken by the handler goroutine yet
	queued   int          // bytes in ops and in the Write in progress
	drain    []*callbacks // waiting for queued < restLowWater
	finished bool         // the handler is done: no more ops
}

// How an exchange ended, for the router's done(exchange, how, error): the end was written (res.end() resolves),
// the client went away (req.signal aborts, and res.end() rejects with error), or the response was cut or never
// dispatched (res.end() rejects with error).
const (
	exchangeDone = 0
	exchangeGone = 1
	exchangeCut  = 2
)

// why the handler loop stopped.
type exchangeEnd int

const (
	endNormal exchangeEnd = iota
	endAbort              // res.abort(): cut the response
	endGone               // the client went away, or a write failed
)

// ServeREST hands the request to the JavaScript router and writes what it answers.
func (s *restServer) ServeREST(w restcore.ResponseWriter, r *restcore.Request) {
	// restcore recovers a handler's panic (and answers 500, or cuts the response); this only makes sure that a bug
	// here is seen on the console, where a page's developer looks.
	defer func() {
		if p := recover(); p != nil {
			if p != restcore.ErrAbortHandler {
				consoleError(fmt.Sprintf("smoke: internal error serving %s %s on port %d: %v", r.Method, r.URL.Path, s.port, p))
			}
			panic(p)
		}
	}()
	reg := s.r
	ex := &exchange{wake: make(chan struct{}, 1)}
	var body *jsBody
	if r.Body != nil && r.Body != restcore.NoBody && r.ContentLength != 0 {
		body = reg.newBody(r.Body, nil, func(err error) error { return coded("cannot read the request body", err) })
	}
	ex.id = reg.add(ex)

	end := endAbort // until serve says otherwise: a panic there cuts the response
	dispatched := false
	defer func() {
		reg.remove(ex.id)
		ex.mu.Lock()
		ex.finished = true
		drain := ex.drain
		ex.drain, ex.ops = nil, nil
		ex.mu.Unlock()
		if dispatched {
			// One call tells the router how the exchange went: it settles res.end()'s promise, and aborts
			// req.signal when the client has gone. The router's done function cannot throw.
			switch end {
			case endNormal:
				_, _ = fastInvoke(s.onDone, ex.id, exchangeDone)
			case endGone:
				_, _ = fastInvoke(s.onDone, ex.id, exchangeGone, jsx.ErrorValue(coded("", errClientGone)))
			default:
				_, _ = fastInvoke(s.onDone, ex.id, exchangeCut, jsx.ErrorValue(coded("", errClientGone)))
			}
		}
		if body != nil {
			body.cancel(errClientGone) // a request body is not readable after the handler returns
		}
		for _, c := range drain {
			c.fail(coded("", errClientGone))
		}
	}()

	_, err := fastInvoke(s.onRequest, ex.id, bodyID(body), remotePort(r), requestHead(r))
	if err != nil {
		consoleError(fmt.Sprintf("smoke: rest: dispatching %s %s:", r.Method, r.URL.Path), jsx.ErrorValue(err))
		internalError(w)
		return
	}
	dispatched = true
	end = ex.serve(r.Context(), w)
	if end == endAbort {
		panic(restcore.ErrAbortHandler) // restcore cuts the response, as net/http does
	}
}

// internalError answers 500 as http.Error does.
func internalError(w restcore.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(restcore.StatusInternalServerError)
	_, _ = w.Write([]byte("Internal Server Error\n"))
}

func bodyID(body *jsBody) int {
	if body == nil {
		return 0
	}
	return body.id
}

// remoteAddr splits r.RemoteAddr into address and port (0 when it has none).
func remoteAddr(r *restcore.Request) (string, int) {
	addr := r.RemoteAddr
	if i := strings.LastIndexByte(addr, ':'); i >= 0 {
		if p, err := strconv.Atoi(addr[i+1:]); err == nil {
			return addr[:i], p
		}
	}
	return addr, 0
}

func remotePort(r *restcore.Request) int {
	_, p := remoteAddr(r)
	return p
}

// requestHead is the head the router gets for a request, packed (packStrings): method, url, host, remote
// address, then the headers as name, value, ..., in sorted name order.
func requestHead(r *restcore.Request) any {
	uri := r.RequestURI
	if uri == "" {
		uri = r.URL.RequestURI()
	}
	addr, _ := remoteAddr(r)
	parts := make([]string, 0, 4+2*len(r.Header))
	parts = append(parts, r.Method, uri, r.Host, addr)
	return packStrings(appendHeader(parts, r.Header))
}

// appendHeader appends h to parts as name, value, name, value, ..., in sorted name order.
func appendHeader(parts []string, h restcore.Header) []string {
	switch len(h) {
	case 0:
		return parts
	case 1:
		for k, vs := range h {
			for _, v := range vs {
				parts = append(parts, k, v)
			}
		}
		return parts
	}
	for _, k := range slices.Sorted(maps.Keys(h)) {
		for _, v := range h[k] {
			parts = append(parts, k, v)
		}
	}
	return parts
}

// serve writes the queued ops until the end, an abort, or the client's going.
func (ex *exchange) serve(ctx context.Context, w restcore.ResponseWriter) exchangeEnd {
	var rw *restcore.RecordWriter // the record stream of res.query
	for {
		ex.mu.Lock()
		ops := ex.ops
		ex.ops = nil
		ex.mu.Unlock()
		if len(ops) == 0 {
			select {
			case <-ex.wake:
				continue
			case <-ctx.Done():
				return endGone
			}
		}
		for i, op := range ops {
			ops[i] = resOp{}
			if op.abort {
				return endAbort
			}
			if op.head {
				h := w.Header()
				for j := 0; j+1 < len(op.header); j += 2 {
					h.Add(op.header[j], op.header[j+1])
				}
				// A record stream (res.query) is a kind of body restcore marks in the head (restcore.NewRecordWriter);
				// media (res.mediastream) is another (restcore.SetBodyKind).
				if op.media {
					_ = restcore.SetBodyKind(w, restcore.KindMedia)
				}
				if op.records {
					w.WriteHeader(op.status)
					var err error
					if rw, err = restcore.NewRecordWriter(w, &restcore.RecordOptions{Window: queryWindow}); err != nil {
						consoleError("smoke: rest: res.query: " + err.Error())
						return endAbort
					}
				} else {
					w.WriteHeader(op.status)
				}
			}
			if op.records && len(op.data) > 0 {
				ex.tookRecords()
				if rw == nil {
					return endAbort
				}
				err := rw.WriteLines(ctx, op.data) // JSON.stringify made them: compact, one per line
				ex.wrote(len(op.data))
				if err != nil {
					return endGone // the client stopped reading, or went away
				}
			} else if len(op.data) > 0 {
				_, err := w.Write(op.data)
				ex.wrote(len(op.data))
				if err != nil {
					return endGone
				}
			}
			if op.end {
				if rw != nil && rw.Close() != nil {
					return endGone
				}
				return endNormal // the router hears of it (done), and restcore sends the end when the handler returns
			}
		}
		ex.mu.Lock()
		idle := len(ex.ops) == 0
		ex.mu.Unlock()
		if idle {
			// Nothing more queued: send what restcore buffered (a streamed head, a chunk), not wait for more.
			if err := w.Flush(); err != nil {
				return endGone
			}
		}
	}
}

// room says whether JavaScript may queue more: fewer than restHighWater bytes queued, and no batch of records
// waiting for the one being written (a record stream stays one batch ahead of the network, not a megabyte).
// ex.mu is held.
func (ex *exchange) room() bool { return ex.queued < restHighWater && ex.recOps == 0 }

// tookRecords counts a record op taken by the handler goroutine, and wakes the writers waiting for room.
func (ex *exchange) tookRecords() {
	ex.mu.Lock()
	ex.recOps--
	var ready []*callbacks
	if ex.room() {
		ready, ex.drain = ex.drain, nil
	}
	ex.mu.Unlock()
	for _, c := range ready {
		c.ok(js.Null())
	}
}

// wrote accounts for n bytes written and wakes the writers waiting for room.
func (ex *exchange) wrote(n int) {
	ex.mu.Lock()
	ex.queued -= n
	var ready []*callbacks
	if ex.queued < restLowWater && ex.recOps == 0 {
		ready, ex.drain = ex.drain, nil
	}
	ex.mu.Unlock()
	for _, c := range ready {
		c.ok(js.Null())
	}
}

// exchange returns the exchange with the handle in argument 0; ERR_ABORTED once it is over.
func (r *registry) exchange(a args) (*exchange, error) {
	ex, ok := lookup[*exchange](r, a.int(0))
	if !ok {
		return nil, coded("", errClientGone)
	}
	return ex, nil
}

// restRespond(exchange, status?, headers?, chunk?, end) → boolean: queue the next part of a response: the head (when
// status is a number; headers packed as packStrings does), a chunk of the body, and the end (the router's done
// hears when it is written). It returns whether there is room for more (false: wait with restDrain). Throws
// ERR_ABORTED once the client has gone.
func (r *registry) restRespond(a args) (any, error) {
	ex, err := r.exchange(a)
	if err != nil {
		return nil, err
	}
	var op resOp
	if a.has(1) {
		if err := op.setHead(a); err != nil {
			return nil, err
		}
	}
	if c := a.val(3); a.has(3) {
		if c.InstanceOf(uint8ArrayCtor) {
			if n := c.Length(); n > 0 {
				op.data = make([]byte, n)
				js.CopyBytesToGo(op.data, c)
			}
		} else if op.data, err = jsx.Bytes(c); err != nil {
			return nil, typeError("a body chunk must be bytes")
		}
	}
	op.end = a.bool(4)
	return ex.queue(op)
}

// restRecords(exchange, status?, headers?, records?, end?) → boolean: restRespond for a record stream (res.query):
// the head (when status is a number) starts one, records are a batch, JSON joined by newlines, and end ends it. It
// returns whether there is room for another batch: false while one waits for the batch being written, which waits
// for the client's demand (wait with restDrain).
func (r *registry) restRecords(a args) (any, error) {
	ex, err := r.exchange(a)
	if err != nil {
		return nil, err
	}
	op := resOp{records: true, end: a.bool(4)}
	if a.has(1) {
		if err := op.setHead(a); err != nil {
			return nil, err
		}
	}
	if a.has(3) {
		op.data = []byte(a.str(3))
	}
	return ex.queue(op)
}

// setHead makes op carry the head: status and headers, arguments 1 and 2 of a response call.
func (op *resOp) setHead(a args) error {
	op.status = a.int(1)
	if op.status < 200 || op.status > 999 {
		return rangeError("ERR_INVALID_STATUS", "status must be 200-999, got %d", op.status)
	}
	op.head = true
	var err error
	op.header, err = unpackStrings(a.val(2), "headers")
	return err
}

// queue hands op to the exchange's writer and says whether JavaScript may queue more (room); a record batch counts
// until the writer takes it.
func (ex *exchange) queue(op resOp) (any, error) {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	if ex.finished {
		return nil, coded("", errClientGone)
	}
	ex.ops = append(ex.ops, op)
	ex.queued += len(op.data)
	if op.records && len(op.data) > 0 {
		ex.recOps++
	}
	notify(ex.wake)
	return ex.room(), nil
}

// restDrain(exchange, resolve, reject): settle when the response has room for more (at once if it has), or has
// failed.
func (r *registry) restDrain(a args) (any, error) {
	ex, err := r.exchange(a)
	if err != nil {
		return nil, err
	}
	cb := callbacksArg(a, 1)
	ex.mu.Lock()
	switch {
	case ex.finished:
		ex.mu.Unlock()
		return nil, coded("", errClientGone)
	case ex.room():
		ex.mu.Unlock()
		cb.ok(js.Null())
	default:
		ex.drain = append(ex.drain, cb)
		ex.mu.Unlock()
	}
	return nil, nil
}

// restAbort(exchange): cut the response after what is queued so far.
func (r *registry) restAbort(a args) (any, error) {
	ex, err := r.exchange(a)
	if err != nil {
		return nil, nil // gone already
	}
	ex.mu.Lock()
	defer ex.mu.Unlock()
	if !ex.finished {
		ex.ops = append(ex.ops, resOp{abort: true})
		notify(ex.wake)
	}
	return nil, nil
}
