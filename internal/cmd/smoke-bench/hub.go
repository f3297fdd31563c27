//go:build linux

package main

// The hub section: smoke-hub against peerjs-server, the most used WebRTC signalling server, on relay throughput,
// relay latency and memory per idle client. Both servers run as child processes on 127.0.0.1 and the clients run
// here, speaking each server's own protocol (hub_proto.go).

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"time"
)

const (
	hubPairs       = 100
	hubLatencyRate = 2000 // relayed messages per second, all pairs together
	hubRelayWarm   = time.Second
	hubLatencyWarm = 500 * time.Millisecond
	hubSettle      = 2 * time.Second // idle clients settle before the server's memory is read
)

// hubIdleCounts are the idle-client counts of the memory figures. The machine's open-files limit is 20,000 per
// process; the clients here and the server each hold one descriptor per client.
var hubIdleCounts = []int{5000, 19900}

var hubReady = regexp.MustCompile(`^smoke-hub listening on http://(127\.0\.0\.1:\d+)$`)

// startSmokeHub starts bin/smoke-hub on a free loopback port, with the limits that would throttle the benchmark
// lifted: the per-node rate limit (200 messages/s by default), and the per-address limits (every client of the
// benchmark comes from 127.0.0.1). The connection limit is set to fit hubIdleCounts, since the one derived from the
// open-files limit keeps a reserve the benchmark does not need.
func (e *env) startSmokeHub(ctx context.Context) (*child, signaller, error) {
	cmd := exec.Command(filepath.Join(e.bin, "smoke-hub"), "--port", "0", "--host", "127.0.0.1",
		"--rate", "1e9", "--burst", "1000000000", "--max-connections-per-ip", "-1",
		"--max-connections", "19950", "--max-http-connections-per-ip", "1024", "--log-level", "warn")
	c, m, err := e.startChild(ctx, "smoke-hub", cmd, hubReady)
	if err != nil {
		return nil, nil, err
	}
	c.metrics = "http://" + m[1] + "/metrics"
	return c, &smokeHub{url: "ws://" + m[1]}, nil
}

func runHub(ctx context.Context, e *env) error {
	if _, err := os.Stat(filepath.Join(e.bin, "smoke-hub")); err != nil {
		return fmt.Errorf("no smoke-hub beside smoke-bench (build both with make tools): %w", err)
	}
	h := &hubBench{env: e}
	// The baseline is measured here when it can run, else its published figures stand in, marked with a star.
	if reason := e.peerJSUnavailable(); reason != "" {
		h.skipPeerJS(reason)
	}

	// Throughput and latency share one process of each server.
	smoke, s, err := e.startSmokeHub(ctx)
	if err != nil {
		return err
	}
	defer smoke.kill()
	h.smoke, h.s = smoke, s
	if !h.skipped {
		peer, p, err := e.startPeerJS(ctx)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			h.skipPeerJS(err.Error())
		default:
			defer peer.kill()
			h.peer, h.p = peer, p
		}
	}
	for _, inflight := range []int{1, 8} {
		if err := h.relayRow(ctx, inflight); err != nil {
			return err
		}
	}
	if err := h.latencyRow(ctx); err != nil {
		return err
	}
	// The memory figures need fresh processes.
	smoke.kill()
	if h.peer != nil {
		h.peer.kill()
	}
	if err := h.memoryRows(ctx); err != nil {
		return err
	}
	if h.skipped {
		e.note("* published figure for peerjs-server %s, measured earlier on this machine: not measured in this run", peerJSVersion)
	}
	return nil
}

// hubBench is one run of the hub section.
type hubBench struct {
	*env
	smoke, peer *child // the servers for throughput and latency; peer is nil when peerjs-server cannot run
	s, p        signaller
	skipped     bool // peerjs-server cannot run here: all its figures are published ones
}

func (h *hubBench) skipPeerJS(reason string) {
	h.skipped = true
	fmt.Fprintf(h.out, "hub  peerjs baseline skipped: %s; peerjs* figures are published ones, measured earlier on this machine\n", reason)
}

