//go:build !js

package main

import (
	"testing"
	"time"
)

// TestDatabase runs the browser-side cases of testdata/db.js against the page's real IndexedDB: CRUD, bad records
// failing whole commits, the README's query locally, bounded batch reads, and 1,500 random query pipelines checked
// against a plain evaluation.
func TestDatabase(t *testing.T) {
	t.Parallel()
	p := runCases(t, "db", 10*time.Minute)
	noProblems(t, p.Console(), "Version change detected")
}
