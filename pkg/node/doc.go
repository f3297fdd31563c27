// Package node is a Smoke network node: an address on a hub, ports, and message sockets to other nodes, peer to
// peer over WebRTC. The same API runs natively (pion WebRTC) and in the browser (Go wasm driving the browser's
// RTCPeerConnection).
//
//	n := node.New(nil)                      // joins the process's page hub; or Options.Hub = hub.NewNetworkHub(url, nil)
//	l, _ := n.Listen(7000)                  // serve a port
//	s, _ := other.Dial(ctx, addr, 7000)     // connect to it from another node
//	s.Write(ctx, node.MessageText, []byte("hello"))
//
// # How it works
//
// Between two nodes there is one RTCPeerConnection, created by whichever side needs it first, signalled through the
// hub with trickle ICE and the W3C "perfect negotiation" pattern (the smaller address is the polite side), reused by
// every socket between them, and torn down when it fails or either node leaves. Each socket is one ordered, reliable
// datachannel whose label is the port. A socket carries WebSocket-like messages in frames of at most 16 KiB, with
// credit-based flow control so a slow reader bounds the writer instead of growing memory; the frame format is
// internal/frame/SPEC.md. Dialling "localhost" or the node's own address reaches its own listeners through an
// in-memory pipe, without WebRTC.
//
// NetConn turns a socket into a net.Conn, so any Go protocol can run over it.
//
// # Errors
//
// A port nobody listens on fails Dial at once (ErrPortNotListening); an address no node has fails it as soon as the
// hub says so (ErrPeerUnreachable); a peer that goes away fails its sockets' reads and writes within
// Options.DisconnectTimeout plus ICE's own few seconds, or at once when it closes cleanly. Nothing a remote peer
// sends can crash a node: malformed frames close only that socket with a protocol error.
//
// # Wasm
//
// In the browser the node uses the browser's RTCPeerConnection through pion's JS backend, with two differences
// handled here: datachannel messages are read from the RTCDataChannel directly (pion's JS OnMessage runs each
// message on its own goroutine and loses their order), and local ICE candidates are forwarded as the browser's own
// candidate.toJSON() (pion's JS backend rebuilds them from fields and loses IPv6 ones). Options.WebRTC has almost
// nothing to set there. Chrome allows about 500 RTCPeerConnections per page over its lifetime, which is why
// connections are pooled per remote node and never made per socket.
package node
