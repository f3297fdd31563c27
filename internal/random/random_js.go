//go:build js

package random

import "syscall/js"

// getRandomValues fills at most this many bytes per call (Web Crypto's limit).
const maxPerCall = 65536

var (
	crypto     = js.Global().Get("crypto")
	uint8Array = js.Global().Get("Uint8Array")
)

func read(b []byte) {
	for len(b) > 0 {
		n := min(len(b), maxPerCall)
		u := uint8Array.New(n)
		crypto.Call("getRandomValues", u)
		js.CopyBytesToGo(b[:n], u)
		b = b[n:]
	}
}
