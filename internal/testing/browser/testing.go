//go:build !js

package browser

import (
	"strings"
	"testing"
)

// New starts a [Browser] for the test t and closes it when the test ends. It
// fails the test, and does not skip it, if Chromium is missing or does not
// start. When the test has failed, the cleanup logs the console of each page
// that [Browser.NewPage] opened.
func New(t testing.TB) *Browser {
	t.Helper()
	b, err := Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Close first, so each console holds everything up to the end.
		closeErr := b.Close()
		if t.Failed() {
			b.mu.Lock()
			pages := b.pages
			b.mu.Unlock()
			for _, p := range pages {
				if c := p.Console(); len(c) > 0 {
					t.Logf("console of page %d:\n%s", p.id, strings.Join(c, "\n"))
				}
			}
		}
		if closeErr != nil {
			t.Error(closeErr)
		}
	})
	return b
}

// NewFirefox starts a [Firefox] for the test t and closes it when the test
// ends. It fails the test, and does not skip it, if Firefox, Node.js or the
// rig's packages are missing. When the test has failed, the cleanup logs the
// console of each page that [Firefox.NewPage] opened.
func NewFirefox(t testing.TB, opts *FirefoxOptions) *Firefox {
	t.Helper()
	f, err := StartFirefox(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		closeErr := f.Close()
		if t.Failed() {
			f.mu.Lock()
			pages := f.all
			f.mu.Unlock()
			for _, p := range pages {
				if c := p.Console(); len(c) > 0 {
					t.Logf("console of Firefox page %d:\n%s", p.id, strings.Join(c, "\n"))
				}
			}
		}
		if closeErr != nil {
			t.Error(closeErr)
		}
	})
	return f
}
