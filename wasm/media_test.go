//go:build !js

package main

import (
	"testing"
	"time"
)

// TestMedia runs the browser-side cases of node.media's local parts (testdata/media.js): the test pattern, recording
// to WebM, a broadcast's late joiner playing through Media Source Extensions, a reader that falls behind failing
// alone, and playback that removes what it has played.
func TestMedia(t *testing.T) {
	t.Parallel()
	p := runCases(t, "media", 5*time.Minute)
	noProblems(t, p.Console())
}
