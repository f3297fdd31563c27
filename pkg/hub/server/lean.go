package server

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"
)

// An idle node should cost the hub as little as possible (PROTOCOL.md's hub serves tens of thousands). What
// coder/websocket and net/http would keep per connection by default:
//
//   - the read goroutine's stack. Blocked in coder/websocket's Reader it uses ~2 KiB, so its stack stays at 4 KiB.
//     Instead the read loop waits for the next message's first byte in a shallow call (leanConn.wait) and only
//     then enters coder/websocket, so idle stacks shrink to the 2 KiB minimum. coder/websocket handles control
//     frames (pings, pongs) inside Reader and would go on to wait there for the next frame; leanConn ends that
//     call with errIdle at the boundary after a control frame, and the loop goes back to waiting shallowly.
//   - 4 KiB read and 4 KiB write buffers from net/http's hijack. coder/websocket gets 16-byte ones instead. Under
//     the read one, leanConn reads ahead into a pooled buffer it returns as soon as it is drained; under the write
//     one, frameWriter holds a frame's first bytes until the frame is complete and writes it with one writev, so a
//     message still costs one system call.
//
// Everything here runs on the connection's read goroutine (reads) or under coder/websocket's write lock (writes);
// no locks of its own.

// errIdle ends coder/websocket's Reader after a control frame, when nothing else has arrived; see leanConn.
var errIdle = errors.New("hub server: idle")

// errAnnouncedTooBig fails every read once a frame header announced a message over MaxMessageSize (frameTracker):
// coder/websocket alone would notice only when that many bytes had arrived, which a hostile client never sends.
var errAnnouncedTooBig = errors.New("hub server: frame announces a message over the size limit")

const (
	bufioSize = 16   // coder/websocket's buffers: enough for a frame header, the minimum bufio allows
	readChunk = 4096 // pooled read-ahead buffer
	writeHold = bufioSize
)

var readChunks = sync.Pool{New: func() any { return new([readChunk]byte) }}

// leanHijacker wraps the ResponseWriter given to websocket.Accept so that the connection it hijacks reads through
// a leanConn and writes through a frameWriter. coder/websocket finds Hijack on it before following Unwrap.
type leanHijacker struct {
	http.ResponseWriter
	owner *conn
	lean  *leanConn
}

func (w *leanHijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	lc := &leanConn{Conn: nc, owner: w.owner}
	if n := brw.Reader.Buffered(); n > 0 {
		// net/http read ahead: the start of the WebSocket stream. (Clients wait for the 101, so this is rare.)
		b, _ := brw.Reader.Peek(n)
		lc.pre = append([]byte(nil), b...)
	}
	lc.t.limit = uint64(w.owner.srv.opts.MaxMessageSize)
	lc.br = bufio.NewReaderSize(lc, bufioSize)
	// net/http flushed the 101 response before hijacking, so its write buffer holds nothing.
	bw := bufio.NewWriterSize(&frameWriter{nc: nc}, bufioSize)
	w.lean = lc
	return lc, bufio.NewReadWriter(lc.br, bw), nil
}

func (w *leanHijacker) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// leanConn is the net.Conn coder/websocket reads from. Its Read is called only by the connection's read goroutine.
type leanConn struct {
	net.Conn
	owner *conn         // whose read deadlines this follows (see conn.messageDeadline)
	br    *bufio.Reader // coder/websocket's reader over this leanConn
	rdl   time.Time     // the read deadline last set on Conn by the read goroutine; zero for none

	pre     []byte // read ahead by net/http
	stash   [1]byte
	stashed bool // wait read stash[0], not yet passed on

	chunk  *[readChunk]byte // read-ahead, nil when drained
	cr, cw int              // chunk[cr:cw] is unread

	t        frameTracker // over the bytes passed to coder/websocket
	idleNext bool         // the next Read returns errIdle
	noIdle   bool         // never return errIdle (during a close handshake, which must read to the close frame)
}

// drained reports whether every byte read from the network has been consumed by coder/websocket: the read loop
// may then wait for the next message in wait.
func (c *leanConn) drained() bool {
	return !c.stashed && c.chunk == nil && len(c.pre) == 0 && c.br.Buffered() == 0 && c.t.atBoundary()
}

