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
)

// rtcPage connects two RTCPeerConnections of the page to each other and
// resolves window.rtc to the first one's ICE candidates once a datachannel
// between them opens (or "timeout").
const rtcPage = `<!doctype html>
<link rel="icon" href="data:,">
<script>
window.rtc = (async () => {
  const a = new RTCPeerConnection(), b = new RTCPeerConnection()
  const candidates = []
  a.onicecandidate = (e) => { if (e.candidate?.candidate) { candidates.push(e.candidate.candidate); b.addIceCandidate(e.candidate) } }
  b.onicecandidate = (e) => { if (e.candidate) a.addIceCandidate(e.candidate) }
  const dc = a.createDataChannel('x')
  const opened = new Promise((resolve) => { dc.onopen = () => resolve('open') })
  await a.setLocalDescription(); await b.setRemoteDescription(a.localDescription)
  await b.setLocalDescription(); await a.setRemoteDescription(b.localDescription)
  const state = await Promise.race([opened, new Promise((resolve) => setTimeout(() => resolve('timeout'), 60000))])
  return { state, candidates }
})()
</script>
`

// TestFirefox shares one Firefox between its subtests, as TestPage does with
// Chromium.
func TestFirefox(t *testing.T) {
	t.Parallel()
	srv := Serve(t, fstest.MapFS{
		"index.html":   {Data: []byte("<!doctype html>\n<link rel=\"icon\" href=\"data:,\">\n")},
		"console.html": {Data: []byte(consolePage)},
		"rtc.html":     {Data: []byte(rtcPage)},
	}, nil)
	f := NewFirefox(t, &FirefoxOptions{Origins: []string{srv.URL}})
	open := func(t *testing.T, path string) *FirefoxPage {
		t.Helper()
		p, err := f.NewPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Close)
		if err := p.Navigate(t.Context(), srv.URL+path); err != nil {
			t.Fatal(err)
		}
		return p
	}

	t.Run("Console", func(t *testing.T) {
		t.Parallel()
		p := open(t, "/console.html")
		var got int
		if err := p.Evaluate(t.Context(), `console.error("bad", 1 + 2); console.log(new Error("logged")); console.warn("careful"); 6 * 7`, &got); err != nil {
			t.Fatal(err)
		}
		if got != 42 {
			t.Errorf("evaluate = %d, want 42", got)
		}
		want := []string{"log: hello 42", "exception: Error: boom\n    at fail (" + srv.URL + "/console.html:5:",
			"error: bad 3", "log: Error: logged", "warning: careful"}
		var console []string
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
			console = p.Console()
			missing := slices.IndexFunc(want, func(w string) bool {
				return !slices.ContainsFunc(console, func(c string) bool { return strings.HasPrefix(c, w) })
			})
			if missing < 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("console has no entry starting %q:\n%s", want[missing], strings.Join(console, "\n"))
			}
		}
		// In the order the page made them.
		if i, j := slices.Index(console, "log: hello 42"), slices.IndexFunc(console, func(c string) bool { return strings.HasPrefix(c, "error: bad 3") }); i > j {
			t.Errorf("console out of order:\n%s", strings.Join(console, "\n"))
		}
	})

	t.Run("Evaluate", func(t *testing.T) {
		t.Parallel()
		p := open(t, "/")
		var v struct {
			A []int
			S string
		}
		if err := p.Evaluate(t.Context(), `new Promise((resolve) => setTimeout(() => resolve({ a: [1, 2], s: 'x' }), 10))`, &v); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(v.A, []int{1, 2}) || v.S != "x" {
			t.Errorf("evaluate = %+v", v)
		}
		var s *string
		if err := p.Evaluate(t.Context(), `undefined`, &s); err != nil || s != nil {
			t.Errorf("evaluate undefined = %v, %v; want nil, nil", s, err)
		}
		err := p.Evaluate(t.Context(), `Promise.reject(new Error("nope"))`, nil)
		if err == nil || !strings.Contains(err.Error(), "nope") {
			t.Errorf("evaluate of a rejected promise: %v, want its error", err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		defer cancel()
		if err := p.Evaluate(ctx, `new Promise(() => {})`, nil); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("evaluate past its context: %v, want DeadlineExceeded", err)
		}
	})

	// Two pages are separate profiles: what one stores, the other does not see.
	t.Run("Isolation", func(t *testing.T) {
		t.Parallel()
		a, b := open(t, "/"), open(t, "/")
		if err := a.Evaluate(t.Context(), `localStorage.setItem('k', 'a')`, nil); err != nil {
			t.Fatal(err)
		}
		var got *string
		if err := b.Evaluate(t.Context(), `localStorage.getItem('k')`, &got); err != nil {
			t.Fatal(err)
		}
		if got != nil {
			t.Errorf("page b sees page a's storage: %q", *got)
		}
	})

	// WebRTC connects with loopback candidates only, also inside the namespace
	// that has nothing but lo, where Firefox gathers candidates only thanks to
	// the origin's permissions.
	t.Run("WebRTC", func(t *testing.T) {
		t.Parallel()
		p := open(t, "/rtc.html")
		var v struct {
			State      string
			Candidates []string
		}
		if err := p.Evaluate(t.Context(), `window.rtc`, &v); err != nil {
			t.Fatal(err)
		}
		if v.State != "open" {
			t.Errorf("datachannel %s; candidates %q", v.State, v.Candidates)
		}
		if !slices.ContainsFunc(v.Candidates, func(c string) bool { return strings.Contains(c, " 127.0.0.1 ") }) {
			t.Errorf("no 127.0.0.1 candidate among %q", v.Candidates)
		}
		if slices.ContainsFunc(v.Candidates, func(c string) bool { return strings.Contains(c, ".local ") }) {
			t.Errorf("an mDNS candidate among %q", v.Candidates)
		}
	})
}
