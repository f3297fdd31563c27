//go:build linux

package main

// Warm start: a repeat visit. The pages are served under /cached/ with Cache-Control: max-age, and loaded again and
// again in one page (one browser context, one HTTP cache). The loader compiles smoke.wasm with
// WebAssembly.instantiateStreaming from the fetch's Response (npm/src/core.js), which is what lets Chromium keep
// V8's compiled code beside the HTTP cache entry and hand it back on the next visit instead of compiling again.
// Chromium writes that code cache a while after the module was compiled (when enough of it is optimised, or after
// a timeout), so the first visit is followed by a pause before the measured ones.

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/smokenet/smoke/internal/testing/browser"
)

// wasmCachePause is how long a first visit stays on the page so that Chromium writes V8's code cache.
const wasmCachePause = 3 * time.Second

func (e *env) wasmWarmStart(ctx context.Context, base string) error {
	e.progress("wasm: warm starts in Chromium (a repeat visit: HTTP cache and V8's code cache), %d of each page", wasmColdRuns)
	b, err := browser.Start(ctx)
	if err != nil {
		return err
	}
	defer b.Close()
	res := map[string][]probeResult{}
	for _, p := range []string{"smoke.html", "empty.html"} {
		rs, err := warmRuns(ctx, b, base+"/cached/"+p, wasmColdRuns)
		if err != nil {
			return fmt.Errorf("warm start, %s: %w", p, err)
		}
		res[p] = rs
	}
	smoke, empty := res["smoke.html"], res["empty.html"]
	st, et := spans(smoke, "start", "address"), spans(empty, "start", "exited")
	ms, me := median(st), median(et)
	e.printRow(row{
		section: "wasm", label: fmt.Sprintf("warm start to node.address(), median of %d", len(st)),
		ours: micros(msDuration(ms)), base: micros(msDuration(me)), baseName: "empty", ratio: ratio(ms, me),
	})
	e.note("a repeat visit: files from the HTTP cache, compiled code from V8's code cache; ms per run: smoke %s; empty %s", spread(st), spread(et))
	e.stepNotes("smoke (warm)", smoke, smokeSteps)
	e.stepNotes("empty (warm)", empty, emptySteps)
	return nil
}

// warmRuns visits url once, stays wasmCachePause, then visits it n more times in the same page and returns those.
func warmRuns(ctx context.Context, b *browser.Browser, url string, n int) ([]probeResult, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	page, err := b.NewPage(ctx)
	if err != nil {
		return nil, err
	}
	defer page.Close()
	var rs []probeResult
	for i := -1; i < n; i++ {
		if err := page.Run(ctx, chromedp.Navigate(url)); err != nil {
			return nil, err
		}
		r, err := browser.Run(ctx, page, chromedp.Evaluate[probeResult]("smokeProbe.result", chromedp.EvalAwaitPromise))
		if err != nil {
			return nil, fmt.Errorf("%w\n%s", err, strings.Join(page.Console(), "\n"))
		}
		if r.Error != "" {
			return nil, fmt.Errorf("the page failed: %s", r.Error)
		}
		if i < 0 {
			time.Sleep(wasmCachePause)
			continue
		}
		rs = append(rs, r)
	}
	return rs, nil
}
