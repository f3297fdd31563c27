// Package server is the smoke-hub signalling server: an http.Handler speaking the hub protocol
// (../PROTOCOL.md, version 1) to nodes over WebSocket (RFC 6455, framed by internal/ws; clients use
// github.com/coder/websocket).
//
//	s := server.New(&server.Options{ICEServers: []hub.ICEServer{{URLs: []string{"stun:stun.example.org"}}}})
//	defer s.Close()
//	http.Handle("/", s)
//
// Native only: wasm code must not import it (it compiles for GOOS=js so that `go vet` covers it, but a browser
// cannot accept connections). On Linux epoll instances tell which connections have bytes to read (lean.go);
// elsewhere each connection has a goroutine waiting in a read. It logs through Options.Logger, unlike library
// packages, because it is a server.
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
// Measured in process with 2,000 idle nodes (TestIdleMemory; go test -run TestIdleMemory -v): about 1.1 KB of Go
// heap per node (it was 6.0 KB, measured the same way, with a goroutine and coder/websocket's Conn per node), no
// goroutine and no stack. Of that: ~0.55 KB is the net package's TCPConn with its two addresses (what any Go server
// pays), ~0.2 KB the conn, ~0.2 KB the session, the rest map entries and the address. In a separate process with
// 19,900 idle nodes (make bench) smoke-hub's resident memory grows by 2.6 KB per node, Go's garbage collector's
// headroom included, against 6.3 KB for peerjs-server in the same run; the kernel holds ~3.8 KB more per TCP
// socket, which no process's RSS shows (../../../docs/hub-scale.md). lean.go explains how: no goroutine, buffer or
// timer waits per idle connection; the poller says which sockets to read, shared buffers take the bytes, the
// hub's own framing decodes them, and writes go out from the goroutine that queued them, per read handled. One
// server-wide goroutine pings silent connections.
//
// # Hostile input
//
// Every violation closes only the offending connection, with the close code PROTOCOL.md gives, one log line, and
// the end of its session. A message must finish arriving within Options.MessageTimeout once it began, so a peer
// cannot pin read buffers by stalling mid-message. The goroutines that serve a connection recover from panics, log them and drop
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
