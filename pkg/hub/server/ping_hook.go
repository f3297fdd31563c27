//go:build !js

package server

import "github.com/coder/websocket"

// setPingHook makes pings and pongs from the peer count against its rate limit (see conn.onPing).
func setPingHook(o *websocket.AcceptOptions, c *conn) {
	o.OnPingReceived = c.onPing
	o.OnPongReceived = c.onPong
}
