//go:build linux

package main

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/smokenet/smoke/internal/testing/browser"
)

// initLine is one line of GODEBUG=inittrace=1: "init internal/bytealg @0.008 ms, 0 ms clock, 0 bytes, 0 allocs".
var initLine = regexp.MustCompile(`^init (\S+) @([0-9.]+) ms, ([0-9.]+) ms clock, (\d+) bytes, (\d+) allocs`)

type initTrace struct {
	pkg          string
	at, clock    float64 // ms since the runtime started; ms the init took
	bytes, alloc int
}

// wasmInitTrace runs smoke.wasm once in Chromium with GODEBUG=inittrace=1 and notes the inits that cost most. The
// program is run without the loader's hand-off, so main fails at once: every package init has run by then.
func (e *env) wasmInitTrace(ctx context.Context, smokeWasm string) error {
	e.progress("wasm: package init times (GODEBUG=inittrace=1)")
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	if _, err := browser.RunWasm(ctx, smokeWasm, nil, map[string]string{"GODEBUG": "inittrace=1"}, &out); err != nil {
		return err
	}
	var inits []initTrace
	var total float64
	for line := range strings.Lines(out.String()) {
		m := initLine.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		t := initTrace{pkg: m[1]}
		t.at, _ = strconv.ParseFloat(m[2], 64)
		t.clock, _ = strconv.ParseFloat(m[3], 64)
		t.bytes, _ = strconv.Atoi(m[4])
		t.alloc, _ = strconv.Atoi(m[5])
		inits = append(inits, t)
		total += t.clock
	}
	if len(inits) == 0 {
		return fmt.Errorf("no inittrace lines in the output:\n%s", out.Bytes())
	}
	last := inits[len(inits)-1]
	e.note("package init: %d inits took %.1f ms in all; the last ended %.1f ms after the runtime started (one run, not a median)",
		len(inits), total, last.at+last.clock)
	slices.SortStableFunc(inits, func(a, b initTrace) int { return cmp.Compare(b.clock, a.clock) })
	var top []string
	for _, t := range inits[:min(6, len(inits))] {
		top = append(top, fmt.Sprintf("%s %.2f ms (%s)", t.pkg, t.clock, kb(float64(t.bytes))))
	}
	e.note("costliest inits: %s", strings.Join(top, ", "))
	return nil
}
