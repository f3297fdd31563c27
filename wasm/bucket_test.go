//go:build !js

package main

import (
	"context"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/heapprofiler"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/smokenet/smoke/internal/testing/browser"
)

// TestBucket runs the browser-side cases of testdata/bucket.js against the page's real IndexedDB: writes and reads
// of every kind, files of several chunks read in ranges around the chunk edges, appends, list with prefix and
// delimiter, atomic replace (an aborted writable, failed writes, a read racing a replace), bad arguments, dispose,
// and bucket.serve over REST between two nodes (Range, 416, If-None-Match, If-Range, HEAD, a resumed download).
func TestBucket(t *testing.T) {
	t.Parallel()
	p := runCases(t, "bucket", 10*time.Minute)
	noProblems(t, p.Console())
}

// TestBucketLarge writes 100 MiB into a bucket from a stream made as it is read, and reads it back as a stream,
// each hashed on the way: the digests must match, and memory must stay bounded. The page pauses after every 8 MiB,
// and there the test measures the renderer's live JavaScript heap and array buffer storage (after a forced
// collection; array buffer backing stores are where the bytes of Uint8Arrays live); at the end, the wasm memory
// (captured from WebAssembly.instantiate). Their growth must stay well below the file's 100 MiB.
func TestBucketLarge(t *testing.T) {
	// Not parallel: the heap it measures is the renderer's, and Chromium may put other tests' pages of the same
	// site in the same renderer process (a parallel run of the suite once counted +74 MiB that was not ours).
	r := newRig(t)
	if err := copyFile(filepath.Join("testdata", "bucket.js"), filepath.Join(r.site.dir, "bucket.js")); err != nil {
		t.Fatal(err)
	}
	p := r.page(t, "bucket-large.html", pageHead+`<script>
// The wasm's memory, for the test to read: smoke.wasm's instance is made by one of these.
for (const name of ['instantiate', 'instantiateStreaming']) {
  const f = WebAssembly[name]
  WebAssembly[name] = async function (...args) {
    const r = await f.apply(this, args)
    window.wasmMemory = (r instanceof WebAssembly.Instance ? r : r.instance).exports.mem
    return r
  }
}
</script>
`+importMap+`
<script type="module">
import * as smoke from '`+pkgName+`'
import { bigData, digest } from './bucket.js'
// checkpoint pauses the page after every 8 MiB written or read until the test has measured it (window.measured):
// the test's forced collection and heap reading then run at once, with the main thread idle. (Asked for while the
// page is busy, they ran only at the end of the write, in the middle of its work, and counted up to +83 MiB that a
// moment later was gone; the same write measured at its checkpoints holds a few MiB.)
let since = 0
const checkpoint = async (n) => {
  since += n
  if (since < 8 << 20) return
  since = 0
  await new Promise((resolve) => { window.measured = () => { window.measured = undefined; resolve() } })
}
window.large = async (size) => {
  const name = 'bucket-large-' + Date.now()
  const b = new smoke.Bucket(name)
  await b.exists('warm-up')
  const wasm0 = window.wasmMemory.buffer.byteLength
  const w = digest()
  const source = bigData(size).pipeThrough(new TransformStream({ async transform(c, ctl) { const hashed = w.add(c); ctl.enqueue(c); await hashed; await checkpoint(c.length) } }))
  const t0 = performance.now()
  const info = await b.write('big', source)
  const writeMs = performance.now() - t0
  const rd = digest()
  const t1 = performance.now()
  const reader = b.readable('big').getReader()
  let n = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    await rd.add(value)
    await checkpoint(value.length)
    n += value.length
  }
  const readMs = performance.now() - t1
  const blob = await b.readBlob('big')
  const out = { size: info.size, read: n, blob: blob.size, written: await w.hex(), readBack: await rd.hex(), writeMs, readMs,
    wasmGrowth: window.wasmMemory.buffer.byteLength - wasm0 }
  await b.dispose()
  await smoke.Bucket.drop(name)
  return out
}
window.ready = true
</script>
`)
	evaluate[bool](t, p, time.Minute, `(async () => { while (!window.ready) await new Promise(r => setTimeout(r, 10)); return true })()`)

	// heap is the renderer's live JavaScript heap and array buffer storage, in bytes: measured after a full
	// garbage collection, so that it counts what is held (what the bucket keeps, and the test's own buffers),
	// not garbage that the collector has yet to take.
	heap := func(ctx context.Context) (float64, error) {
		u, err := browser.Run(ctx, p, chromedp.Action[cdpruntime.GetHeapUsageResult](func(ctx context.Context, tgt *chromedp.Target) (cdpruntime.GetHeapUsageResult, error) {
			if _, err := cdp.Call(ctx, tgt, heapprofiler.CollectGarbage, cdp.Empty{}); err != nil {
				return cdpruntime.GetHeapUsageResult{}, err
			}
			return cdp.Call(ctx, tgt, cdpruntime.GetHeapUsage, cdp.Empty{})
		}))
		return u.UsedSize + u.BackingStorageSize, err
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	base, err := heap(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	samples := 0
	peak := base
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			if waiting, err := browser.Run(ctx, p, chromedp.Evaluate[bool](`window.measured !== undefined`)); err != nil || !waiting {
				continue
			}
			if h, err := heap(ctx); err == nil {
				mu.Lock()
				peak = max(peak, h)
				samples++
				mu.Unlock()
			}
			if _, err := browser.Run(ctx, p, chromedp.Evaluate[any](`window.measured()`)); err != nil {
				t.Errorf("releasing the page after a measurement: %v", err)
				return
			}
		}
	}()
	type result struct {
		Size, Read, Blob  float64
		Written, ReadBack string
		WriteMS, ReadMS   float64
		WasmGrowth        float64
	}
	const size = 100 << 20
	res := evaluate[result](t, p, 5*time.Minute, `window.large(`+strconv.Itoa(size)+`)`)
	close(stop)
	<-sampled
	if res.Size != size || res.Read != size || res.Blob != size {
		t.Fatalf("sizes: written %v, read %v, readBlob %v; want %d", res.Size, res.Read, res.Blob, size)
	}
	if res.Written != res.ReadBack {
		t.Fatalf("the digest of what was read back (%s) is not that of what was written (%s)", res.ReadBack, res.Written)
	}
	if samples < 20 {
		t.Fatalf("the test measured the page at %d checkpoints; a 100 MiB round trip has 24", samples)
	}
	growth := peak - base
	mib := func(b float64) string { return strconv.FormatFloat(b/(1<<20), 'f', 1, 64) + " MiB" }
	t.Logf("100 MiB: write %.0f ms (%.0f MiB/s), read %.0f ms (%.0f MiB/s); JS heap + array buffers: %s at the start, peak %s (+%s) over %d checkpoints; wasm memory grew %s",
		res.WriteMS, 100/res.WriteMS*1000, res.ReadMS, 100/res.ReadMS*1000, mib(base), mib(peak), mib(growth), samples, mib(res.WasmGrowth))
	// The file is 100 MiB; a write holds a few chunks of 1 MiB at a time (CHUNKS_PER_CALL of npm/src/bucket.js
	// being stored, as many being cut), a read CHUNKS_PER_CALL, the digests three more. Measured at the checkpoints,
	// the peak is +2 to +7 MiB; 32 MiB leaves room for a busy machine and still fails anything that holds a good
	// part of the file.
	const bound = 32 << 20
	if growth > bound {
		t.Errorf("JS heap and array buffers grew by %s during a 100 MiB round trip; the bound is %s", mib(growth), mib(bound))
	}
	if res.WasmGrowth > 8<<20 {
		t.Errorf("the wasm memory grew by %s during a 100 MiB round trip: the bytes should not cross into Go", mib(res.WasmGrowth))
	}
	noProblems(t, p.Console())
}
