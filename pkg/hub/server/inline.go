package server

import (
	"fmt"
	"time"

	"github.com/smokenet/smoke/pkg/hub/server/internal/ws"
)

// The poller's loops (poll_linux.go) read and relay in their own goroutine: a relayed message, the hub's most
// common work by far, needs nothing that can wait (the read is non-blocking, the forward is queued, and the write
// to the recipient is non-blocking, the rest left to a drain goroutine). Starting a goroutine per wake-up instead
// cost, per relayed message with one in flight per node, a goroutine's start and exit and the growth of its new
// stack through the write path: ~15% of the hub's CPU in profiles under the benchmark's relay load.
//
// Anything else goes to a goroutine of the connection's own (work, read.go) with the work token, starting from
// the frame that is not a plain forward: a close, ping, fragment, violation or register may write with a deadline
// or wait for the registry, and must not hold up the other connections of the loop.

// maxInlineReads bounds the reads the loop makes for one connection per wake-up, so that one node sending without
// pause cannot hold up the others of its loop: past it, a goroutine of the node's own reads on.
const maxInlineReads = 4

// runInline runs c's read side in the loop's goroutine, which holds c's work token; it hands the token to a
// goroutine of c's own when there is something it does not handle.
func (c *conn) runInline() {
	defer func() {
		if r := recover(); r != nil {
			c.srv.logPanic(r, c.addr())
			if fl := c.fl; fl != nil {
				c.fl = nil
				fl.flush()
			}
			c.kind.CompareAndSwap(int32(kindNone), int32(kindDropped))
			err := fmt.Errorf("panic: %v", r)
			c.dead.CompareAndSwap(nil, &err)
			go c.work() // ends the connection, away from the loop
		}
	}()
	for {
		if !c.stepInline() {
			go c.work()
			return
		}
		if c.state.CompareAndSwap(1, 0) {
			return
		}
		c.state.Store(1) // woken meanwhile: go round again
	}
}

// stepInline reads what arrived and relays it, and reports false when the rest needs work's goroutine: a flag is
// set, a frame that is not a plain forward is next (its bytes and the rest are then kept in c.rd for it), or the
// read failed (it will fail again there, and end the connection).
func (c *conn) stepInline() bool {
	if c.finished || c.rd != nil || c.broken || c.closeSent || c.sess == nil || c.closing() ||
		c.dead.Load() != nil || c.closeReq.Load() != nil || c.timedOut.Load() {
		return false
	}
	for reads := 0; ; reads++ {
		if reads == maxInlineReads {
			return false // more keeps coming: go on in a goroutine, and the loop to the other connections
		}
		chunk := readChunks.Get().(*[readChunk]byte)
		n, err := c.read(chunk[:])
		if n > 0 {
			now := time.Now()
			c.lastRead.Store(now.UnixNano())
			c.fl = flushLists.Get().(*flushList)
			rest := c.relayInline(chunk[:n], now)
			c.fl.flush()
			flushLists.Put(c.fl)
			c.fl = nil
			if rest != nil {
				// Kept whole (len == cap): step handles these bytes first, as it does those that came with
				// the handshake.
				c.rd = &readState{dec: ws.Decoder{MaxMessage: uint64(c.srv.opts.MaxMessageSize)},
					in: append(make([]byte, 0, len(rest)), rest...)}
				readChunks.Put(chunk)
				return false
			}
		}
		readChunks.Put(chunk)
		switch {
		case err == errWouldBlock:
			return true
		case err != nil:
			return false
		case n < readChunk && !c.hup.Load():
			return true // drained (see step)
		}
	}
}

// relayInline relays the plain forwards at the start of data, and returns the bytes from the first frame that is
// anything else, or nil. Those bytes are as they arrived (still masked).
func (c *conn) relayInline(data []byte, now time.Time) []byte {
	maxMsg := uint64(c.srv.opts.MaxMessageSize)
	for len(data) > 0 {
		h, hn, err := ws.ParseHeader(data)
		if err != nil || hn == 0 || h.Op != ws.OpText || !h.Fin || h.Len > maxMsg || uint64(len(data)-hn) < h.Len {
			return data
		}
		// A whole text message in one frame, within the size limit: Next can fail only on its UTF-8, after
		// unmasking it.
		dec := ws.Decoder{MaxMessage: maxMsg}
		f, n, _, err := dec.Next(data)
		payload := data[hn : hn+int(h.Len)]
		if err != nil || n == 0 {
			ws.Mask(h.Key, 0, payload) // as it arrived
			return data
		}
		m, ok := decodeForward(f.Payload)
		if !ok || c.closing() || !c.relaysInline(m.To) || !c.allow(now) {
			ws.Mask(h.Key, 0, payload)
			return data
		}
		c.srv.stats.bytesIn.Add(int64(len(f.Payload)))
		c.forward(&m)
		data = data[n:]
	}
	return nil
}

// relaysInline reports whether a forward to addr needs nothing that can wait: the address has a session on this
// hub, or, in a cluster, is known without asking NATS (the forward is then a publish, which nats.go buffers; a NATS
// server too slow to take its buffer holds the loop, as it holds every forward across hubs anyway).
// Without a cluster, an unknown address is answered with an undeliverable, which is queued.
func (c *conn) relaysInline(addr string) bool {
	s := c.srv
	if s.cluster == nil || s.session(addr) != nil {
		return true
	}
	return s.cluster.located(addr)
}