// wait blocks until the peer sends something, reading its first byte. Its stack is shallow: this is where an idle
// connection's goroutine sleeps.
func (c *leanConn) wait() error {
	n, err := c.Conn.Read(c.stash[:])
	if n == 1 {
		c.stashed = true
		return nil
	}
	return err
}

// waitHot is wait for a goroutine that has just handled traffic (its stack is grown anyway): it reads whatever
// arrived into a pooled buffer, so the next message costs one read system call rather than two.
func (c *leanConn) waitHot() error {
	chunk := readChunks.Get().(*[readChunk]byte)
	n, err := c.Conn.Read(chunk[:])
	if n > 0 {
		c.chunk, c.cr, c.cw = chunk, 0, n
		return nil // an error comes back on the next read
	}
	readChunks.Put(chunk)
	return err
}

// setReadDeadline sets the read deadline and remembers it. Read goroutine only (requestClose sets its own, which
// the read goroutine notices through closeReq).
func (c *leanConn) setReadDeadline(t time.Time) {
	c.rdl = t
	c.Conn.SetReadDeadline(t)
}

func (c *leanConn) Read(p []byte) (n int, err error) {
	if len(p) == 0 {
		return 0, nil
	}
	if c.t.tooBig {
		return 0, errAnnouncedTooBig
	}
	if c.idleNext {
		c.idleNext = false
		if !c.noIdle { // a close handshake began since: it must read on to the close frame
			return 0, errIdle
		}
	}
	switch {
	case len(c.pre) > 0:
		n = copy(p, c.pre)
		c.pre = c.pre[n:]
	case c.stashed:
		p[0] = c.stash[0]
		c.stashed = false
		n = 1
	case c.chunk != nil:
		n = copy(p, c.chunk[c.cr:c.cw])
		c.cr += n
		if c.cr == c.cw {
			readChunks.Put(c.chunk)
			c.chunk = nil
		}
	case len(p) >= readChunk:
		c.owner.messageDeadline()
		n, err = c.Conn.Read(p)
	default:
		c.owner.messageDeadline()
		chunk := readChunks.Get().(*[readChunk]byte)
		var m int
		m, err = c.Conn.Read(chunk[:])
		n = copy(p, chunk[:m])
		if n < m {
			c.chunk, c.cr, c.cw = chunk, n, m
		} else {
			readChunks.Put(chunk)
		}
	}
	c.t.feed(p[:n])
	if !c.noIdle && c.t.idleAfterControl() && c.chunk == nil && len(c.pre) == 0 {
		c.idleNext = true
	}
	return n, err
}

// release returns the read-ahead buffer; the connection is done reading.
func (c *leanConn) release() {
	if c.chunk != nil {
		readChunks.Put(c.chunk)
		c.chunk = nil
	}
}

// frameWriter is what coder/websocket's (tiny) bufio.Writer writes to. A frame larger than the bufio buffer
// reaches it in two writes: the buffer's first bytes, then the rest. It holds the first part and, once the frame is
// complete, sends both in one write (through a pooled buffer, up to readChunk bytes; not writev, which would make
// the poller keep an iovec array per connection), so a message still costs one system call and one TCP segment.
// Called under coder/websocket's write lock only.
type frameWriter struct {
	nc   net.Conn
	t    frameTracker
	held [writeHold]byte
	n    int
}

func (w *frameWriter) Write(p []byte) (int, error) {
	w.t.feed(p)
	if !w.t.atBoundary() && w.n+len(p) <= len(w.held) {
		w.n += copy(w.held[w.n:], p)
		return len(p), nil
	}
	var err error
	switch {
	case w.n == 0:
		_, err = w.nc.Write(p)
	case w.n+len(p) <= readChunk:
		buf := readChunks.Get().(*[readChunk]byte)
		k := copy(buf[:], w.held[:w.n])
		k += copy(buf[k:], p)
		_, err = w.nc.Write(buf[:k])
		readChunks.Put(buf)
	default: // a big message: two writes are fine
		if _, err = w.nc.Write(w.held[:w.n]); err == nil {
			_, err = w.nc.Write(p)
		}
	}
	w.n = 0
	if err != nil {
		return 0, err
	}
	return len(p), nil
}
