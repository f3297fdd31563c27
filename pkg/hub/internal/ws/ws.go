// Package ws is the WebSocket client the network hub speaks over: github.com/coder/websocket natively, and the
// browser's own WebSocket in wasm, through a small client of its own here. coder/websocket's browser build imports
// net/http for the types in its signatures, and importing net/http links its TLS and X.509 code into smoke.wasm
// (docs/ARCHITECTURE.md); the browser client does not.
//
// Both builds declare the same names with the same meanings as coder/websocket's: Dial, Conn (Read, Write, Close,
// CloseNow, SetReadLimit), MessageType, StatusCode, CloseError.
package ws
