//go:build js

package node

import (
	"syscall/js"

	"github.com/pion/webrtc/v4"
)

var uint8Array = js.Global().Get("Uint8Array")

// attachMessages delivers dc's messages to f. In the browser pion's OnMessage starts a goroutine per message, which
// loses their order, so we listen on the RTCDataChannel ourselves: the event callback copies the bytes and hands
// them on without blocking (DESIGN.md decision 6).
func attachMessages(dc *webrtc.DataChannel, f func([]byte)) {
	v := dc.JSValue()
	v.Set("binaryType", "arraybuffer")
	var onMessage, onClose js.Func
	onMessage = js.FuncOf(func(this js.Value, args []js.Value) any {
		data := args[0].Get("data")
		var b []byte
		if data.Type() == js.TypeString {
			b = []byte(data.String()) // a text message is not a frame; the frame decoder rejects it
		} else {
			u := uint8Array.New(data)
			b = make([]byte, u.Get("byteLength").Int())
			js.CopyBytesToGo(b, u)
		}
		f(b)
		return nil
	})
	onClose = js.FuncOf(func(this js.Value, args []js.Value) any {
		v.Call("removeEventListener", "message", onMessage)
		v.Call("removeEventListener", "close", onClose)
		// Released after the event: a message event queued behind close finds no listener, not a freed func.
		go func() { onMessage.Release(); onClose.Release() }()
		return nil
	})
	v.Call("addEventListener", "message", onMessage)
	v.Call("addEventListener", "close", onClose)
}
