//go:build linux

package main

// Cold start: how long a page waits from its script's start until a Smoke node is usable, against how long it
// waits for an empty Go program to run, both loaded by instantiateStreaming from 127.0.0.1.
//
// Each run is a new page in a new browser context, whose HTTP cache starts empty and is its own, and the server
// sends Cache-Control: no-store: neither the browser's HTTP cache nor V8's wasm code cache (which hangs off the
// HTTP cache entry) can serve a run what an earlier one compiled. What is shared between runs is the browser
// process, warmed by one discarded run of each page.
//
// wasm/probe.js records the steps; wasm/smoke.html loads the package as a user does (import of index.js), and
// wasm/empty.html is Go's own recipe (wasm_exec.js, instantiateStreaming, go.run).

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"mime"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/smokenet/smoke/internal/testing/browser"
)

// wasmColdRuns is the number of measured runs of each page, after one warm-up run of each.
const wasmColdRuns = 7

//go:embed wasm/probe.js wasm/smoke.html wasm/empty.html
var wasmPages embed.FS

// probeResult is what probe.js's result promise settles with.
type probeResult struct {
	Marks  map[string]float64 `json:"marks"` // ms since the navigation started
	Counts struct {
		Streaming int `json:"instantiateStreaming"`
		Bytes     int `json:"instantiateBytes"`
	} `json:"counts"`
	Error   string `json:"error"`
	Address string `json:"address"` // smoke.html: the node's address
	Code    *int   `json:"code"`    // empty.html: the exit code
}

// span is the time between two marks in ms, or -1 if either is missing.
func (r probeResult) span(from, to string) float64 {
	a, ok1 := r.Marks[from]
	b, ok2 := r.Marks[to]
	if !ok1 || !ok2 {
		return -1
	}
	return b - a
}

// step is one stretch of a cold start, between two of probe.js's marks.
type step struct{ from, to, what string }

var (
	smokeSteps = []step{
		{"start", "fetch", "index.js (its other modules then load while smoke.wasm compiles)"},
		{"fetch", "compiled", "fetch + compileStreaming"},
		{"compiled", "instantiated", "instantiate"},
		{"run", "main", "Go runtime + package init (with V8's lazy compilation of what they run)"},
		{"main", "native", "main builds the native object"},
		{"native", "loaded", "loader builds the API"},
		{"loaded", "node", "new Node()"},
		{"node", "address", "await node.address()"},
	}
	emptySteps = []step{
		{"start", "fetch", "import wasm_exec.js"},
		{"fetch", "compiled", "fetch + compileStreaming"},
		{"compiled", "instantiated", "instantiate"},
		{"run", "exited", "Go runtime + package init + main + exit (with lazy compilation)"},
	}
)

// wasmServer serves the package as npm would install it, at node_modules/@smokenet/smoke/, the baseline and the probe pages on
// 127.0.0.1, every response with Cache-Control: no-store.
type wasmServer struct {
	url   string
	srv   *http.Server
	files map[string]string // path without the leading slash -> file on disk
}

func newWasmServer(root, smokeWasm, emptyWasm string) (*wasmServer, error) {
	files, err := packageFiles(filepath.Join(root, "npm"), "node_modules/@smokenet/smoke/")
	if err != nil {
		return nil, err
	}
	files["node_modules/@smokenet/smoke/dist/smoke.wasm"] = smokeWasm
	files["empty.wasm"] = emptyWasm
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			return nil, fmt.Errorf("%w (build the package with make npm)", err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &wasmServer{url: "http://" + ln.Addr().String(), files: files}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln)
	return s, nil
}

func (s *wasmServer) close() { s.srv.Close() }

func (s *wasmServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
	// Under /cached/ the same files may be cached, as a site's are between visits (wasm_warm.go).
	if rest, ok := strings.CutPrefix(name, "cached/"); ok {
		name = rest
		w.Header().Set("Cache-Control", "max-age=3600")
	} else {
		w.Header().Set("Cache-Control", "no-store")
	}
	// mime knows .wasm as application/wasm, which instantiateStreaming requires.
	w.Header().Set("Content-Type", mime.TypeByExtension(path.Ext(name)))
	if file, ok := s.files[name]; ok {
		http.ServeFile(w, r, file)
		return
	}
	b, err := wasmPages.ReadFile("wasm/" + name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Write(b)
}

// packageFiles maps the files the npm package in dir publishes (package.json and its "files", as npm pack takes
// them) to their places under prefix on the server.
func packageFiles(dir, prefix string) (map[string]string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return nil, err
	}
	var pj struct {
		Files []string `json:"files"`
	}
	if err := json.Unmarshal(b, &pj); err != nil {
		return nil, fmt.Errorf("npm/package.json: %w", err)
	}
	files := map[string]string{prefix + "package.json": filepath.Join(dir, "package.json")}
	for _, f := range pj.Files {
		root := filepath.Join(dir, filepath.FromSlash(f))
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, err := filepath.Rel(dir, p)
			files[prefix+filepath.ToSlash(rel)] = p
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("npm/package.json lists %s: %w (build the package with make npm)", f, err)
		}
	}
	return files, nil
}

