package server

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/smokenet/smoke/pkg/hub/server/internal/ws"
)

// The read side of a connection (lean.go says why it is built this way). A connection's work token is taken by
// whoever runs its read side: a goroutine started by wake when the poller saw bytes arrive or another goroutine
// asked for something (a close, the end of the connection), or, in blocking mode, the connection's own reading
// goroutine for its whole life. The holder reads what arrived, handles it, and gives the token back; a wake
// while it runs makes it go round once more, so nothing is missed and no two goroutines read one connection.

// readChunk is the size of the shared buffers reads go into; a frame that does not fit waits in a buffer of its own.
const readChunk = 16 << 10

var readChunks = sync.Pool{New: func() any { return new([readChunk]byte) }}

// errWouldBlock is a non-blocking read finding nothing to read.
var errWouldBlock = errors.New("hub server: would block")

// wake makes sure the read side runs (again) soon. Any goroutine.
func (c *conn) wake() {
	for {
		switch st := c.state.Load(); st {
		case 0:
			if c.state.CompareAndSwap(0, 1) {
				go c.work()
				return
			}
		case 1:
			if c.state.CompareAndSwap(1, 2) {
				c.nudge()
				return
			}
		default:
			c.nudge()
			return
		}
	}
}

// nudge wakes a blocking-mode reader out of its read.
func (c *conn) nudge() {
	if c.blocking.Load() {
		c.nc.SetReadDeadline(aLongTimeAgo)
	}
}

// work runs the read side while holding the token, and gives it back when there is nothing left to do.
func (c *conn) work() {
	defer c.recoverPanic()
	for {
		if c.finished {
			return // keeps the token: the connection is over
		}
		if err := c.step(); err != nil {
			c.finish(err)
			return
		}
		if c.state.CompareAndSwap(1, 0) {
			return
		}
		c.state.Store(1) // woken meanwhile: go round again
	}
}

// readBlocking is the read side in blocking mode: a goroutine per connection, holding the token for good.
func (c *conn) readBlocking() {
	defer c.recoverPanic()
	for !c.finished {
		c.state.Store(1)
		c.nc.SetReadDeadline(time.Time{}) // before checking the flags: a nudge after this is not lost
		if err := c.step(); err != nil {
			c.finish(err)
		}
	}
}

func (c *conn) recoverPanic() {
	if r := recover(); r != nil {
		c.srv.logPanic(r, c.addr())
		if fl := c.fl; fl != nil { // writers claimed for the read being handled: write, or they stay claimed
			c.fl = nil
			fl.flush()
		}
		c.kind.CompareAndSwap(int32(kindNone), int32(kindDropped))
		if !c.finished {
			c.finish(fmt.Errorf("panic: %v", r))
		}
	}
}

// finish ends the connection: it leaves the poller, and connEnded settles its session. Token holder only, once.
func (c *conn) finish(err error) {
	c.finished = true
	if c.rd != nil && c.rd.slow != nil {
		c.rd.slow.Stop()
	}
	c.rd = nil
	if c.cut != nil {
		c.cut.Stop()
	}
	c.srv.unwatch(c)
	c.srv.connEnded(c, err)
	c.srv.wg.Done()
}

// step does what there is to do: a requested close, the end of the connection, a message that took too long, and
// reading what arrived. An error ends the connection.
func (c *conn) step() error {
	if p := c.dead.Load(); p != nil {
		return *p
	}
	if req := c.closeReq.Load(); req != nil && !c.closeSent {
		c.startClose(req.code, req.reason)
	}
	if c.timedOut.Load() && c.rd != nil && c.rd.slow != nil && !c.closeSent {
		c.kill(kindDropped, "message did not arrive in time")
		return *c.dead.Load()
	}
	if c.rd != nil && len(c.rd.in) > 0 && len(c.rd.in) == cap(c.rd.in) {
		// Bytes that came with the handshake (keep leaves room for the rest of a frame, so only these are full).
		if err := c.process(c.rd.in); err != nil {
			return err
		}
	}
	for {
		var chunk *[readChunk]byte
		var p []byte
		if c.rd != nil && c.rd.in != nil {
			p = c.rd.in[len(c.rd.in):cap(c.rd.in)]
		} else {
			chunk = readChunks.Get().(*[readChunk]byte)
			p = chunk[:]
		}
		n, err := c.read(p)
		if n > 0 {
			c.lastRead.Store(time.Now().UnixNano())
			var data []byte
			if chunk != nil {
				data = p[:n]
			} else {
				data = c.rd.in[:len(c.rd.in)+n]
			}
			c.fl = flushLists.Get().(*flushList)
			perr := c.process(data)
			c.fl.flush()
			flushLists.Put(c.fl)
			c.fl = nil
			if perr != nil {
				err = perr
			}
		}
		if chunk != nil {
			readChunks.Put(chunk)
		}
		switch {
		case err == errWouldBlock:
			return nil
		case errors.Is(err, os.ErrDeadlineExceeded) && c.blocking.Load():
			return nil // a nudge: see to the flags
		case err != nil:
			return err
		case c.blocking.Load() || (n < len(p) && !c.hup.Load()):
			// Fewer bytes than asked for: the socket is drained (for a stream socket, epoll(7) says this is as
			// good as a read failing with EAGAIN), unless the peer hung up, whose end must be read too since no
			// new event will say so. A blocking reader goes back to see to the flags.
			return nil
		}
	}
}

