//go:build !js

package main

import (
	"bytes"
	"compress/gzip"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestPack checks the tarball `npm pack` makes of npm/: it holds the wasm, the runtime, both builds, the types and
// the licences (the package's, and Go's for wasm_exec.js and the runtime inside smoke.wasm).
func TestPack(t *testing.T) {
	s := getSite(t)
	if s.packed == nil {
		t.Skip("npm is not installed: the package was staged, not packed (install Node.js and npm to test npm pack)")
	}
	for _, want := range []string{"package.json", "index.js", "index.d.ts", "script.d.ts", "src/core.js", "src/rest.js", "src/db.js",
		"dist/smoke.wasm", "dist/wasm_exec.js", "dist/smoke.js", "dist/GO-LICENSE", "README.md", "LICENSE"} {
		if !slices.Contains(s.packed, want) {
			t.Errorf("npm pack: %s missing from the tarball; it has %q", want, s.packed)
		}
	}
	for _, f := range s.packed {
		if strings.Contains(f, "node_modules") || strings.HasSuffix(f, ".go") || strings.HasSuffix(f, ".tgz") {
			t.Errorf("npm pack: %s should not be in the tarball", f)
		}
	}
}

// TestColdStart measures, once, how long a cold page (fresh browser context, empty cache) takes from the start of
// its first script until new Node() has returned (and until the node has its address), and logs the wasm's size
// raw and gzip, and brotli -q 11 with SMOKE_WASM_BROTLI=1 (it takes node some 15 s). The budget (issue 4) is
// 300 ms and 1.5 MB brotli; this test reports, it does not judge: timings here are noisy. It is not parallel, so
// that it runs while the parallel tests wait.
func TestColdStart(t *testing.T) {
	r := newRig(t)
	p := r.page(t, "coldstart.html", pageHead+`<script>window.t0 = performance.now()</script>
`+importMap+`
<script type="module">
const { Node } = await import('`+pkgName+`')
const imported = performance.now()
const node = new Node()
const usable = performance.now()
await node.address()
const addressed = performance.now()
const wasm = performance.getEntriesByType('resource').find((e) => e.name.endsWith('/smoke.wasm'))
window.coldStart = { t0, imported, usable, addressed, wasmStart: wasm.startTime, wasmEnd: wasm.responseEnd }
</script>
`)
	type times struct{ T0, Imported, Usable, Addressed, WasmStart, WasmEnd float64 }
	v := evaluate[times](t, p, time.Minute,
		`(async () => { while (!window.coldStart) await new Promise(r => setTimeout(r, 5)); return window.coldStart })()`)
	t.Logf("cold start: first script at %.0f ms after navigation; from there: new Node() usable at +%.0f ms (import done +%.0f, address +%.0f); "+
		"smoke.wasm downloaded from +%.0f to +%.0f ms (%.0f ms), then compile and Go start-up %.0f ms",
		v.T0, v.Usable-v.T0, v.Imported-v.T0, v.Addressed-v.T0, v.WasmStart-v.T0, v.WasmEnd-v.T0, v.WasmEnd-v.WasmStart, v.Imported-v.WasmEnd)

	raw, err := os.ReadFile(r.site.wasm)
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write(raw)
	zw.Close()
	brotli := "? (SMOKE_WASM_BROTLI=1 measures it)"
	if node, err := exec.LookPath("node"); err == nil && os.Getenv("SMOKE_WASM_BROTLI") == "1" {
		out, err := exec.Command(node, "-e", `const z = require('zlib'); const b = require('fs').readFileSync(process.argv[1]);
process.stdout.write(String(z.brotliCompressSync(b, { params: { [z.constants.BROTLI_PARAM_QUALITY]: 11, [z.constants.BROTLI_PARAM_SIZE_HINT]: b.length } }).length))`, r.site.wasm).Output()
		if err == nil {
			brotli = string(out)
		}
	}
	t.Logf("smoke.wasm: %d bytes raw, %d gzip -9, %s brotli -q 11", len(raw), gz.Len(), brotli)
}
