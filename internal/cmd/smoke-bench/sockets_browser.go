//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/smokenet/smoke/internal/testing/browser"
)

// The browser figures' workload, the same for the library and the baseline.
// As natively, several short runs of each kind, alternating, rather than a few long ones: the median of five
// shrugs off a burst of other work better than the median of three.
const (
	browserTotal = 32 << 20 // bytes per throughput run
	browserChunk = 64 << 10 // the raw baseline's message size
	browserReps  = 5        // throughput runs of each kind; the median counts
	browserPairs = 15       // fresh pairs of each kind for latency, after one warm-up pair
	browserFrame = 16 << 10 // the library's frame size (pkg/node/internal/frame): the baseline runs with it too, as a note
)

var browserSizes = []int{64 << 10, 8 << 20}

// browserResult is one figure from the wasm program (sockets/main_js.go has the same type).
type browserResult struct {
	Figure string    `json:"figure"`
	Size   int       `json:"size,omitempty"`
	Chunk  int       `json:"chunk,omitempty"`
	Total  int       `json:"total,omitempty"`
	Smoke  []float64 `json:"smoke"` // ms per run
	Raw    []float64 `json:"raw"`
}

func (e *env) browserSockets(ctx context.Context) error {
	e.progress("sockets: building the browser benchmark (GOOS=js GOARCH=wasm)")
	dir, err := os.MkdirTemp("", "smoke-bench-sockets-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	wasm := filepath.Join(dir, "sockets.wasm")
	start := time.Now()
	if err := e.buildWasm(ctx, "./internal/cmd/smoke-bench/sockets", wasm); err != nil {
		return err
	}
	built := time.Since(start)

	e.progress("sockets: starting Chromium")
	// Generous: a quiet machine needs about a minute, one shared with other work much longer.
	bctx, cancel := context.WithTimeout(ctx, 6*time.Minute)
	defer cancel()
	b, err := browser.Start(bctx)
	if err != nil {
		return err
	}
	defer b.Close()
	page, err := b.NewPage(bctx)
	if err != nil {
		return err
	}
	sizes := make([]string, len(browserSizes))
	for i, s := range browserSizes {
		sizes[i] = strconv.Itoa(s)
	}
	out := &resultWriter{progress: func(s string) { e.progress("sockets: browser: %s", s) }}
	load := startLoad()
	code, err := page.RunWasm(bctx, wasm, []string{
		"-sizes", strings.Join(sizes, ","),
		"-chunk", strconv.Itoa(browserChunk),
		"-total", strconv.Itoa(browserTotal),
		"-reps", strconv.Itoa(browserReps),
		"-pairs", strconv.Itoa(browserPairs),
		"-rawframe", strconv.Itoa(browserFrame),
		"-timeout", "340s",
	}, nil, out)
	out.flush()
	if err == nil && code != 0 {
		err = fmt.Errorf("exit code %d", code)
	}
	if err != nil {
		return fmt.Errorf("the wasm program failed: %w\n%s", err, out.other())
	}

	var lastRaw float64 // MiB/s of the last throughput row's baseline
	for _, r := range out.results() {
		switch r.Figure {
		case "throughput":
			lastRaw = e.browserThroughputRow(r)
		case "raw-chunk":
			x := mibps(int64(r.Total), msDuration(median(r.Raw)))
			e.note("raw-js with %s messages (the library's frame size): %s, %s of raw-js with %s; ms per run %s",
				sizeName(r.Chunk), mibpsString(x), ratio(x, lastRaw), sizeName(browserChunk), spread(r.Raw))
		case "latency":
			e.browserLatencyRow(r)
		}
	}
	fi, _ := os.Stat(wasm)
	size := int64(0)
	if fi != nil {
		size = fi.Size()
	}
	e.note("browser: one headless Chromium page, Go wasm (%.1f MB, built in %s) and raw.js side by side, runs alternating",
		float64(size)/1e6, built.Round(100*time.Millisecond))
	e.busyNote("browser", load)
	return nil
}

// browserThroughputRow prints r's row and returns the baseline's MiB/s.
func (e *env) browserThroughputRow(r browserResult) float64 {
	smoke := mibps(int64(r.Total), msDuration(median(r.Smoke)))
	raw := mibps(int64(r.Total), msDuration(median(r.Raw)))
	e.printRow(row{
		section: "sock", label: "browser throughput, " + sizeName(r.Size) + " messages",
		ours: mibpsString(smoke), base: mibpsString(raw), baseName: "raw-js",
		ratio: ratio(smoke, raw), target: fmt.Sprintf("≥ %.2f", browserThroughputTarget), met: smoke >= browserThroughputTarget*raw,
	})
	how := fmt.Sprintf("median of %d runs of %s each way; ms per run: smoke %s, raw %s", len(r.Smoke), sizeName(r.Total), spread(r.Smoke), spread(r.Raw))
	if r.Chunk != r.Size {
		how += fmt.Sprintf("; raw sends %s messages (a raw datachannel cannot carry %s: Chrome's SCTP max-message-size is 256 KiB)",
			sizeName(r.Chunk), sizeName(r.Size))
	}
	e.note("%s", how)
	return raw
}

func (e *env) browserLatencyRow(r browserResult) {
	smoke, raw := median(r.Smoke), median(r.Raw)
	e.printRow(row{
		section: "sock", label: "browser dial-to-open, new peer",
		ours: micros(msDuration(smoke)), base: micros(msDuration(raw)), baseName: "raw-js",
		ratio: ratio(smoke, raw), target: fmt.Sprintf("≤ %.1f", browserLatencyTarget), met: smoke <= browserLatencyTarget*raw,
	})
	e.note("median of %d fresh pairs each; smoke: Dial to a new node until ACCEPT; raw: new RTCPeerConnection pair until the channel opens; ms: smoke %s, raw %s",
		len(r.Smoke), spread(r.Smoke), spread(r.Raw))
}

// buildWasm builds pkg (relative to the repository root) for GOOS=js GOARCH=wasm into out. The loopback namespace
// has no module proxy, so the build uses only the module cache.
func (e *env) buildWasm(ctx context.Context, pkg, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
	cmd.Dir = e.root
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "GOPROXY=off")
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("GOOS=js GOARCH=wasm go build %s: %v\n%s", pkg, err, output.Bytes())
	}
	return nil
}

func sizeName(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}

// resultWriter takes the wasm program's output: "result <json>" lines are figures, "progress <text>" lines are
// passed on as they come, anything else is kept for an error message.
type resultWriter struct {
	progress func(string)

	mu    sync.Mutex
	buf   []byte
	res   []browserResult
	lines []string
}

func (w *resultWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.line(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
	return len(p), nil
}

func (w *resultWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		w.line(string(w.buf))
		w.buf = nil
	}
}

func (w *resultWriter) line(s string) {
	switch {
	case strings.HasPrefix(s, "result "):
		var r browserResult
		err := json.Unmarshal([]byte(strings.TrimPrefix(s, "result ")), &r)
		if err == nil && (len(r.Raw) == 0 || len(r.Smoke) != len(r.Raw) && r.Figure != "raw-chunk") {
			err = errors.New("missing samples")
		}
		if err != nil {
			w.lines = append(w.lines, fmt.Sprintf("unreadable result %q: %v", s, err))
			return
		}
		w.res = append(w.res, r)
	case strings.HasPrefix(s, "progress "):
		if w.progress != nil {
			w.progress(strings.TrimPrefix(s, "progress "))
		}
	default:
		w.lines = append(w.lines, s)
	}
}

func (w *resultWriter) results() []browserResult {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.res
}

func (w *resultWriter) other() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.lines, "\n")
}