// baseFailed explains a row whose baseline measurement failed and so shows the published figure.
func (h *hubBench) baseFailed(what string, err error) {
	h.note("peerjs-server failed during %s, so this row shows its published figure: %v", what, err)
}

func (h *hubBench) relayRow(ctx context.Context, inflight int) error {
	h.progress("hub: relay, %d pairs, %d in flight", hubPairs, inflight)
	ours, err := measureRelay(ctx, h.s, h.smoke, hubPairs, inflight, hubRelayWarm, h.dur)
	if err != nil {
		return fmt.Errorf("smoke-hub relay, %d in flight: %w", inflight, err)
	}
	base, baseName := peerJSPublished.relay1, "peerjs*"
	if inflight == 8 {
		base = peerJSPublished.relay8
	}
	var theirs relayResult
	var baseErr error
	if h.p != nil {
		theirs, baseErr = measureRelay(ctx, h.p, h.peer, hubPairs, inflight, hubRelayWarm, h.dur)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if baseErr == nil {
			base, baseName = theirs.rate, "peerjs"
		}
	}
	h.printRow(row{
		section: "hub", label: fmt.Sprintf("relay, %d pairs, %d in flight", hubPairs, inflight),
		ours: thousands(ours.rate) + " msg/s", base: thousands(base) + " msg/s", baseName: baseName,
		ratio: ratio(ours.rate, base), target: "≥ 3", met: ours.rate >= 3*base,
	})
	if baseErr != nil {
		h.baseFailed("relay", baseErr)
	}
	cpu := "cores used: " + cpuNote("smoke-hub", ours)
	if baseName == "peerjs" {
		cpu += "; " + cpuNote("peerjs-server", theirs)
	}
	h.note("%s", cpu)
	h.busyNote(ours.cpu, theirs.cpu)
	h.resultNotes(ours.note, theirs.note)
	return nil
}

func cpuNote(name string, r relayResult) string {
	per, cost := "?", "?"
	if r.cpu.server > 0 && r.rate > 0 {
		per = thousands(r.rate / r.cpu.server)
		cost = fmt.Sprintf("%.1f", r.cpu.server/r.rate*1e6)
	}
	bench := "?"
	if r.rate > 0 {
		bench = fmt.Sprintf("%.1f", r.cpu.bench/r.rate*1e6)
	}
	return fmt.Sprintf("%s %.2f (%s msg/s per core, %s µs/msg), smoke-bench %.2f (%s µs/msg), other processes %.2f",
		name, r.cpu.server, per, cost, r.cpu.bench, bench, r.cpu.others)
}

// busyNote warns when other processes competed for the CPU during a measurement.
func (h *hubBench) busyNote(ours, theirs cpuUse) {
	// Per-process user and system times are sampled estimates, so even a quiet machine shows about 0.2 here.
	if o := max(ours.others, theirs.others); o > 0.5 {
		h.note("other processes kept %.2f cores busy meanwhile: these figures are not reliable", o)
	}
}

func (h *hubBench) resultNotes(ours, theirs string) {
	if ours != "" {
		h.note("smoke-hub: %s", ours)
	}
	if theirs != "" {
		h.note("peerjs-server: %s", theirs)
	}
}

