//go:build !js

package main

import (
	"testing"
	"time"

	"github.com/smokenet/smoke/internal/testing/browser"
)

// TestMediaReadmeExample runs the original smoke README's "MediaStream and Media Proxy" example, verbatim apart
// from the import line (testdata/examples/media-proxy.ts, its types erased by the TypeScript compiler): a test
// pattern on node0, proxied by node1, watched by node2 in a <video>. Frames keep arriving: currentTime grows and
// frames are decoded.
func TestMediaReadmeExample(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	p := r.page(t, "media-readme.html", mediaReadmePage(t))
	videoPlays(t, p)
	noProblems(t, p.Console())
}

// mediaReadmePage is the page of the README's media example.
func mediaReadmePage(t *testing.T) string {
	return pageHead + `<video id="video-0" muted playsinline></video>` + importMap +
		"\n<script type=\"module\">\nimport { Node } from '" + pkgName + "'\n\n" + transpile(t, "media-proxy.ts") + "</script>\n"
}

// videoPlays checks that the page's <video id="video-0"> plays, and goes on playing: in 2 s, at least 1 s of
// currentTime and 20 decoded frames.
func videoPlays(t *testing.T, p browser.Tab) {
	t.Helper()
	type state struct {
		Time   float64
		Frames int
		Width  int
	}
	read := func() state {
		// Frames shown as testdata/harness.js's framesShown counts them (Firefox leaves getVideoPlaybackQuality
		// at 0 for a MediaStream).
		return tabEval[state](t, p, 10*time.Second, `(() => {
  if (!window.shownFrames) {
    `+framesJS+`
  }
  const v = document.getElementById('video-0')
  return { time: v.currentTime, frames: shownFrames(v), width: v.videoWidth }
})()`)
	}
	deadline := time.Now().Add(60 * time.Second)
	var first state
	for {
		first = read()
		if first.Frames > 0 && first.Time > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the video never played: %+v\nconsole:\n%v", first, p.Console())
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(2 * time.Second)
	later := read()
	t.Logf("after 2 s: currentTime %.2f → %.2f, frames %d → %d, width %d", first.Time, later.Time, first.Frames, later.Frames, later.Width)
	if later.Time-first.Time < 1 || later.Frames-first.Frames < 20 {
		t.Errorf("frames stopped arriving: %+v then %+v", first, later)
	}
}

// TestMediaResponses runs the browser-side cases of media responses (testdata/media-rest.js): two concurrent
// streams between one pair of nodes, a chain with four viewers of the proxy and one leaving, ending from either
// side, many sequential fetches with bounded transceivers, and bad input.
func TestMediaResponses(t *testing.T) {
	t.Parallel()
	p := runCases(t, "media-rest", 8*time.Minute)
	noProblems(t, p.Console())
}
