//go:build !js

package node

import "github.com/pion/webrtc/v4"

// attachMessages delivers dc's messages to f. Natively pion calls OnMessage from the channel's one read loop, in
// order, with a fresh copy of each message.
func attachMessages(dc *webrtc.DataChannel, f func([]byte)) {
	dc.OnMessage(func(m webrtc.DataChannelMessage) { f(m.Data) })
}
