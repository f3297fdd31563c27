//go:build linux

package main

// The wasm section: what a page pays to load Smoke, against the smallest Go wasm program built the same way in the
// same run.
//
//   - Size (this file): npm/dist/smoke.wasm raw, gzip -9 and brotli -q 11, as a server would send it.
//   - Cold start (wasm_cold.go): headless Chromium, a fresh browser context per run, from the page's script start
//     until `await new Node().address()` resolves, with the steps in between (probe.js). Warm start: the same, on a
//     repeat visit whose compiled code V8 takes from its code cache.
//   - Package init (wasm_init.go): GODEBUG=inittrace=1, the inits that cost most.
//
// The section measures the package as `make npm` left it: it does not build smoke.wasm itself, so what it reports
// is what npm/build.sh ships.

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/andybalholm/brotli"
)

// Targets (issue 13): smoke.wasm's size after brotli, and its cold start as a multiple of an empty Go program's.
const (
	wasmBrotliBudget = 1_200_000 // bytes of smoke.wasm after brotli, at most (1.2 MB, decimal)
	wasmColdRatio    = 1.5       // cold start to node.address() over the empty program's cold start, at most
)

// wasmEmptyPkg is the baseline program: func main() {}.
const wasmEmptyPkg = "./internal/cmd/smoke-bench/wasm/empty"

// wasmBuildFlags are npm/build.sh's flags for smoke.wasm; the baseline is built with them too.
var wasmBuildFlags = []string{"-trimpath", "-ldflags=-s -w"}

func runWasm(ctx context.Context, e *env) error {
	smoke := filepath.Join(e.root, "npm", "dist", "smoke.wasm")
	fi, err := os.Stat(smoke)
	if err != nil {
		return fmt.Errorf("no npm/dist/smoke.wasm (build it with make npm): %w", err)
	}
	dir, err := os.MkdirTemp("", "smoke-bench-wasm-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	empty := filepath.Join(dir, "empty.wasm")
	e.progress("wasm: building the baseline, an empty Go program, as npm/build.sh builds smoke.wasm")
	if err := e.buildWasmFlags(ctx, wasmEmptyPkg, empty, wasmBuildFlags...); err != nil {
		return err
	}

	if err := e.wasmSizes(smoke, empty); err != nil {
		return err
	}
	e.note("smoke.wasm as make npm left it (%s); both built with %q", fi.ModTime().Format(time.DateTime), wasmBuildFlags)
	if err := e.wasmColdStart(ctx, smoke, empty); err != nil {
		return fmt.Errorf("cold start: %w", err)
	}
	if err := e.wasmInitTrace(ctx, smoke); err != nil {
		// Not a figure with a target: say why it is missing and go on.
		e.note("package init (GODEBUG=inittrace=1): not measured: %v", err)
	}
	return nil
}

// compressed is a file's size as it is stored and as a server sends it.
type compressed struct{ raw, gzip, brotli int }

// compress measures b under gzip at its best compression and brotli at quality 11 with a 16 MiB window (lgwin 24),
// the largest a browser decodes: brotli's large-window mode (lgwin up to 30) is not valid Content-Encoding: br.
func compress(b []byte) (compressed, error) {
	c := compressed{raw: len(b)}
	var n countWriter
	gz, err := gzip.NewWriterLevel(&n, gzip.BestCompression)
	if err != nil {
		return c, err
	}
	if _, err := gz.Write(b); err != nil {
		return c, err
	}
	if err := gz.Close(); err != nil {
		return c, err
	}
	c.gzip = int(n)
	n = 0
	br := brotli.NewWriterOptions(&n, brotli.WriterOptions{Quality: 11, LGWin: 24})
	if _, err := br.Write(b); err != nil {
		return c, err
	}
	if err := br.Close(); err != nil {
		return c, err
	}
	c.brotli = int(n)
	return c, nil
}

// countWriter counts the bytes written to it.
type countWriter int64

func (w *countWriter) Write(p []byte) (int, error) {
	*w += countWriter(len(p))
	return len(p), nil
}

var _ io.Writer = (*countWriter)(nil)

func (e *env) wasmSizes(smokeFile, emptyFile string) error {
	e.progress("wasm: compressing smoke.wasm and the baseline (brotli -q 11 takes a while)")
	var sizes [2]compressed
	for i, f := range []string{smokeFile, emptyFile} {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if sizes[i], err = compress(b); err != nil {
			return fmt.Errorf("compressing %s: %w", filepath.Base(f), err)
		}
	}
	s, b := sizes[0], sizes[1]
	e.printRow(row{
		section: "wasm", label: "smoke.wasm, brotli -q 11",
		ours: thousands(float64(s.brotli)) + " B", base: thousands(float64(b.brotli)) + " B", baseName: "empty",
		ratio: ratio(float64(s.brotli), wasmBrotliBudget) + " budget", target: fmt.Sprintf("≤ %s B", thousands(wasmBrotliBudget)),
		met: s.brotli <= wasmBrotliBudget,
	})
	e.note("ratio is smoke's brotli bytes over the budget; smoke / empty: brotli %s, gzip -9 %s (%s B / %s B), raw %s (%s B / %s B)",
		ratio(float64(s.brotli), float64(b.brotli)),
		ratio(float64(s.gzip), float64(b.gzip)), thousands(float64(s.gzip)), thousands(float64(b.gzip)),
		ratio(float64(s.raw), float64(b.raw)), thousands(float64(s.raw)), thousands(float64(b.raw)))
	e.note("brotli: github.com/andybalholm/brotli, quality 11, 16 MiB window (the largest a browser decodes); gzip: compress/gzip level 9")
	return nil
}

// buildWasmFlags builds pkg (relative to the repository root) for GOOS=js GOARCH=wasm into out, with flags, from
// the module cache only (the loopback namespace has no module proxy).
func (e *env) buildWasmFlags(ctx context.Context, pkg, out string, flags ...string) error {
	args := append([]string{"build", "-o", out}, flags...)
	cmd := exec.CommandContext(ctx, "go", append(args, pkg)...)
	cmd.Dir = e.root
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "GOPROXY=off")
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("GOOS=js GOARCH=wasm go %q: %v\n%s", cmd.Args[1:], err, output.Bytes())
	}
	return nil
}
