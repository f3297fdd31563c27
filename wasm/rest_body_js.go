package main

import (
	"context"
	"errors"
	"io"
	"sync"
	"syscall/js"

	"github.com/smokenet/smoke/internal/jsx"
)

// jsBody is a body JavaScript reads: a fetch's response body, or a request body on the server. One goroutine reads
// it ahead into a buffer of at most restBodyBuffer bytes; bodyRead takes everything buffered.
type jsBody struct {
	id     int
	reg    *registry
	r      io.ReadCloser
	done   func()            // called once when the body is over (end, failure or cancel); may be nil
	errFor func(error) error // turns a read error into what JavaScript sees
	room   chan struct{}     // size 1: the buffer has room again, or the body was cancelled

	mu       sync.Mutex
	chunks   [][]byte
	queued   int
	err      error      // how reading ended: io.EOF, or a failure
	waiter   *callbacks // a read waiting for data
	canceled bool
	overOnce sync.Once
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, restReadSize); return &b }}

// newBody registers a body and starts reading it ahead.
func (reg *registry) newBody(r io.ReadCloser, done func(), errFor func(error) error) *jsBody {
	b := &jsBody{reg: reg, r: r, done: done, errFor: errFor, room: make(chan struct{}, 1)}
	b.id = reg.add(b)
	go b.readAhead()
	return b
}