func (h *hubBench) latencyRow(ctx context.Context) error {
	h.progress("hub: latency at %s msg/s", thousands(hubLatencyRate))
	ours, err := measureLatency(ctx, h.s, h.smoke, hubPairs, hubLatencyRate, hubLatencyWarm, h.dur)
	if err != nil {
		return fmt.Errorf("smoke-hub latency: %w", err)
	}
	b50, b99, baseName := peerJSPublished.p50, peerJSPublished.p99, "peerjs*"
	var theirs latencyResult
	var baseErr error
	if h.p != nil {
		theirs, baseErr = measureLatency(ctx, h.p, h.peer, hubPairs, hubLatencyRate, hubLatencyWarm, h.dur)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if baseErr == nil {
			b50, b99, baseName = theirs.p50, theirs.p99, "peerjs"
		}
	}
	h.printRow(row{
		section: "hub", label: fmt.Sprintf("latency at %s msg/s, p50 / p99", thousands(hubLatencyRate)),
		ours: micros(ours.p50) + " / " + micros(ours.p99), base: micros(b50) + " / " + micros(b99), baseName: baseName,
		ratio:  ratio(float64(ours.p50), float64(b50)) + " / " + ratio(float64(ours.p99), float64(b99)),
		target: "< 1", met: ours.p50 < b50 && ours.p99 < b99,
	})
	if baseErr != nil {
		h.baseFailed("latency", baseErr)
	}
	if baseName == "peerjs" {
		h.note("one-way, %d messages through smoke-hub, %d through peerjs-server", ours.samples, theirs.samples)
	} else {
		h.note("one-way, %d messages through smoke-hub", ours.samples)
	}
	h.floorNote(ctx)
	h.busyNote(ours.cpu, theirs.cpu)
	h.resultNotes(ours.note, theirs.note)
	return nil
}

// floorNote measures the latency row against the floor relay (hub_floor.go), the least a relay can cost here.
func (h *hubBench) floorNote(ctx context.Context) {
	fl, f, err := h.startFloorRelay(ctx)
	if err != nil {
		h.note("latency floor not measured: %v", err)
		return
	}
	defer fl.kill()
	r, err := measureLatency(ctx, f, fl, hubPairs, hubLatencyRate, hubLatencyWarm, h.dur)
	if err != nil {
		h.note("latency floor not measured: %v", err)
		return
	}
	h.note("floor: a relay that only copies bytes between paired connections, run the same way: p50 %s / p99 %s",
		micros(r.p50), micros(r.p99))
}

func (h *hubBench) memoryRows(ctx context.Context) error {
	h.progress("hub: memory per idle client, fresh smoke-hub")
	ours, err := measureIdle(ctx, h.env, h.startSmokeHub, slices.Clone(hubIdleCounts), hubSettle)
	if err != nil {
		return fmt.Errorf("smoke-hub memory: %w", err)
	}
	var theirs idleResult
	var baseErr error
	measured := false
	if !h.skipped {
		h.progress("hub: memory per idle client, fresh peerjs-server")
		theirs, baseErr = measureIdle(ctx, h.env, h.startPeerJS, slices.Clone(hubIdleCounts), hubSettle)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		measured = baseErr == nil
	}
	for i, n := range ours.counts {
		per, base, baseName := ours.perClient(i), peerJSPublished.idleBytes, "peerjs*"
		if measured {
			base, baseName = theirs.perClient(i), "peerjs"
		}
		h.printRow(row{
			section: "hub", label: "memory per idle node, " + thousands(float64(n)),
			ours: kb(per), base: kb(base), baseName: baseName,
			ratio: ratio(per, base), target: "≤ 3 KB", met: per <= 3*1024,
		})
	}
	if baseErr != nil {
		h.baseFailed("the memory test", baseErr)
	}
	note := "resident memory: " + rssNote("smoke-hub", ours)
	if measured {
		note += "; " + rssNote("peerjs-server", theirs)
	}
	h.note("%s", note)
	for i, n := range ours.counts {
		if b := ours.goBreakdown(i); b != "" {
			h.note("smoke-hub at %s: %s", thousands(float64(n)), b)
		}
	}
	for _, n := range append(ours.notes, theirs.notes...) {
		h.note("%s", n)
	}
	return nil
}

func rssNote(name string, r idleResult) string {
	s := fmt.Sprintf("%s %.1f MB with no client", name, float64(r.base)/(1<<20))
	for i, n := range r.counts {
		s += fmt.Sprintf(", %.1f MB with %s", float64(r.rss[i])/(1<<20), thousands(float64(n)))
	}
	return s
}
