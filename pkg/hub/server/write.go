package server

import (
	"net"
	"time"

	"github.com/smokenet/smoke/pkg/hub/server/internal/ws"
)

// maxBatch bounds the messages one write takes from a queue: one writev of at most 2×maxBatch buffers (the
// kernel takes up to 1024).
const maxBatch = 64

// writeMessages writes msgs as text frames in one system call (writev) under a deadline on the net.Conn (no timer
// or context per message). hdrs is scratch space for the frame headers.
func (c *conn) writeMessages(msgs [][]byte, hdrs []byte, bufs net.Buffers) error {
	hdrs = hdrs[:0]
	for _, m := range msgs {
		hdrs = ws.AppendHeader(hdrs, true, ws.OpText, len(m))
	}
	bufs = bufs[:0]
	off := 0
	total := 0
	for _, m := range msgs {
		n := ws.HeaderLen(hdrs[off:]) // server headers are unmasked: HeaderLen counts no key
		bufs = append(bufs, hdrs[off:off+n:off+n], m)
		off += n
		total += len(m)
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.wc.SetWriteDeadline(time.Now().Add(c.srv.opts.MessageTimeout))
	_, err := bufs.WriteTo(c.wc)
	if err != nil {
		return err
	}
	c.srv.stats.bytesOut.Add(int64(total))
	return nil
}

// writeNow writes one message (the binding) at once.
func (c *conn) writeNow(b []byte) error {
	var hdr [ws.MaxHeader]byte
	var bufs [2][]byte
	return c.writeMessages([][]byte{b}, hdr[:0], bufs[:0])
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
	_, err := c.wc.Write(f)
	return err
}