// process decodes and handles the frames in data, which holds the bytes kept in c.rd.in followed by those just
// read, and keeps an incomplete frame at its end. Token holder only.
func (c *conn) process(data []byte) error {
	if c.broken {
		c.rd = nil
		return nil
	}
	var local ws.Decoder // the decoder of a connection at a message boundary, which holds nothing
	dec := &local
	if c.rd != nil {
		dec = &c.rd.dec
	} else {
		local.MaxMessage = uint64(c.srv.opts.MaxMessageSize)
	}
	now := time.Now()
	for len(data) > 0 {
		f, n, need, err := dec.Next(data)
		if err != nil {
			return c.badFrame(err)
		}
		if n == 0 {
			c.keep(dec, data, need)
			c.messageStarted()
			return nil
		}
		data = data[n:]
		if err := c.frame(&f, now); err != nil {
			return err
		}
		if c.broken {
			return nil
		}
	}
	if dec.InMessage() {
		c.keep(dec, nil, 0)
		c.messageStarted()
	} else if c.rd != nil {
		if c.rd.slow != nil {
			c.rd.slow.Stop()
		}
		c.rd = nil
		c.timedOut.Store(false)
	}
	return nil
}

// keep saves the decoder's state and the start of an incomplete frame (nil: none), in a buffer with room for need
// bytes.
func (c *conn) keep(dec *ws.Decoder, data []byte, need int) {
	if c.rd == nil {
		c.rd = &readState{dec: *dec}
	}
	switch {
	case len(data) == 0:
		c.rd.in = nil
	case c.rd.in != nil && &data[0] == &c.rd.in[0] && cap(c.rd.in) >= need:
		c.rd.in = data // already in place
	default:
		buf := make([]byte, len(data), max(need, len(data)))
		copy(buf, data)
		c.rd.in = buf
	}
}

// messageStarted starts the MessageTimeout of a message that began arriving: a peer cannot pin a buffer (or the
// message's bytes) by sending half a message and stalling.
func (c *conn) messageStarted() {
	if c.rd.slow == nil {
		c.timedOut.Store(false)
		c.rd.slow = time.AfterFunc(c.srv.opts.MessageTimeout, func() {
			c.timedOut.Store(true)
			c.wake()
		})
	}
}

// badFrame closes the connection for a frame the decoder refused.
func (c *conn) badFrame(err error) error {
	ce, ok := err.(*ws.CloseError)
	if !ok {
		ce = &ws.CloseError{Code: ws.StatusProtocolError, Reason: err.Error()}
	}
	if ce.Code == ws.StatusMessageTooBig {
		c.srv.stats.limit(limitMessageSize)
	}
	c.broken = true // the rest of the stream cannot be framed: wait for the peer to hang up
	if c.closeSent {
		return errClosing
	}
	c.violation(ce.Code, ce.Reason)
	return nil
}

// frame handles one decoded frame.
func (c *conn) frame(f *ws.Frame, now time.Time) error {
	switch f.Event {
	case ws.EventMessage:
		if c.closeSent {
			return nil // the close handshake is under way: only the peer's close frame matters
		}
		if !c.allow(now) {
			c.throttle()
			return nil
		}
		if f.Op != ws.OpText {
			c.violation(ws.StatusPolicyViolation, "binary messages are not allowed")
			return nil
		}
		c.srv.stats.bytesIn.Add(int64(len(f.Payload)))
		c.handle(f.Payload)
	case ws.EventPing:
		// Pings take rate tokens like messages do. Over the limit, no pong.
		if c.closeSent {
			return nil
		}
		if !c.allow(now) {
			c.throttle()
			return nil
		}
		if err := c.writeControl(ws.OpPong, f.Payload); err != nil {
			c.kill(kindDropped, "write failed: "+err.Error())
		}
	case ws.EventPong:
		// Answers to the hub's keepalive pings cost a token a minute, unsolicited pongs as many as they are.
		c.pingAt.Store(0)
		if !c.closeSent && !c.allow(now) {
			c.throttle()
		}
	case ws.EventClose:
		if c.closeSent {
			return errClosed // the handshake is complete
		}
		// The peer closes: answer with its code (RFC 6455 section 5.5.1) and hang up.
		c.closeSent = true
		c.writeClose(f.Close.Code, "")
		return f.Close
	}
	return nil
}

var errClosed = errors.New("hub server: closed")

// closeBeforeServing runs a close handshake on a connection that is not served yet (ServeHTTP): it sends the close
// frame, reads until the peer's (at most closeWait), and closes the socket.
func (c *conn) closeBeforeServing(code ws.StatusCode, reason string) {
	c.writeClose(code, reason)
	c.nc.SetReadDeadline(time.Now().Add(c.srv.closeWait))
	var d ws.Decoder
	buf := readChunks.Get().(*[readChunk]byte)
	defer readChunks.Put(buf)
	var have int
	if c.rd != nil {
		have = copy(buf[:], c.rd.in)
		c.rd = nil
	}
	for {
		for {
			f, n, _, err := d.Next(buf[:have])
			if err != nil || (n > 0 && f.Event == ws.EventClose) {
				c.nc.Close()
				return
			}
			if n == 0 {
				break
			}
			have = copy(buf[:], buf[n:have])
		}
		if have == len(buf) { // a frame larger than the buffer: do not bother
			c.nc.Close()
			return
		}
		n, err := c.nc.Read(buf[have:])
		have += n
		if err != nil { // the peer hung up, or did not answer in time
			c.nc.Close()
			return
		}
	}
}
