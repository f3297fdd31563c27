//go:build linux

package main

import (
	"context"
	"fmt"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/smokenet/smoke/internal/testing/browser"
)

// The db-browser section: the npm package's Database against raw IndexedDB in the same Chromium page (db/bench.js),
// a query streamed over REST between two nodes of the page, and the Bucket against raw Blob puts and gets
// (bucket_browser.go, db/bucket.js).
const (
	dbRecords       = 100000
	dbReps          = 3
	dbInsertTarget  = 0.9   // of raw records/s, at least
	dbQueryTarget   = 0.8   // of raw records/s, at least
	dbRemoteTarget  = 50000 // records/s
	dbOriginalQuery = 240   // records/s, the original smoke (measured here)
)

type dbBrowserResult struct {
	Insert, WhereCount struct{ Smoke, Raw []float64 }
	Remote             []float64
	Paused             struct {
		BatchesDuring         int
		HeapBefore, HeapAfter float64
	}
}

func runDBBrowser(ctx context.Context, e *env) error {
	site, err := e.newBenchSite(ctx, "db-browser", "internal/cmd/smoke-bench/db/bench.js", "internal/cmd/smoke-bench/db/bucket.js")
	if err != nil {
		return err
	}
	defer site.close()
	url := site.url

	e.progress("db-browser: starting Chromium")
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
	e.progress("db-browser: measuring (%d records, %d runs of each)", dbRecords, dbReps)
	load := startLoad()
	expr := fmt.Sprintf(`(async () => {
  while (!window.benchReady) await new Promise((r) => setTimeout(r, 20))
  return await window.dbBench({ records: %d, reps: %d })
})()`, dbRecords, dbReps)
	res, err := browser.Run(bctx, p, chromedp.Evaluate[dbBrowserResult](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		return fmt.Errorf("the page failed: %w\nconsole:\n%s", err, joinLines(p.Console()))
	}
	perSec := func(ms float64) float64 { return dbRecords / (ms / 1000) }
	rate := func(r float64) string { return thousands(r) + " rec/s" }

	si, ri := perSec(median(res.Insert.Smoke)), perSec(median(res.Insert.Raw))
	e.printRow(row{
		section: "db", label: fmt.Sprintf("bulk insert, %s records", thousands(dbRecords)),
		ours: rate(si), base: rate(ri), baseName: "raw-idb",
		ratio: ratio(si, ri), target: fmt.Sprintf("≥ %.2f", dbInsertTarget), met: si >= dbInsertTarget*ri,
	})
	e.note("median of %d; smoke: db.insert × %d then await db.commit(); raw: put × %d in one relaxed transaction; ms per run: smoke %s, raw %s",
		dbReps, dbRecords, dbRecords, spread(res.Insert.Smoke), spread(res.Insert.Raw))
	sq, rq := perSec(median(res.WhereCount.Smoke)), perSec(median(res.WhereCount.Raw))
	e.printRow(row{
		section: "db", label: fmt.Sprintf("where + count over %s", thousands(dbRecords)),
		ours: rate(sq), base: rate(rq), baseName: "raw-idb",
		ratio: ratio(sq, rq), target: fmt.Sprintf("≥ %.2f", dbQueryTarget), met: sq >= dbQueryTarget*rq,
	})
	e.note("smoke: db.query(s).where(f).count(); raw: getAll(lowerBound(last), 1024) batches, one transaction each, f in plain JS; ms: smoke %s, raw %s",
		spread(res.WhereCount.Smoke), spread(res.WhereCount.Raw))
	rr := perSec(median(res.Remote))
	e.printRow(row{
		section: "db", label: "query streamed over REST",
		ours: rate(rr), base: rate(dbOriginalQuery), baseName: "orig*",
		ratio: ratio(rr, dbOriginalQuery), target: fmt.Sprintf("≥ %s rec/s", thousands(dbRemoteTarget)), met: rr >= dbRemoteTarget,
	})
	e.note("res.query(db.query(s)) → for await over response.query(), two nodes of one page, %s records; ms: %s; orig*: the original smoke, measured here",
		thousands(dbRecords), spread(res.Remote))
	e.note("a paused remote query (10 records read, then 2 s idle): the server read %d batches meanwhile; JS heap %.1f → %.1f MB",
		res.Paused.BatchesDuring, res.Paused.HeapBefore/1e6, res.Paused.HeapAfter/1e6)
	e.busyNote("db-browser", load)
	return runBucketBrowser(bctx, e, p)
}
