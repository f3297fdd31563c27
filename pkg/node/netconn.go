package node

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// netConnChunk is the largest message a NetConn's Write sends: big enough that framing costs nothing, small enough
// that the reader sees bytes long before a large Write has finished.
const netConnChunk = 256 << 10

// NetConn returns a net.Conn that carries a byte stream over s, so any Go protocol can run over a socket (like
// github.com/coder/websocket's NetConn).
//
// Every Write sends its bytes as messages of type typ (several, for a Write over 256 KiB). Read returns the bytes of
// the messages that arrive, across message boundaries; a message of another type closes the socket with
// StatusUnsupportedData and fails the Read. A CLOSE from the peer with StatusNormalClosure or StatusGoingAway reads
// as io.EOF. Close closes the socket with StatusNormalClosure.
//
// Deadlines work as net.Conn documents: an expired deadline fails pending and future calls with an error that
// matches os.ErrDeadlineExceeded (a net.Error whose Timeout is true), and the connection stays usable once the
// deadline is moved. A Write cut short by a deadline returns how many bytes were sent whole; the rest of the
// message it was sending is aborted, never half-delivered.
//
// ctx bounds the connection's life: once it is done, every Read and Write fails.
func NetConn(ctx context.Context, s *Socket, typ MessageType) net.Conn {
	c := &netConn{
		s:         s,
		typ:       typ,
		readLock:  make(chan struct{}, 1),
		writeLock: make(chan struct{}, 1),
	}
	c.rd.init(ctx)
	c.wd.init(ctx)
	return c
}

type netConn struct {
	s      *Socket
	typ    MessageType
	rd, wd deadline

	readLock  chan struct{} // size 1: held by the Read in progress; guards buf and eof
	buf       []byte        // unread rest of the last message
	eof       bool
	writeLock chan struct{} // size 1: held by the Write in progress
}

var _ net.Conn = (*netConn)(nil)

func (c *netConn) Read(p []byte) (int, error) {
	ctx := c.rd.context()
	select {
	case c.readLock <- struct{}{}:
	case <-ctx.Done():
		return 0, c.opError("read", ctx, nil)
	}
	defer func() { <-c.readLock }()
	if ctx.Err() != nil {
		return 0, c.opError("read", ctx, nil)
	}
	for len(c.buf) == 0 {
		if c.eof {
			return 0, io.EOF
		}
		typ, b, err := c.s.Read(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return 0, c.opError("read", ctx, nil)
			}
			if code := CloseStatus(err); code == StatusNormalClosure || code == StatusGoingAway {
				c.eof = true
				return 0, io.EOF
			}
			return 0, c.opError("read", ctx, err)
		}
		if typ != c.typ {
			err := fmt.Errorf("node: net.Conn over a socket got a %v message, want %v", typ, c.typ)
			c.s.Close(StatusUnsupportedData, err.Error())
			return 0, c.opError("read", ctx, err)
		}
		c.buf = b
	}
	n := copy(p, c.buf)
	c.buf = c.buf[n:]
	return n, nil
}

func (c *netConn) Write(p []byte) (int, error) {
	ctx := c.wd.context()
	select {
	case c.writeLock <- struct{}{}:
	case <-ctx.Done():
		return 0, c.opError("write", ctx, nil)
	}
	defer func() { <-c.writeLock }()
	if ctx.Err() != nil {
		return 0, c.opError("write", ctx, nil)
	}
	off := 0
	for off < len(p) {
		n := min(len(p)-off, netConnChunk)
		if err := c.s.Write(ctx, c.typ, p[off:off+n]); err != nil {
			if ctx.Err() != nil {
				err = nil // the deadline, or the conn's context
			}
			return off, c.opError("write", ctx, err)
		}
		off += n
	}
	return off, nil
}

// opError wraps a failed Read or Write as the net package does: a *net.OpError whose Err is os.ErrDeadlineExceeded
// when the deadline passed.
func (c *netConn) opError(op string, ctx context.Context, err error) error {
	if err == nil {
		if c.rd.parent.Err() != nil {
			err = fmt.Errorf("node: net.Conn's context ended: %w", c.rd.parent.Err())
		} else {
			err = os.ErrDeadlineExceeded
		}
	}
	return &net.OpError{Op: op, Net: "smoke", Source: c.s.LocalAddr(), Addr: c.s.RemoteAddr(), Err: err}
}

func (c *netConn) Close() error {
	c.rd.stop()
	c.wd.stop()
	return c.s.Close(StatusNormalClosure, "")
}

func (c *netConn) LocalAddr() net.Addr  { return c.s.LocalAddr() }
func (c *netConn) RemoteAddr() net.Addr { return c.s.RemoteAddr() }

func (c *netConn) SetDeadline(t time.Time) error {
	c.rd.set(t)
	c.wd.set(t)
	return nil
}

func (c *netConn) SetReadDeadline(t time.Time) error  { c.rd.set(t); return nil }
func (c *netConn) SetWriteDeadline(t time.Time) error { c.wd.set(t); return nil }

// deadline is one direction's deadline as a context: cancelled when the deadline passes. Moving the deadline keeps
// the context (so a call in progress sees the new deadline) unless it already expired, in which case calls from then
// on get a fresh one.
type deadline struct {
	parent context.Context

	mu     sync.Mutex
	ctx    context.Context
	cancel context.CancelFunc
	timer  *time.Timer
	gen    uint64 // which set call the timer belongs to: a timer stopped too late must not cancel a newer deadline
}

func (d *deadline) init(parent context.Context) {
	d.parent = parent
	d.ctx, d.cancel = context.WithCancel(parent)
}

func (d *deadline) context() context.Context {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.ctx
}

func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.gen++
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
	if d.ctx.Err() != nil && d.parent.Err() == nil {
		d.cancel()
		d.ctx, d.cancel = context.WithCancel(d.parent)
	}
	if t.IsZero() {
		return
	}
	dur := time.Until(t)
	if dur <= 0 {
		d.cancel()
		return
	}
	gen, cancel := d.gen, d.cancel
	d.timer = time.AfterFunc(dur, func() {
		d.mu.Lock()
		if d.gen == gen {
			cancel()
		}
		d.mu.Unlock()
	})
}

// stop releases the deadline's timer and context.
func (d *deadline) stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.gen++
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
}
