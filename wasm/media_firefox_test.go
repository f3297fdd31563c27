//go:build !js

package main

// The media tests in Firefox ESR: its fake camera (media.navigator.streams.fake) stands in for Chromium's, and its
// own encoders, MediaRecorder and Media Source Extensions do the work. The checks are those of the Chromium tests.

import (
	"testing"
	"time"
)

// TestFirefoxMediaReadmeExample is TestMediaReadmeExample in Firefox.
func TestFirefoxMediaReadmeExample(t *testing.T) {
	t.Parallel()
	r := newFirefoxRig(t)
	p := r.page(t, "media-readme-firefox.html", mediaReadmePage(t))
	videoPlays(t, p)
	noProblems(t, p.Console())
}

// TestFirefoxMedia is TestMedia in Firefox: the cases of testdata/media.js.
func TestFirefoxMedia(t *testing.T) {
	t.Parallel()
	p := newFirefoxRig(t).runCases(t, "media", 5*time.Minute)
	noProblems(t, p.Console())
}

// TestFirefoxMediaResponses is TestMediaResponses in Firefox: the cases of testdata/media-rest.js.
func TestFirefoxMediaResponses(t *testing.T) {
	t.Parallel()
	p := newFirefoxRig(t).runCases(t, "media-rest", 8*time.Minute)
	noProblems(t, p.Console())
}
