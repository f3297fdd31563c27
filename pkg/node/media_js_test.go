//go:build js

package node_test

import (
	"fmt"
	"syscall/js"
	"testing"
	"time"

	"github.com/smokenet/smoke/pkg/node"
)

// testTrack is a track of kind: "video" from a canvas that is redrawn, "audio" from an oscillator.
func testTrack(t testing.TB, kind string) node.LocalTrack {
	t.Helper()
	doc := js.Global().Get("document")
	if kind == "audio" {
		ac := js.Global().Get("AudioContext").New()
		osc := ac.Call("createOscillator")
		dst := ac.Call("createMediaStreamDestination")
		osc.Call("connect", dst)
		osc.Call("start")
		t.Cleanup(func() { ac.Call("close") })
		return dst.Get("stream").Call("getAudioTracks").Index(0)
	}
	canvas := doc.Call("createElement", "canvas")
	canvas.Set("width", 160)
	canvas.Set("height", 120)
	ctx := canvas.Call("getContext", "2d")
	n := 0
	draw := js.FuncOf(func(js.Value, []js.Value) any {
		n++
		ctx.Set("fillStyle", []string{"red", "green", "blue"}[n%3])
		ctx.Call("fillRect", 0, 0, 160, 120)
		return nil
	})
	timer := js.Global().Call("setInterval", draw, 33)
	t.Cleanup(func() {
		js.Global().Call("clearInterval", timer)
		draw.Release()
	})
	track := canvas.Call("captureStream", 30).Call("getVideoTracks").Index(0)
	t.Cleanup(func() { track.Call("stop") })
	return track
}

// trackKind is a received track's kind.
func trackKind(rt node.RemoteTrack) string { return rt.Get("kind").String() }

// flowing waits up to 5 s for media to come on a received track: a browser's track is unmuted by its first packets.
func flowing(rt node.RemoteTrack) error {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if rt.Get("readyState").String() == "live" && !rt.Get("muted").Bool() {
			return nil
		}
	}
	return fmt.Errorf("no media on the received %s track in 5 s (readyState %s, muted %v)", trackKind(rt), rt.Get("readyState"), rt.Get("muted"))
}
