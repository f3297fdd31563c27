package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime/debug"
	"strconv"
	"sync"
	"syscall/js"
	"time"

	"github.com/smokenet/smoke/internal/jsx"
	"github.com/smokenet/smoke/pkg/node"
)

// readyState is a socket's state as JavaScript sees it, WebSocket's four.
type readyState int

const (
	stateConnecting readyState = iota
	stateOpen
	stateClosing
	stateClosed
)

func (s readyState) String() string {
	return [...]string{"connecting", "open", "closing", "closed"}[s]
}

// outMsg is what send() and close() queue for the writer: a message, or the close that ends the queue.
type outMsg struct {
	typ    node.MessageType
	data   []byte
	close  bool
	code   node.StatusCode
	reason string
}

// event is one event for the emitter.
type event struct {
	kind          string // open, message, error, close
	typ           node.MessageType
	data          []byte
	err           error
	local, remote node.Addr // open
	code          node.StatusCode
	reason        string
	clean         bool
}

// jsSocket is a node.Socket as JavaScript holds it: a Socket object with WebSocket-like events, a send queue,
// and close codes. Three goroutines serve it once it is open: the reader (Read → message events, then the close
// event), the writer (the send queue → Write, then Close), and the emitter, the only one that calls the
// listeners, in the order the events happened.
type jsSocket struct {
	id  int
	jn  *jsNode
	obj js.Value
	ev  *jsx.Events

	events   chan event    // to the emitter; close is the last event
	emitDone chan struct{} // closed when the emitter has emitted close

	writeCtx    context.Context // ends the writer: dispose, or the socket ended
	writeCancel context.CancelFunc
	writerDone  chan struct{} // closed when the writer has returned; it runs iff s != nil
	localClosed chan struct{} // closed when our own Close of s has returned
	localOnce   sync.Once
	wake        chan struct{} // size 1: the queue grew

	mu         sync.Mutex
	state      readyState
	s          *node.Socket       // nil while connecting
	dialCancel context.CancelFunc // while connecting
	queue      []outMsg
	queued     int64   // bytes in queue and in the Write in progress: bufferedAmount
	closeReq   *outMsg // set by close() or dispose: the code and reason of the close event
	// closeQueued: close() came while connecting with messages queued, so the close waits in the queue
	// behind them and the dial goes on; otherwise a close while connecting abandons the dial.
	closeQueued bool
	closeErr    error // what our Close of s returned
}

func newJSSocket(jn *jsNode) *jsSocket {
	wctx, wcancel := context.WithCancel(context.Background())
	w := &jsSocket{
		jn:          jn,
		events:      make(chan event, 16),
		emitDone:    make(chan struct{}),
		writeCtx:    wctx,
		writeCancel: wcancel,
		writerDone:  make(chan struct{}),
		localClosed: make(chan struct{}),
		wake:        make(chan struct{}, 1),
	}
	w.id = jn.r.newID()
	return w
}

// attach makes obj the socket's JavaScript object: an event emitter with its addresses as properties.
func (w *jsSocket) attach(obj js.Value, remote, local node.Addr) error {
	ev, err := jsx.NewEvents(obj)
	if err != nil {
		return err
	}
	w.obj, w.ev = obj, ev
	w.setAddrs(remote, local)
	return nil
}

func (w *jsSocket) setAddrs(remote, local node.Addr) {
	for k, v := range map[string]any{
		"remoteAddress": remote.Node, "remotePort": remote.Port,
		"localAddress": local.Node, "localPort": local.Port,
	} {
		_ = jsx.Set(w.obj, k, v)
	}
}

