//go:build linux

package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/smokenet/smoke/internal/testing/browser"
)

// The media section: media responses (res.mediastream, response.mediastream) between nodes of one PageHub in one
// Chromium page, against a raw RTCPeerConnection pair in the same page.
const (
	mediaFirstFrames  = 20               // fetch → first frame samples, each kind
	mediaChain        = 10 * time.Second // the three-node chain's measured window
	mediaHold         = 5 * time.Second  // each viewer count's CPU window
	mediaFirstTarget  = 1.5              // × raw, at most
	mediaDeliveredMin = 0.98             // decoded / sent, at least
)

var mediaViewerCounts = []int{1, 2, 4}

func runMediaBrowser(ctx context.Context, e *env) error {
	site, err := e.newBenchSite(ctx, "media", "internal/cmd/smoke-bench/media/bench.js")
	if err != nil {
		return err
	}
	defer site.close()
	url := site.url

	e.progress("media: starting Chromium")
	bctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	b, err := browser.Start(bctx)
	if err != nil {
		return err
	}
	defer b.Close()
	p, err := b.NewPage(bctx)
	if err != nil {
		return err
	}
	if err := p.Run(bctx, chromedp.Navigate(url+"/index.html")); err != nil {
		return err
	}
	eval := func(expr string, out any) error {
		full := `(async () => { while (!window.benchReady) await new Promise((r) => setTimeout(r, 20)); return await (` + expr + `) })()`
		err := p.Evaluate(bctx, full, out)
		if err != nil {
			return fmt.Errorf("the page failed: %w\nconsole:\n%s", err, joinLines(p.Console()))
		}
		return nil
	}

	// fetch → first decoded frame.
	e.progress("media: %d × fetch → first frame, and %d × a raw RTCPeerConnection pair", mediaFirstFrames, mediaFirstFrames)
	load := startLoad()
	var ff struct{ Raw, Fresh, Warm []float64 }
	if err := eval(fmt.Sprintf("window.bench.firstFrames(%d)", mediaFirstFrames), &ff); err != nil {
		return err
	}
	fresh, raw, warm := median(ff.Fresh), median(ff.Raw), median(ff.Warm)
	e.printRow(row{
		section: "media", label: "fetch → first frame, p50",
		ours: millis(msDuration(fresh)), base: millis(msDuration(raw)), baseName: "raw-pc",
		ratio: ratio(fresh, raw), target: fmt.Sprintf("≤ %.1f×", mediaFirstTarget), met: fresh <= mediaFirstTarget*raw,
	})
	e.note("new nodes each time (their peer connection made, as the raw pair's is); over a connection already made: p50 %s; ms: smoke %s, raw %s",
		millis(msDuration(warm)), spread(ff.Fresh), spread(ff.Raw))

	// The three-node chain.
	e.progress("media: the README's chain for %s at 640×480@30", mediaChain)
	var ch struct {
		Sent, Decoded, Width, Height int
	}
	if err := eval(fmt.Sprintf("window.bench.chain(%d)", mediaChain.Milliseconds()), &ch); err != nil {
		return err
	}
	delivered := float64(ch.Decoded) / float64(max(ch.Sent, 1))
	e.printRow(row{
		section: "media", label: "chain 640×480@30, decoded / sent",
		ours: fmt.Sprintf("%.3f", delivered), base: "1", baseName: "all",
		ratio: fmt.Sprintf("%.3f", delivered), target: fmt.Sprintf("≥ %.2f", mediaDeliveredMin), met: delivered >= mediaDeliveredMin,
	})
	e.note("source → proxy → viewer over %s (the viewer's window 300 ms later, the time through the chain): node0 sent %d frames, node2 decoded %d at %d×%d (getStats)",
		mediaChain, ch.Sent, ch.Decoded, ch.Width, ch.Height)

	// CPU per added viewer of one proxy: the machine's CPU while 1, 2 and 4 viewers play.
	e.progress("media: CPU with %v viewers of one proxy, %s each", mediaViewerCounts, mediaHold)
	counts := strings.Trim(strings.Join(strings.Fields(fmt.Sprint(mediaViewerCounts)), ","), "[]")
	done := make(chan error, 1)
	go func() {
		done <- eval(fmt.Sprintf("window.bench.viewers([%s], %d)", counts, mediaHold.Milliseconds()), nil)
	}()
	cpu := map[int]float64{}
	var t0 time.Time
	var c0 time.Duration
	phase := ""
	for len(cpu) < len(mediaViewerCounts) {
		select {
		case err := <-done:
			if err != nil {
				return err
			}
			return fmt.Errorf("the viewers step ended before every count was measured")
		case <-time.After(100 * time.Millisecond):
		}
		var ph string
		if err := p.Evaluate(bctx, `window.mediaPhase ?? ''`, &ph); err != nil {
			return err
		}
		if ph == phase {
			continue
		}
		phase = ph
		var k int
		switch {
		case strings.HasPrefix(ph, "measure "):
			t0 = time.Now()
			c0, _ = machineUserCPU()
		case strings.HasPrefix(ph, "done ") && !t0.IsZero():
			fmt.Sscanf(ph, "done %d", &k)
			c1, _ := machineUserCPU()
			cpu[k] = (c1 - c0).Seconds() / time.Since(t0).Seconds()
		}
	}
	if err := <-done; err != nil {
		return err
	}
	first, last := mediaViewerCounts[0], mediaViewerCounts[len(mediaViewerCounts)-1]
	per := (cpu[last] - cpu[first]) / float64(last-first)
	e.printRow(row{
		section: "media", label: "CPU per added viewer of a proxy",
		ours: fmt.Sprintf("%.0f%% core", per*100), base: fmt.Sprintf("%.0f%% core", cpu[first]*100), baseName: "1 viewer",
		ratio: ratio(per, cpu[first]), target: "report", met: true,
	})
	e.note("machine user CPU (all processes, so other work shows too): %s; each viewer gets its own encode at the proxy (Chromium encodes once per peer connection)",
		cpuSteps(cpu, mediaViewerCounts))
	e.busyNote("media", load)
	return nil
}

func cpuSteps(cpu map[int]float64, counts []int) string {
	var parts []string
	for _, k := range counts {
		parts = append(parts, fmt.Sprintf("%d viewer(s) %.0f%%", k, cpu[k]*100))
	}
	return strings.Join(parts, ", ")
}
