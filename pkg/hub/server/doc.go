// Package server is the smoke-hub signalling server: an http.Handler speaking the hub protocol
// (../PROTOCOL.md, version 1) to nodes over WebSocket (github.com/coder/websocket).
//
//	s := server.New(&server.Options{ICEServers: []hub.ICEServer{{URLs: []string{"stun:stun.example.org"}}}})
//	defer s.Close()
//	http.Handle("/", s)
//
// Native only: wasm code must not import it (it compiles for GOOS=js, but coder/websocket cannot accept
// connections there). It logs through Options.Logger, unlike library packages, because it is a server.
//
// # Sessions
//
// Each connection gets a binding: an unguessable address (80 random bits) and a resume token. A connection that
// drops (anything but a close with code 1000, or one the server closes for cause) leaves its session detached for
// Options.Grace: messages to it are queued, its hostnames stay leased, and a connection presenting the token gets the
// session back with the queued messages. A resume that arrives while the old connection still looks alive (the
// server has not noticed the drop yet) takes over: the old connection is closed with 4409.
//
// # Cost of an idle node
//
// Measured in process with 2,000 idle nodes (TestIdleMemory; go test -run TestIdleMemory -v): about 5.9 KB of Go
// heap and stack per node, the same after each node has sent a message. Of that: 2 KiB is the read goroutine's
// stack and ~0.5 KB its runtime descriptor; ~1.4 KB is coder/websocket's Conn (with its four channel-based locks);
// ~0.55 KB is the net.TCPConn; ~0.8 KB is this package's (session, conn, 16-byte buffers, map entries, and a rate
// limiter once the node sent something). lean.go explains the tricks that got it there from 8.7 KB: the idle
// goroutine waits in a shallow read instead of inside coder/websocket, hands over to a fresh goroutine once traffic
// pauses for 50 ms (a grown stack never shrinks back to 2 KiB), and read and write buffers are pooled instead of per
// connection. There are no timers or writer goroutines per idle node: one server-wide goroutine pings silent
// connections, and a writer goroutine runs only while a node's queue is not empty.
//
// # Hostile input
//
// Every violation closes only the offending connection, with the close code PROTOCOL.md gives, one log line, and
// the end of its session. A message must finish arriving within Options.MessageTimeout once it began, so a peer
// cannot pin read buffers by stalling mid-message. Per-connection goroutines recover from panics, log them and drop
// only that connection.
//
// # Limits
//
// Everything a client can make the hub hold is bounded in bytes or in time, and per client address as well as per
// hub, so that one client cannot take what the others need (Options lists each with its default; /metrics counts
// every time one fires). Before the upgrade (Serve): the header's size and arrival time, the connections not yet
// upgraded, per address and in all, with idle keep-alive connections closed to make room. After it: connections,
// sessions (resumable ones included) per address and in all, queued bytes per node, per address and in all, and
// messages per second per node. Connection limits default to what the open-files limit allows (DefaultLimits):
// a hub out of descriptors cannot even refuse a connection. The rate limit forgives the hub's own stalls
// (rate.go), and a node closed for its rate keeps its session, so an attack that stalls the hub closes nobody else.
// Per-address limits key on the TCP peer's address: behind a reverse proxy, set MaxConnectionsPerIP to -1.
package server
