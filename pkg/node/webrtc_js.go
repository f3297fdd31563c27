//go:build js

package node

import (
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
