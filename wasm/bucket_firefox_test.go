//go:build !js

package main

import (
	"testing"
	"time"
)

// TestFirefoxBucket is TestBucket in Firefox: the cases of testdata/bucket.js against Firefox's IndexedDB, Blobs
// and Web Locks, and bucket.serve between two nodes of the page.
func TestFirefoxBucket(t *testing.T) {
	t.Parallel()
	p := newFirefoxRig(t).runCases(t, "bucket", 10*time.Minute)
	noProblems(t, p.Console())
}
