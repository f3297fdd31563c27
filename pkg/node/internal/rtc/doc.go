// Package rtc is the little of WebRTC that pkg/node uses — a peer connection with perfect negotiation, trickle ICE
// and datachannels — on two backends: pion/webrtc natively (rtc_native.go, thin wrappers), and the browser's own
// RTCPeerConnection through syscall/js under GOOS=js (rtc_js.go).
//
// # Why not pion's JS backend
//
// pion/webrtc also drives the browser's RTCPeerConnection under GOOS=js, but importing it links pion's whole stack
// (DTLS, SRTP, SCTP, ICE, x509, math/big, encoding/gob) into the wasm although the browser does all of that: about
// 3.1 MB raw and 0.64 MB brotli, and package inits that run at every page load. Its JS backend also runs each event
// handler on a goroutine of its own, which loses the order of events (datachannel messages, connection states), and
// rebuilds ICE candidates from their fields, which loses IPv6 ones. This package does neither: handlers run in
// order, and local candidates are the browser's own candidate.toJSON().
//
// # Contract
//
// The types that go over the wire (SessionDescription, ICECandidateInit) marshal to exactly the JSON pion's do, so
// that browser and native nodes interoperate (wire_test.go checks it against pion). The methods mirror pion's
// (and the W3C API's) names and meaning, for the subset pkg/node needs:
//
//   - Handlers (On...) are set once each, before the connection is used; setting one again replaces it. They are
//     called one at a time, in the order the events happened, and must not block: in the browser they run inside a
//     JavaScript event callback (docs/ARCHITECTURE.md, decision 6), natively on pion's goroutines.
//   - The calls that wait (CreateOffer, CreateAnswer, SetLocalDescription, SetRemoteDescription, AddICECandidate)
//     must not be called from a handler. In the browser, Close ends their wait with an error wrapping
//     net.ErrClosed: a closed RTCPeerConnection never settles the promises of operations it had queued (W3C WebRTC
//     §4.4.1.2, "if connection.[[IsClosed]] is true, abort these steps").
//   - Datachannels are ordered and reliable (the defaults of both), which is all pkg/node uses.
//
// In the browser every peer connection is also closed when the page is hidden for good (pagehide without the
// back/forward cache), so remote peers learn at once that the tab went away instead of waiting ~10 s for ICE.
package rtc