func (b *jsBody) readAhead() {
	defer guard("a REST body")
	for {
		b.mu.Lock()
		for b.queued >= restBodyBuffer && !b.canceled {
			b.mu.Unlock()
			<-b.room
			b.mu.Lock()
		}
		if b.canceled {
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()

		bp := bufPool.Get().(*[]byte)
		n, err := b.r.Read(*bp)
		b.mu.Lock()
		if b.canceled {
			b.mu.Unlock()
			bufPool.Put(bp)
			return
		}
		if n > 0 {
			b.chunks = append(b.chunks, (*bp)[:n])
			b.queued += n
		} else {
			bufPool.Put(bp)
		}
		if err != nil {
			b.err = err
		}
		w := b.waiter
		var v js.Value
		var verr error
		if w != nil {
			v, verr = b.takeLocked()
			if v.IsUndefined() && verr == nil {
				w = nil // nothing to hand over yet
			} else {
				b.waiter = nil
			}
		}
		b.mu.Unlock()
		if w != nil {
			if verr != nil {
				w.fail(verr)
			} else {
				w.ok(v)
			}
		}
		if err != nil {
			b.r.Close()
			return
		}
	}
}

// takeLocked returns what a read gets now: the buffered bytes as one Uint8Array, null at the end, an error, or
// undefined when it has to wait. b.mu is held.
func (b *jsBody) takeLocked() (js.Value, error) {
	if b.queued > 0 {
		u := uint8ArrayCtor.New(b.queued)
		if len(b.chunks) == 1 {
			js.CopyBytesToJS(u, b.chunks[0])
		} else {
			off := 0
			for _, c := range b.chunks {
				js.CopyBytesToJS(u.Call("subarray", off, off+len(c)), c)
				off += len(c)
			}
		}
		for i, c := range b.chunks {
			c = c[:cap(c)]
			bufPool.Put(&c)
			b.chunks[i] = nil
		}
		b.chunks, b.queued = b.chunks[:0], 0
		notify(b.room)
		return u, nil
	}
	if b.err != nil {
		err := b.err
		go b.over() // not here: over may call JavaScript and takes the registry lock
		if err == io.EOF {
			return js.Null(), nil
		}
		return js.Undefined(), b.errFor(err)
	}
	return js.Undefined(), nil
}

// over forgets the body and runs done, once.
func (b *jsBody) over() {
	b.overOnce.Do(func() {
		b.reg.remove(b.id)
		if b.done != nil {
			b.done()
		}
	})
}

// cancel stops reading: a read waiting fails with err (or gets the end, for nil), and the body is closed.
func (b *jsBody) cancel(err error) {
	b.mu.Lock()
	if b.canceled {
		b.mu.Unlock()
		return
	}
	b.canceled = true
	w := b.waiter
	b.waiter = nil
	for i, c := range b.chunks {
		c = c[:cap(c)]
		bufPool.Put(&c)
		b.chunks[i] = nil
	}
	b.chunks, b.queued = nil, 0
	ended := b.err != nil
	b.mu.Unlock()
	notify(b.room)
	if w != nil {
		if err == nil {
			w.ok(js.Null())
		} else {
			w.fail(coded("", err))
		}
	}
	if !ended {
		go func() {
			defer guard("closing a REST body")
			b.r.Close() // may wait for a socket's close handshake
		}()
	}
	b.over()
}

// bodyRead(body, resolve, reject) → Uint8Array | null | undefined: the next bytes of a body, null at its end.
// When nothing is there yet it returns undefined and settles resolve or reject later.
func (r *registry) bodyRead(a args) (any, error) {
	b, ok := lookup[*jsBody](r, a.int(0))
	if !ok {
		if s, ok := lookup[*jsRecords](r, a.int(0)); ok {
			return s.readBytes(callbacksArg(a, 1)) // a record stream read as bytes: NDJSON
		}
		return js.Null(), nil // over: read to the end, or cancelled
	}
	cb := callbacksArg(a, 1)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.canceled {
		return js.Null(), nil
	}
	if b.waiter != nil {
		return nil, typeError("smoke: a body has one reader at a time")
	}
	v, err := b.takeLocked()
	if err != nil {
		return nil, err
	}
	if v.IsUndefined() {
		if cb == nil {
			return nil, typeError("bodyRead needs resolve and reject")
		}
		b.waiter = cb
		return nil, nil
	}
	return v, nil
}

// bodyCancel(body): the reader has no more use for the body; stop reading it and close it.
func (r *registry) bodyCancel(a args) (any, error) {
	if b, ok := lookup[*jsBody](r, a.int(0)); ok {
		b.cancel(nil)
	} else if s, ok := lookup[*jsRecords](r, a.int(0)); ok {
		s.cancel(nil)
	}
	return nil, nil
}

// pullReader is a request body that JavaScript supplies chunk by chunk: src.read() returns a Promise of a
// Uint8Array, or of null at the end; src.cancel(reason) says that no more will be read. Each chunk is copied once,
// straight into the caller's buffer.
type pullReader struct {
	ctx    context.Context
	read   js.Value
	cancel js.Value

	cur      js.Value // the chunk being consumed
	off, n   int
	eof      bool
	err      error
	closeOne sync.Once
}

func newPullReader(ctx context.Context, src js.Value) (*pullReader, error) {
	read, err := jsx.Get(src, "read")
	if err != nil || read.Type() != js.TypeFunction {
		return nil, typeError("a body source needs a read function")
	}
	cancel, _ := jsx.Get(src, "cancel")
	return &pullReader{ctx: ctx, read: read, cancel: cancel}, nil
}

func (p *pullReader) Read(b []byte) (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	for p.off >= p.n {
		if p.eof {
			return 0, io.EOF
		}
		pr, err := jsx.Invoke(p.read)
		var v js.Value
		if err == nil {
			v, err = jsx.Await(p.ctx, pr)
		}
		if err != nil {
			p.err = err
			return 0, err
		}
		if v.IsNull() || v.IsUndefined() {
			p.eof = true
			return 0, io.EOF
		}
		if !v.InstanceOf(uint8ArrayCtor) {
			p.err = errors.New("smoke: fetch: a request body chunk is not a Uint8Array")
			return 0, p.err
		}
		p.cur, p.off, p.n = v, 0, v.Length()
	}
	src := p.cur
	if p.off > 0 {
		src = p.cur.Call("subarray", p.off)
	}
	n := js.CopyBytesToGo(b, src)
	p.off += n
	if p.off >= p.n {
		p.cur = js.Undefined()
	}
	return n, nil
}

func (p *pullReader) Close() error {
	p.closeOne.Do(func() {
		if !p.eof && p.cancel.Type() == js.TypeFunction {
			_, _ = jsx.Invoke(p.cancel)
		}
	})
	return nil
}
