package server

import (
	"net"
	"sync"
	"time"

	"github.com/smokenet/smoke/pkg/hub/server/internal/ws"
)

// maxBatch bounds the messages one write takes from a queue.
const maxBatch = 64

// batch is the frames of queued messages, built for one write: their headers in hdrs, and the buffers to write,
// header and payload by turn, skipping the bytes of the first frame a previous write already took.
type batch struct {
	msgs [maxBatch][]byte
	hdrs [maxBatch * 10]byte
	bufs [2 * maxBatch][]byte
}

var batches = sync.Pool{New: func() any { return new(batch) }}

// build fills b.bufs for msgs, skipping skip bytes, and returns the buffers and their total length.
func (b *batch) build(msgs [][]byte, skip int) ([][]byte, int) {
	hdrs := b.hdrs[:0]
	bufs := b.bufs[:0]
	total := 0
	for _, m := range msgs {
		off := len(hdrs)
		hdrs = ws.AppendHeader(hdrs, true, ws.OpText, len(m))
		for _, p := range [2][]byte{hdrs[off:len(hdrs):len(hdrs)], m} {
			if skip >= len(p) {
				skip -= len(p)
				continue
			}
			p = p[skip:]
			skip = 0
			bufs = append(bufs, p)
			total += len(p)
		}
	}
	return bufs, total
}

// written works out how far a write of n bytes of the batch for msgs, after skip bytes, got: the messages it
// completed, and the bytes of the next one it wrote.
func written(msgs [][]byte, skip, n int) (done, off int) {
	n += skip
	for i, m := range msgs {
		size := headerLen(len(m)) + len(m)
		if n < size {
			return i, n
		}
		n -= size
	}
	return len(msgs), 0
}

func headerLen(n int) int {
	switch {
	case n < 126:
		return 2
	case n <= 0xffff:
		return 4
	}
	return 10
}

// writeBlocking writes bufs (total bytes) under a deadline on the net.Conn (no timer or context per write): copied
// into one shared buffer when they fit, else with writev. (writev from net.Buffers makes the net package keep an
// iovec array per connection for good, which small writes need not cost.)
func (c *conn) writeBlocking(bufs [][]byte, total int) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.wc.SetWriteDeadline(time.Now().Add(c.srv.opts.MessageTimeout))
	defer c.clearWriteDeadline()
	if total <= readChunk {
		chunk := readChunks.Get().(*[readChunk]byte)
		defer readChunks.Put(chunk)
		k := 0
		for _, p := range bufs {
			k += copy(chunk[k:], p)
		}
		_, err := c.wc.Write(chunk[:k])
		return err
	}
	nb := net.Buffers(bufs)
	_, err := nb.WriteTo(c.wc)
	return err
}

// writeNow writes one message (the binding) at once.
func (c *conn) writeNow(m []byte) error {
	b := batches.Get().(*batch)
	defer batches.Put(b)
	bufs, total := b.build([][]byte{m}, 0)
	if err := c.writeBlocking(bufs, total); err != nil {
		return err
	}
	c.srv.stats.bytesOut.Add(int64(len(m)))
	return nil
}

// writeControl writes a control frame.
func (c *conn) writeControl(op byte, payload []byte) error {
	var buf [2 + ws.MaxControlPayload]byte
	f := append(ws.AppendHeader(buf[:0], true, op, len(payload)), payload...)
	return c.writeRaw(f, c.srv.opts.MessageTimeout)
}

// writeClose writes a close frame; a peer that does not take it within closeWait is not waited for.
func (c *conn) writeClose(code ws.StatusCode, reason string) {
	var buf [2 + ws.MaxControlPayload]byte
	c.writeRaw(ws.AppendClose(buf[:0], code, reason), c.srv.closeWait)
}

func (c *conn) writeRaw(f []byte, timeout time.Duration) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.wc.SetWriteDeadline(time.Now().Add(timeout))
	defer c.clearWriteDeadline()
	_, err := c.wc.Write(f)
	return err
}

// clearWriteDeadline clears the deadline a blocking write set (non-blocking writes fail while one has passed),
// unless the connection is being cut. Under wmu.
func (c *conn) clearWriteDeadline() {
	if !c.closing() {
		c.wc.SetWriteDeadline(time.Time{})
	}
}