// socketConnect(node, address, port, socket) → socket handle: start connecting; socket (the loader's new Socket
// object) becomes an event emitter that reports how it goes.
func (r *registry) socketConnect(a args) (any, error) {
	jn, err := r.node(a, 0)
	if err != nil {
		return nil, err
	}
	address, port := a.str(1), a.int(2)
	if address == "" {
		return nil, typeError("address must not be empty (use 'localhost' for this node)")
	}
	w := newJSSocket(jn)
	if err := w.attach(a.val(3), node.Addr{Node: address, Port: port}, node.Addr{}); err != nil {
		return nil, err
	}
	if !jn.track(w) {
		w.ev.Release()
		return nil, coded("cannot connect", errDisposed)
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.dialCancel = cancel
	r.put(w.id, w)
	go w.emitLoop(true)
	go w.dial(ctx, address, port)
	return w.id, nil
}

// dial connects, then runs the socket; or reports why it could not.
func (w *jsSocket) dial(ctx context.Context, address string, port int) {
	defer guard("a socket's dial")
	s, err := w.jn.n.Dial(ctx, address, port)
	w.mu.Lock()
	w.dialCancel()
	req := w.closeReq
	if w.closeQueued {
		req = nil // the close waits in the queue: go on as if it had not come yet
	}
	if err == nil && req == nil {
		w.s = s
		go w.writeLoop(s)
	}
	w.mu.Unlock()
	switch {
	case req != nil:
		// close() or dispose while connecting: it cancelled the dial, or came too late to.
		if s != nil {
			s.Close(req.code, req.reason)
		}
		w.finish(event{kind: "close", code: req.code, reason: req.reason})
	case err != nil:
		err = coded("cannot connect to "+net.JoinHostPort(address, strconv.Itoa(port)), err)
		code, reason := node.StatusAbnormalClosure, err.Error()
		var re *node.RejectError
		if errors.As(err, &re) {
			code, reason = re.Code, re.Reason
		} else if errors.Is(err, node.ErrPortNotListening) {
			code, reason = node.StatusPortNotListening, fmt.Sprintf("port %d is not listening", port)
		}
		w.push(event{kind: "error", err: err})
		w.finish(event{kind: "close", code: code, reason: reason})
	default:
		w.push(event{kind: "open", local: s.LocalAddr().(node.Addr), remote: s.RemoteAddr().(node.Addr)})
		w.run(s)
	}
}

// run reads messages until the socket ends, then reports how it ended.
func (w *jsSocket) run(s *node.Socket) {
	defer guard("a socket's reader")
	for {
		typ, b, err := s.Read(context.Background())
		if err != nil {
			w.ended(s.RemoteAddr(), err)
			return
		}
		w.push(event{kind: "message", typ: typ, data: b})
	}
}

// ended turns the error that ended Read into the last events.
func (w *jsSocket) ended(remote net.Addr, err error) {
	var ce node.CloseError
	switch {
	case errors.Is(err, net.ErrClosed):
		// We closed it, through close() or dispose: the close event waits for the handshake, to say whether
		// it was clean.
		w.mu.Lock()
		req := w.closeReq
		w.mu.Unlock()
		if req == nil { // not through us; should not happen
			w.finish(event{kind: "close", code: node.StatusAbnormalClosure, reason: "closed"})
			return
		}
		clean := false
		t := time.NewTimer(15 * time.Second)
		select {
		case <-w.localClosed:
			w.mu.Lock()
			clean = w.closeErr == nil
			w.mu.Unlock()
		case <-t.C:
		}
		t.Stop()
		w.finish(event{kind: "close", code: req.code, reason: req.reason, clean: clean})
	case errors.As(err, &ce):
		w.finish(event{kind: "close", code: ce.Code, reason: ce.Reason, clean: true})
	default:
		err = coded("the socket to "+remote.String()+" failed", err)
		w.push(event{kind: "error", err: err})
		w.finish(event{kind: "close", code: node.StatusAbnormalClosure, reason: err.Error()})
	}
}

// finish stops the writer, drops what is queued, and sends the close event.
func (w *jsSocket) finish(e event) {
	w.writeCancel()
	w.mu.Lock()
	started := w.s != nil
	w.queue, w.queued = nil, 0
	w.mu.Unlock()
	if started {
		<-w.writerDone
	}
	w.jn.untrack(w)
	w.push(e)
}

// push hands e to the emitter, waiting while it is behind (which holds the reader back: flow control reaches
// the peer). Events after close are dropped.
func (w *jsSocket) push(e event) {
	select {
	case w.events <- e:
	case <-w.emitDone:
	}
}

// emitLoop calls the listeners for each event in order. A dialled socket first waits for a microtask, so that
// listeners added on the lines after connect() are there for open even when the dial completes at once
// (loopback). After close it lets go of the listeners and the handle.
func (w *jsSocket) emitLoop(yield bool) {
	defer guard("a socket's events")
	if yield {
		_, _ = jsx.Await(context.Background(), js.Undefined())
	}
	for e := range w.events {
		w.emit(e)
		if e.kind == "close" {
			w.ev.Release()
			w.jn.r.remove(w.id)
			close(w.emitDone)
			return
		}
	}
}

func (w *jsSocket) emit(e event) {
	switch e.kind {
	case "open":
		w.setAddrs(e.remote, e.local)
		w.mu.Lock()
		if w.state == stateConnecting {
			w.state = stateOpen
		}
		w.mu.Unlock()
		w.ev.Emit("open")
	case "message":
		var data js.Value
		if e.typ == node.MessageText {
			data = js.ValueOf(string(e.data))
		} else {
			data = jsx.Uint8Array(e.data)
		}
		msg := js.Global().Get("Object").New()
		msg.Set("data", data)
		w.ev.Emit("message", msg)
	case "error":
		w.ev.Emit("error", jsx.ErrorValue(e.err))
	case "close":
		w.mu.Lock()
		w.state = stateClosed
		w.mu.Unlock()
		ce, _ := jsx.Object(map[string]any{"code": int(e.code), "reason": e.reason, "wasClean": e.clean})
		w.ev.Emit("close", ce)
	}
}

// writeLoop sends the queue in order; a queued close ends it.
func (w *jsSocket) writeLoop(s *node.Socket) {
	defer guard("a socket's writer")
	defer close(w.writerDone)
	for {
		w.mu.Lock()
		if len(w.queue) == 0 {
			w.queue = nil
			w.mu.Unlock()
			select {
			case <-w.wake:
				continue
			case <-w.writeCtx.Done():
				return
			}
		}
		m := w.queue[0]
		w.queue[0] = outMsg{}
		w.queue = w.queue[1:]
		w.mu.Unlock()
		if m.close {
			w.closeSocket(s)
			return
		}
		err := s.Write(w.writeCtx, m.typ, m.data)
		w.mu.Lock()
		w.queued -= int64(len(m.data))
		w.mu.Unlock()
		switch {
		case err == nil:
		case errors.Is(err, node.ErrMessageTooLarge):
			// Over the peer's limit: this message is lost, the socket goes on.
			w.push(event{kind: "error", err: coded("cannot send", err)})
		default:
			return // the socket ended (the reader reports it) or dispose cancelled the write
		}
	}
}

// closeSocket closes s with the close handshake, using the code and reason of close() or dispose, and records
// whether it went cleanly. Of two concurrent calls, the one that did the handshake is recorded.
func (w *jsSocket) closeSocket(s *node.Socket) {
	w.mu.Lock()
	req := w.closeReq
	w.mu.Unlock()
	err := s.Close(req.code, req.reason)
	if errors.Is(err, net.ErrClosed) {
		return // the other call closes it
	}
	w.localOnce.Do(func() {
		w.mu.Lock()
		w.closeErr = err
		w.mu.Unlock()
		close(w.localClosed)
	})
}

// send queues a message (see the package doc for the rules).
func (w *jsSocket) send(typ node.MessageType, b []byte) error {
	if len(b) > maxMessageSize {
		return rangeError("ERR_MESSAGE_TOO_LARGE", "cannot send a message of %d bytes (the limit is %d)", len(b), maxMessageSize)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closeReq != nil || w.state >= stateClosing {
		return coded("cannot send", errClosed)
	}
	if w.queued > 0 && w.queued+int64(len(b)) > sendBufferLimit {
		return coded("", fmt.Errorf("%w: %d bytes wait to be sent, the limit is %d (wait for bufferedAmount to fall)", errBufferFull, w.queued, sendBufferLimit))
	}
	w.queue = append(w.queue, outMsg{typ: typ, data: b})
	w.queued += int64(len(b))
	notify(w.wake)
	return nil
}

// close starts closing, after the messages queued so far. A socket still connecting with nothing queued gives up
// connecting at once. Closing twice does nothing.
func (w *jsSocket) close(code node.StatusCode, reason string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closeReq != nil || w.state == stateClosed {
		return
	}
	w.closeReq = &outMsg{close: true, code: code, reason: reason}
	w.state = stateClosing
	if w.s == nil && len(w.queue) == 0 {
		w.dialCancel()
		return
	}
	w.closeQueued = w.s == nil
	w.queue = append(w.queue, *w.closeReq)
	notify(w.wake)
}

// shutdown closes the socket for dispose: at once, dropping what is queued. It returns when the socket is closed.
func (w *jsSocket) shutdown(code node.StatusCode, reason string) {
	w.mu.Lock()
	if w.state == stateClosed {
		w.mu.Unlock()
		return
	}
	if w.closeReq == nil {
		w.closeReq = &outMsg{close: true, code: code, reason: reason}
		w.state = stateClosing
	}
	w.queue, w.queued = nil, 0
	w.closeQueued = false
	s := w.s
	if s == nil {
		w.dialCancel()
	}
	w.mu.Unlock()
	if s == nil {
		return
	}
	w.writeCancel()
	<-w.writerDone
	w.closeSocket(s)
}

func notify(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// socketSend(socket, data): queue a message. Throws for a closed socket, a bad type, or a full buffer.
func (r *registry) socketSend(a args) (any, error) {
	w := r.socket(a, 0)
	typ, b, err := messageArg(a.val(1))
	if err != nil {
		return nil, err
	}
	if w == nil {
		return nil, coded("cannot send", errClosed)
	}
	return nil, w.send(typ, b)
}

// socketClose(socket, code?, reason?).
func (r *registry) socketClose(a args) (any, error) {
	w := r.socket(a, 0)
	code, reason, err := closeArgs(a, 1, 2)
	if err != nil {
		return nil, err
	}
	if w != nil {
		w.close(code, reason)
	}
	return nil, nil
}

// socketState(socket) → "connecting" | "open" | "closing" | "closed".
func (r *registry) socketState(a args) (any, error) {
	w := r.socket(a, 0)
	if w == nil {
		return stateClosed.String(), nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.state.String(), nil
}

// socketBuffered(socket) → bytes queued by send() and not yet handed to the network.
func (r *registry) socketBuffered(a args) (any, error) {
	w := r.socket(a, 0)
	if w == nil {
		return 0, nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.queued, nil
}

// invoke calls a function of the loader's (no user code).
func invoke(fn js.Value, args ...any) (js.Value, error) { return jsx.Invoke(fn, args...) }

// callback calls a user's function through jsx.CallbackSafe and reports what it throws on console.error: a
// throwing handler must not break the node.
func callback(fn js.Value, what string, args ...any) {
	if err := jsx.CallbackSafe(fn, args...); err != nil {
		consoleError(what+":", jsx.ErrorValue(err))
	}
}

// guard, deferred first in each goroutine of the JS face, recovers a panic, which would otherwise end the whole
// module (docs/ARCHITECTURE.md, decision 6), and reports it on console.error with the Go stack. What the goroutine served
// (a socket, a port) is left where it was; the rest of the page goes on.
func guard(what string) {
	if r := recover(); r != nil {
		consoleError(fmt.Sprintf("smoke: internal error in %s: %v\n%s", what, r, debug.Stack()))
	}
}

// consoleError writes to console.error what the JS face had to swallow.
func consoleError(args ...any) {
	console, err := jsx.Get(js.Global(), "console")
	if err != nil {
		return
	}
	_, _ = jsx.Call(console, "error", args...)
}
