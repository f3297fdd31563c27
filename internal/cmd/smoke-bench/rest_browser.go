//go:build linux

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"

	"github.com/smokenet/smoke/internal/testing/browser"
)

// The rest-browser section: node.rest (the npm package, as users load it) between two nodes of one PageHub in
// one Chromium page, against raw RTCDataChannels in the same page.
const (
	restRequests      = 1000     // sequential small GETs measured
	restWarm          = 50       // and before them, not measured
	restSize          = 16 << 20 // bytes of the throughput response
	restReps          = 5        // throughput runs of each kind; the median counts
	restLatencyTarget = 2.0      // × a raw datachannel ping-pong, at most (small REST GET p50)
	rttTarget         = 1.5      // × the same, at most (a socket message round trip p50)
	restThroughput    = 0.9      // of raw JS, at least
)

type restBrowserResult struct {
	Isolated   bool `json:"isolated"`
	Latency    struct{ Smoke, Raw, Sockets []float64 }
	Throughput struct{ Smoke, Raw []float64 }
}

func runRESTBrowser(ctx context.Context, e *env) error {
	site, err := e.newBenchSite(ctx, "rest-browser", "internal/cmd/smoke-bench/sockets/raw.js", "internal/cmd/smoke-bench/rest/bench.js")
	if err != nil {
		return err
	}
	defer site.close()
	url := site.url

	// The same page in each engine, one after the other: the figures of Firefox beside Chromium's.
	for _, engine := range []string{"chromium", "firefox"} {
		if err := e.restBrowserIn(ctx, engine, url); err != nil {
			if engine == "firefox" && errors.Is(err, errNoEngine) {
				e.note("firefox: not measured: %v", err)
				continue
			}
			return fmt.Errorf("%s: %w", engine, err)
		}
	}
	e.note("npm package built in %s", site.built.Round(100*time.Millisecond))
	return nil
}

// stageNPM lays the npm package out in dir as it is published: index.js, src/ and dist/ (built by npm/build.sh).
func (e *env) stageNPM(ctx context.Context, dir string) error {
	npm := filepath.Join(e.root, "npm")
	srcs, err := filepath.Glob(filepath.Join(npm, "src", "*.js"))
	if err != nil {
		return err
	}
	for _, f := range append(srcs, filepath.Join(npm, "index.js")) {
		rel, _ := filepath.Rel(npm, f)
		if err := copyTo(f, filepath.Join(dir, rel)); err != nil {
			return err
		}
	}
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(npm, "build.sh"), filepath.Join(dir, "dist"))
	cmd.Dir = e.root
	cmd.Env = append(os.Environ(), "GOPROXY=off")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("npm/build.sh: %v\n%s", err, out.Bytes())
	}
	return nil
}

func copyTo(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}

// serveIsolated serves dir on 127.0.0.1 with the headers that make the page cross-origin isolated, so that
// performance.now() has its fine resolution (5 µs, not 100 µs).
func serveIsolated(dir string) (url string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	fs := http.FileServer(http.Dir(dir))
	srv := &http.Server{
		ReadHeaderTimeout: 10 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cross-Origin-Opener-Policy", "same-origin")
			w.Header().Set("Cross-Origin-Embedder-Policy", "require-corp")
			w.Header().Set("Cache-Control", "no-store")
			fs.ServeHTTP(w, r)
		}),
	}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() { srv.Close() }, nil
}

// percentile returns the p-th percentile of xs (nearest rank).
func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	i := int(float64(len(s))*p/100+0.999999) - 1
	return s[max(0, min(i, len(s)-1))]
}

func joinLines(ss []string) string {
	var b bytes.Buffer
	for _, s := range ss {
		b.WriteString(s)
		b.WriteByte('\n')
	}
	return b.String()
}

// errNoEngine wraps the reason a browser could not start (not installed): the section goes on without it.
var errNoEngine = errors.New("the browser could not start")

