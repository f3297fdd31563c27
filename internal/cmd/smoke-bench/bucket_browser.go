//go:build linux

package main

import (
	"context"
	"fmt"

	"github.com/chromedp/chromedp"

	"github.com/smokenet/smoke/internal/testing/browser"
)

// The bucket part of the db-browser section, in its page (db/bucket.js): the npm package's Bucket writing a file
// and reading it back as a stream, against raw IndexedDB puts and gets of Blobs of the same chunk size (1 MiB, four
// to a transaction, as the Bucket does), in MiB/s.
const (
	bucketMiB    = 64
	bucketReps   = 5
	bucketTarget = 0.8 // of raw MiB/s, at least
)

type bucketResult struct {
	Write, Read struct{ Smoke, Raw []float64 }
}

func runBucketBrowser(ctx context.Context, e *env, p *browser.Page) error {
	e.progress("db-browser: bucket (%d MiB, %d runs of each)", bucketMiB, bucketReps)
	load := startLoad()
	expr := fmt.Sprintf(`window.bucketBench({ mib: %d, reps: %d })`, bucketMiB, bucketReps)
	res, err := browser.Run(ctx, p, chromedp.Evaluate[bucketResult](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		return fmt.Errorf("the bucket bench failed: %w\nconsole:\n%s", err, joinLines(p.Console()))
	}
	perSec := func(ms float64) float64 { return bucketMiB / (ms / 1000) }
	rate := func(r float64) string { return fmt.Sprintf("%.0f MiB/s", r) }
	for _, m := range []struct {
		label string
		s     struct{ Smoke, Raw []float64 }
		how   string
	}{
		{"bucket write", res.Write, "smoke: await bucket.write(key, bytes); raw: Blob puts, 4 to a relaxed transaction"},
		{"bucket read", res.Read, "smoke: bucket.readable(key) read to the end; raw: gets, 4 to a transaction, each Blob read with arrayBuffer()"},
	} {
		s, r := perSec(median(m.s.Smoke)), perSec(median(m.s.Raw))
		e.printRow(row{
			section: "db", label: fmt.Sprintf("%s, %d MiB in 1 MiB chunks", m.label, bucketMiB),
			ours: rate(s), base: rate(r), baseName: "raw-idb",
			ratio: ratio(s, r), target: fmt.Sprintf("≥ %.2f", bucketTarget), met: s >= bucketTarget*r,
		})
		e.note("median of %d; %s; ms per run: smoke %s, raw %s", bucketReps, m.how, spread(m.s.Smoke), spread(m.s.Raw))
	}
	e.busyNote("db-browser bucket", load)
	return nil
}
