//go:build !js

package browser

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/chromedp/chromedp"
)

const consolePage = `<!doctype html>
<link rel="icon" href="data:,">
<script>
console.log("hello", 42);
function fail() { throw new Error("boom"); }
setTimeout(fail);
</script>
`

// TestPage shares one browser between its subtests: a start costs more than
// everything they do.
func TestPage(t *testing.T) {
	t.Parallel()
	b := New(t)
	srv := Serve(t, fstest.MapFS{
		"index.html":   {Data: []byte("<!doctype html>\n<link rel=\"icon\" href=\"data:,\">\n")},
		"console.html": {Data: []byte(consolePage)},
	}, nil)
	open := func(t *testing.T, path string) *Page {
		t.Helper()
		p, err := b.NewPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Run(t.Context(), chromedp.Navigate(srv.URL+path)); err != nil {
			t.Fatal(err)
		}
		return p
	}

	t.Run("Console", func(t *testing.T) {
		t.Parallel()
		p := open(t, "/console.html")
		got, err := Run(t.Context(), p, chromedp.Evaluate[int](`console.error("bad", 1 + 2); 6 * 7`))
		if err != nil {
			t.Fatal(err)
		}
		if got != 42 {
			t.Errorf("evaluate = %d, want 42", got)
		}

		want := []string{
			"log: hello 42",
			"exception: Uncaught Error: boom\n    at fail (" + srv.URL + "/console.html:5:",
			"error: bad 3\n    at <anonymous> (:1:9)",
		}
		// The console arrives asynchronously; wait for all of it.
		var console []string
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if console = p.Console(); len(console) >= len(want) {
				break
			}
		}
		for _, w := range want {
			if !slices.ContainsFunc(console, func(c string) bool { return strings.HasPrefix(c, w) }) {
				t.Errorf("console has no entry that starts with %q; console:\n%s", w, strings.Join(console, "\n"))
			}
		}
	})

	// Two pages are separate browser contexts: storage that one writes, the
	// other cannot see, though both are on the same origin.
	t.Run("Isolated", func(t *testing.T) {
		t.Parallel()
		pages := []*Page{open(t, "/"), open(t, "/")}
		if err := pages[0].Run(t.Context(), chromedp.Evaluate[chromedp.Void](`localStorage.setItem("k", "v")`)); err != nil {
			t.Fatal(err)
		}
		for i, want := range []string{"v", "none"} {
			got, err := Run(t.Context(), pages[i], chromedp.Evaluate[string](`localStorage.getItem("k") ?? "none"`))
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("page %d: localStorage k = %q, want %q", i+1, got, want)
			}
		}
	})

	t.Run("Context", func(t *testing.T) {
		t.Parallel()
		p := open(t, "/")
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		_, err := Run(ctx, p, chromedp.Evaluate[int](`new Promise(() => {})`, chromedp.EvalAwaitPromise))
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Run of a promise that never settles: err = %v, want %v", err, context.DeadlineExceeded)
		}
		// The page survives a canceled call.
		if got, err := Run(t.Context(), p, chromedp.Evaluate[int](`1 + 1`)); err != nil || got != 2 {
			t.Fatalf("Run after a timeout = %d, %v; want 2, nil", got, err)
		}
	})
}

func TestStartWithoutChromium(t *testing.T) {
	t.Setenv("SMOKE_CHROMIUM", "/nonexistent/chromium")
	_, err := Start(t.Context())
	if err == nil || !strings.Contains(err.Error(), "apt-get install -y --no-install-recommends chromium") {
		t.Fatalf("Start without Chromium: err = %v, want one that says how to install it", err)
	}
}

func TestServerIsLoopbackOnly(t *testing.T) {
	srv := Serve(t, nil, nil)
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") {
		t.Errorf("URL = %s, want one on 127.0.0.1", srv.URL)
	}
}