// coldRuns loads each page n times in a fresh browser context, the pages taking turns, after one discarded run of
// each, and returns the results by page.
func coldRuns(ctx context.Context, b *browser.Browser, base string, pages []string, n int) (map[string][]probeResult, error) {
	res := make(map[string][]probeResult)
	for i := -1; i < n; i++ {
		for _, p := range pages {
			r, err := coldRun(ctx, b, base+"/"+p)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", p, err)
			}
			if i >= 0 {
				res[p] = append(res[p], r)
			}
		}
	}
	return res, nil
}

func coldRun(ctx context.Context, b *browser.Browser, url string) (probeResult, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	page, err := b.NewPage(ctx)
	if err != nil {
		return probeResult{}, err
	}
	defer page.Close()
	if err := page.Run(ctx, chromedp.Navigate(url)); err != nil {
		return probeResult{}, err
	}
	r, err := browser.Run(ctx, page, chromedp.Evaluate[probeResult]("smokeProbe.result", chromedp.EvalAwaitPromise))
	if err != nil {
		return r, fmt.Errorf("%w\n%s", err, strings.Join(page.Console(), "\n"))
	}
	if r.Error != "" {
		return r, fmt.Errorf("the page failed: %s\n%s", r.Error, strings.Join(page.Console(), "\n"))
	}
	return r, nil
}

func (e *env) wasmColdStart(ctx context.Context, smokeWasm, emptyWasm string) error {
	srv, err := newWasmServer(e.root, smokeWasm, emptyWasm)
	if err != nil {
		return err
	}
	defer srv.close()

	e.progress("wasm: cold starts in Chromium, %d of each page after a warm-up", wasmColdRuns)
	b, err := browser.Start(ctx)
	if err != nil {
		return err
	}
	load := startLoad()
	res, err := coldRuns(ctx, b, srv.url, []string{"smoke.html", "empty.html"}, wasmColdRuns)
	b.Close()
	if err != nil {
		return err
	}
	busy := load.others()
	smoke, empty := res["smoke.html"], res["empty.html"]
	st := spans(smoke, "start", "address")
	et := spans(empty, "start", "exited")
	ms, me := median(st), median(et)
	e.printRow(row{
		section: "wasm", label: fmt.Sprintf("cold start to node.address(), median of %d", len(st)),
		ours: micros(msDuration(ms)), base: micros(msDuration(me)), baseName: "empty",
		ratio: ratio(ms, me), target: fmt.Sprintf("≤ %.1f", wasmColdRatio), met: me > 0 && ms/me <= wasmColdRatio,
	})
	e.note("from the page's module script starting to `await new Node().address()` (default PageHub); empty: to go.run settling")
	e.note("ms per run: smoke %s; empty %s", spread(st), spread(et))
	e.stepNotes("smoke", smoke, smokeSteps)
	e.stepNotes("empty", empty, emptySteps)
	if ms, me := median(spans(smoke, "fetch", "instantiated")), median(spans(empty, "fetch", "instantiated")); ms > 0 && me > 0 {
		if ss, es := statWasm(smokeWasm), statWasm(emptyWasm); ss > 0 && es > 0 {
			e.note("fetch + compile + instantiate per MB of raw wasm: smoke %.1f ms, empty %.1f ms", ms/ss, me/es)
		}
	}
	streamed := 0
	for _, r := range smoke {
		if r.Counts.Streaming > 0 && r.Counts.Bytes == 0 {
			streamed++
		}
	}
	e.note("streaming compilation: used by the loader in %d of %d runs (Content-Type application/wasm)", streamed, len(smoke))
	e.note("no code cache: a new browser context per run and Cache-Control: no-store, so V8 compiles every run afresh")
	if busy > 0.5 {
		e.note("other processes kept %.2f cores busy during the cold starts: they are not reliable", busy)
	}
	return e.wasmWarmStart(ctx, srv.url)
}

// stepNotes writes the median of each step over rs.
func (e *env) stepNotes(name string, rs []probeResult, steps []step) {
	var parts []string
	for _, s := range steps {
		v := spans(rs, s.from, s.to)
		if len(v) == 0 {
			parts = append(parts, fmt.Sprintf("%s n/a", s.what))
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %.1f", s.what, median(v)))
	}
	e.note("%s steps, median ms: %s", name, strings.Join(parts, "; "))
}

// spans returns the span from–to of each result that has both marks.
func spans(rs []probeResult, from, to string) []float64 {
	var v []float64
	for _, r := range rs {
		if d := r.span(from, to); d >= 0 {
			v = append(v, d)
		}
	}
	return slices.Clip(v)
}

// statWasm is the size of file in MB (10^6 bytes), or 0.
func statWasm(file string) float64 {
	fi, err := os.Stat(file)
	if err != nil {
		return 0
	}
	return float64(fi.Size()) / 1e6
}
