package server

import "github.com/coder/websocket"

// setPingHook does nothing in a browser, where coder/websocket's Accept is a stub that always fails: the server
// compiles for GOOS=js only so that `go vet ./...` covers both platforms; it is never run there.
func setPingHook(*websocket.AcceptOptions, *conn) {}
