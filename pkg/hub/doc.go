// Package hub is Smoke's signalling layer: how a node gets its address and ICE configuration, and how it exchanges
// the small messages (SDP offers and answers, ICE candidates) that set up peer connections with other nodes.
//
// A node talks to its hub through the Hub interface. Two implementations come with the package:
//
//   - PageHub, an in-process hub for nodes in one process or page (addresses 0.0.0.1, 0.0.0.2, …), the default;
//   - NetworkHub, a client of a smoke-hub server over WebSocket (addresses are unguessable random strings).
//
// Custom hubs implement Hub. The network protocol is specified in PROTOCOL.md beside this file; the server is in
// the server subpackage, which browser builds never import.
//
// # Wasm
//
// Everything here runs unchanged under GOOS=js: NetworkHub uses the browser's WebSocket through
// github.com/coder/websocket. Browsers cannot send custom headers on a WebSocket, which is why the protocol carries
// its version, resume token and shared secret as query parameters.
package hub