// startEngine starts a headless Chromium or Firefox (allowed WebRTC for pages of origin) with one blank tab.
func startEngine(ctx context.Context, engine, origin string) (tab browser.Tab, closeAll func(), err error) {
	switch engine {
	case "chromium":
		b, err := browser.Start(ctx)
		if err != nil {
			return nil, nil, err
		}
		p, err := b.NewPage(ctx)
		if err != nil {
			b.Close()
			return nil, nil, err
		}
		return p, func() { b.Close() }, nil
	case "firefox":
		f, err := browser.StartFirefox(ctx, &browser.FirefoxOptions{Origins: []string{origin}})
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %v", errNoEngine, err)
		}
		p, err := f.NewPage(ctx)
		if err != nil {
			f.Close()
			return nil, nil, err
		}
		return p, func() { f.Close() }, nil
	}
	return nil, nil, fmt.Errorf("no engine %q", engine)
}

// restBrowserIn measures the rest-browser page (at url) in one engine and prints its rows.
func (e *env) restBrowserIn(ctx context.Context, engine, url string) error {
	e.progress("rest-browser: starting %s", engine)
	bctx, cancel := context.WithTimeout(ctx, 8*time.Minute)
	defer cancel()
	p, closeEngine, err := startEngine(bctx, engine, url)
	if err != nil {
		return err
	}
	defer closeEngine()
	if err := p.Navigate(bctx, url+"/index.html"); err != nil {
		return err
	}
	e.progress("rest-browser: %s: measuring (%d sequential GETs, then %d × %s each way)", engine, restRequests, restReps, sizeName(restSize))
	load := startLoad()
	expr := fmt.Sprintf(`(async () => {
  while (!window.benchReady) await new Promise((r) => setTimeout(r, 20))
  return await window.restBench({ requests: %d, warm: %d, size: %d, reps: %d, chunk: %d })
})()`, restRequests, restWarm, restSize, restReps, browserChunk)
	var res restBrowserResult
	if err := p.Evaluate(bctx, expr, &res); err != nil {
		return fmt.Errorf("the page failed: %w\nconsole:\n%s", err, joinLines(p.Console()))
	}
	sp50, sp99 := percentile(res.Latency.Smoke, 50), percentile(res.Latency.Smoke, 99)
	rp50, rp99 := percentile(res.Latency.Raw, 50), percentile(res.Latency.Raw, 99)
	e.printRow(row{
		section: "rest", label: engine + " small GET, p50",
		ours: micros(msDuration(sp50)), base: micros(msDuration(rp50)), baseName: "raw-js",
		ratio: ratio(sp50, rp50), target: fmt.Sprintf("≤ %.1f×", restLatencyTarget), met: sp50 <= restLatencyTarget*rp50,
	})
	e.note("p99: smoke %s, raw %s; %d sequential fetch + text() between two nodes, after %d warm-up; raw: one datachannel ping-pong",
		micros(msDuration(sp99)), micros(msDuration(rp99)), len(res.Latency.Smoke), restWarm)
	kp50 := percentile(res.Latency.Sockets, 50)
	e.printRow(row{
		section: "rest", label: engine + " socket round trip, p50",
		ours: micros(msDuration(kp50)), base: micros(msDuration(rp50)), baseName: "raw-js",
		ratio: ratio(kp50, rp50), target: fmt.Sprintf("≤ %.1f×", rttTarget), met: kp50 <= rttTarget*rp50,
	})
	e.note("the layer below REST: a node socket's message round trip between the same nodes, p99 %s",
		micros(msDuration(percentile(res.Latency.Sockets, 99))))
	if !res.Isolated {
		e.note("the page is not cross-origin isolated: performance.now() is coarsened to 100 µs")
	}
	smoke := mibps(restSize, msDuration(median(res.Throughput.Smoke)))
	raw := mibps(restSize, msDuration(median(res.Throughput.Raw)))
	e.printRow(row{
		section: "rest", label: engine + " throughput, " + sizeName(restSize) + " response",
		ours: mibpsString(smoke), base: mibpsString(raw), baseName: "raw-js",
		ratio: ratio(smoke, raw), target: fmt.Sprintf("≥ %.2f", restThroughput), met: smoke >= restThroughput*raw,
	})
	e.note("median of %d runs; smoke: fetch until arrayBuffer() resolves (res.send of one Uint8Array); raw: %s messages; ms per run: smoke %s, raw %s",
		len(res.Throughput.Smoke), sizeName(browserChunk), spread(res.Throughput.Smoke), spread(res.Throughput.Raw))
	e.busyNote("rest-browser "+engine, load)
	return nil
}
