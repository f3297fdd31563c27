//go:build !js

package main

import (
	"strings"
	"testing"
	"time"
)

// TestDatabase runs the browser-side cases of testdata/db.js against the page's real IndexedDB: CRUD, bad records
// failing whole commits, the README's query locally, bounded batch reads, 1,500 random query pipelines checked
// against a plain evaluation, and remote queries over REST between two nodes (a client that stops after 10 of
// 100,000 records, five broken iterations then a whole one, operators applied on the client).
func TestDatabase(t *testing.T) {
	t.Parallel()
	p := runCases(t, "db", 10*time.Minute)
	for _, c := range p.Console() {
		if strings.HasPrefix(c, "log: bench: ") {
			t.Log(strings.TrimPrefix(c, "log: "))
		}
	}
	noProblems(t, p.Console())
}
