//go:build js

package node

import (
	"sync"
	"syscall/js"

	"github.com/pion/webrtc/v4"
)

// newAPI builds the pion API in the browser, where it drives the browser's own RTCPeerConnection and the
// SettingEngine has nothing to set.
func newAPI(se *webrtc.SettingEngine) *webrtc.API {
	if se != nil {
		return webrtc.NewAPI(webrtc.WithSettingEngine(*se))
	}
	return webrtc.NewAPI()
}

// onLocalCandidate sends each local ICE candidate to f. It forwards the browser's own candidate.toJSON() rather
// than pion's OnICECandidate, which rebuilds candidates from their fields and loses IPv6 ones (their addresses come
// bracketed and fail to parse).
func onLocalCandidate(pc *webrtc.PeerConnection, f func(webrtc.ICECandidateInit)) (release func()) {
	v := pc.JSValue()
	fn := js.FuncOf(func(this js.Value, args []js.Value) any {
		c := args[0].Get("candidate")
		if c.IsNull() || c.IsUndefined() {
			return nil // end of gathering
		}
		j := c.Call("toJSON")
		init := webrtc.ICECandidateInit{Candidate: j.Get("candidate").String()}
		if mid := j.Get("sdpMid"); mid.Type() == js.TypeString {
			s := mid.String()
			init.SDPMid = &s
		}
		if idx := j.Get("sdpMLineIndex"); idx.Type() == js.TypeNumber {
			i := uint16(idx.Int())
			init.SDPMLineIndex = &i
		}
		if uf := j.Get("usernameFragment"); uf.Type() == js.TypeString {
			s := uf.String()
			init.UsernameFragment = &s
		}
		f(init)
		return nil
	})
	v.Call("addEventListener", "icecandidate", fn)
	return func() {
		v.Call("removeEventListener", "icecandidate", fn)
		fn.Release()
	}
}

// pageExit holds the page's open peer connections, so that they are closed when the page goes away.
var pageExit struct {
	once sync.Once
	open js.Value // a JS Set of RTCPeerConnections
}

// closeOnPageExit closes pc when the page is unloaded (pagehide, unless the page goes into the back/forward
// cache). Closing them explicitly tells the remote peers at once; left to the browser's teardown, a closed tab
// was only noticed when ICE gave up on it, after about ten seconds.
func closeOnPageExit(pc *webrtc.PeerConnection) (release func()) {
	pageExit.once.Do(func() {
		open := js.Global().Get("Set").New()
		pageExit.open = open
		if js.Global().Get("addEventListener").Type() != js.TypeFunction {
			return // not a window (a worker has no pagehide)
		}
		// Never released: one listener for the page's lifetime. It only calls close(), which does not block
		// and fires no events back into Go.
		onHide := js.FuncOf(func(_ js.Value, args []js.Value) any {
			if len(args) > 0 && args[0].Get("persisted").Truthy() {
				return nil // kept in the back/forward cache: the page may come back with its connections
			}
			list := js.Global().Get("Array").Call("from", open)
			for i := range list.Length() {
				list.Index(i).Call("close")
			}
			open.Call("clear")
			return nil
		})
		js.Global().Call("addEventListener", "pagehide", onHide)
	})
	v := pc.JSValue()
	pageExit.open.Call("add", v)
	return func() { pageExit.open.Call("delete", v) }
}
