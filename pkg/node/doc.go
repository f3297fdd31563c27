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
// In the browser (GOOS=js) the node drives the browser's own RTCPeerConnection and RTCDataChannel through
// syscall/js (internal/rtc); natively it uses pion/webrtc. The browser build does not link pion at all: its JS
// backend would bring pion's whole stack (DTLS, SRTP, SCTP, ICE, encoding/gob) into the wasm, code and package
// inits the browser never needs. What differs there:
//
//   - Options.WebRTC has nothing to set: WebRTCSettings is an empty struct (natively it is pion's SettingEngine).
//   - Local ICE candidates are the browser's own candidate.toJSON(); the signals on the hub are the same JSON
//     either way, so browser and native nodes connect to each other.
//   - The page's peer connections are closed on pagehide (unless the page goes into the back/forward cache), so
//     remote peers see a closed tab at once instead of when ICE gives up.
//
// Chrome allows about 500 RTCPeerConnections per page over its lifetime, which is why connections are pooled per
// remote node and never made per socket.
package node
