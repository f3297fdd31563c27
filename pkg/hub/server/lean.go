package server

import (
	"net"
	"syscall"
)

// An idle node should cost the hub as little as possible: a hub for a million nodes keeps nearly all of them idle,
// waiting for the next offer or candidate. So an idle connection has no goroutine and no buffer of its own, the
// design of "A Million WebSockets and Go" (Mail.Ru, gobwas/ws with epoll):
//
//   - No goroutine waits per connection. The poller (poll_linux.go: an epoll instance and a goroutine per core)
//     says which sockets have bytes to read; its goroutine reads what arrived without blocking and relays it
//     (inline.go), and anything that may wait goes to a goroutine started for the connection, which handles it
//     and exits (the work token, read.go). Waiting in a read would cost a goroutine
//     with its stack (2 KiB at the very least, and a stack grown by handling a message never shrinks back below
//     4 KiB), plus the runtime's descriptor.
//   - No buffer waits per connection. Reads go into shared 16 KiB buffers (a sync.Pool) that go back as soon as the
//     bytes are handled; only a frame that has not arrived whole is kept, in a buffer of its own, until it has.
//   - The WebSocket framing is the hub's own (internal/ws: a push decoder fed from those buffers), since
//     coder/websocket's server Conn holds ~1.4 KB per connection and needs a goroutine blocked in Reader. Clients,
//     native and in browsers, stay on coder/websocket.
//   - No timer per connection: a message that began arriving gets one (MessageTimeout) until it is complete, and a
//     close handshake one until the peer answers; one server-wide goroutine pings silent connections (keepalive.go).
//   - Writes go out from a session's queue in batches, one writev for everything queued (write.go), from a goroutine
//     that exists only while the queue is not empty. The relayed message is spliced, not re-encoded
//     (wire.AppendForward).
//
// Where there is no epoll (other systems), or a connection is not a TCP socket, the connection gets a goroutine
// that waits in a blocking read instead (blocking mode): the same decoder and handlers, only the wait differs.
// (Not coder/websocket, as before: one framing for both keeps one set of behaviours, which the tests run in both
// modes, TestBlockingMode.)
//
// Measured (TestIdleMemory, 2,000 idle nodes in process): 6.0 KB per idle node before this design (a goroutine
// with a 2 KiB stack in a shallow read, its ~0.5 KB descriptor, coder/websocket's ~1.4 KB Conn, 16-byte bufio
// buffers), 1.1 KB after, of which ~0.55 KB is the net package's TCPConn. In a process of its own with 19,900 idle
// nodes (make bench), resident memory grows by 2.6 KB per node, the garbage collector's headroom (GOGC=100 lets
// the heap grow to twice what is live) included; it was 8.4 KB. A goroutine that handled traffic still exists
// briefly, and the runtime keeps the descriptors of dead goroutines for reuse: a burst in which every node sends
// at once leaves ~0.1–0.4 KB per goroutine that ran concurrently (TestIdleMemory's second figure), bounded by the
// burst, not by the number of nodes.

// watch starts serving c: the poller watches its socket, or a goroutine of its own reads it. The caller holds c's
// work token and passes it on.
func (s *Server) watch(c *conn) {
	if c.raw != nil && s.poll != nil && s.poll.add(c) {
		// Bytes that came with the handshake, flags set meanwhile: the first run sees to them.
		go c.work()
		return
	}
	c.blocking.Store(true)
	go c.readBlocking()
}

// unwatch stops watching c; the token holder calls it before the socket is closed.
func (s *Server) unwatch(c *conn) {
	if s.poll != nil {
		s.poll.remove(c)
	}
}

// underlying returns the TCP connection under nc, if there is one: writes go to it directly, so that net.Buffers
// become one writev (net.Buffers.WriteTo uses writev only on the net package's own types), and its RawConn gives
// non-blocking reads.
func underlying(nc net.Conn) (net.Conn, syscall.RawConn) {
	if g, ok := nc.(*gateConn); ok {
		nc = g.Conn
	}
	tc, ok := nc.(*net.TCPConn)
	if !ok {
		return nc, nil
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return nc, nil
	}
	return tc, raw
}
