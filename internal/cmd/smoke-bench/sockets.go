//go:build linux

package main

// The sockets section: pkg/node's sockets against raw datachannels measured in the same run.
//
//   - Browser (sockets_browser.go): one headless Chromium page runs a Go wasm program (sockets/) holding two nodes on
//     a PageHub, and a raw-JavaScript RTCPeerConnection pair (sockets/raw.js) in the same page: throughput with
//     64 KiB and 8 MiB messages, and dial-to-open latency of a new peer.
//   - Native (sockets_native.go): two nodes in this process (pion) against two raw pion peer connections in this
//     process: throughput with 64 KiB messages.
//   - Memory (sockets_memory.go): a reader that stops while its sender tries to push 1 GiB through: the heap peak,
//     and how far the sender got ahead.
//
// Everything stays on loopback: pion is held to lo and IPv4 (socketsWebRTC), Chromium gets internal/testing/browser's
// loopback flags, and the page's files come from a server on 127.0.0.1.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/smokenet/smoke/internal/testing/webrtctest"
)

// Targets, from issue 3.
const (
	browserThroughputTarget = 0.95 // of raw JS, at least
	browserLatencyTarget    = 1.2  // × raw JS, at most: new node → first socket open against a raw RTCPeerConnection pair
	nativeThroughputTarget  = 0.9  // of raw pion, at least
)

func runSockets(ctx context.Context, e *env) error {
	if err := e.browserSockets(ctx); err != nil {
		return fmt.Errorf("browser: %w", err)
	}
	if err := e.nativeSockets(ctx); err != nil {
		return fmt.Errorf("native: %w", err)
	}
	if err := e.memorySockets(ctx); err != nil {
		return fmt.Errorf("memory: %w", err)
	}
	return nil
}

// socketsWebRTC is the pion setting of both the library and the raw baseline: loopback only, as the tests use.
func socketsWebRTC() *webrtc.SettingEngine { return webrtctest.Loopback() }

// median returns the median of xs (the mean of the middle two for an even count).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// mibps is bytes per duration in MiB/s.
func mibps(bytes int64, d time.Duration) float64 { return float64(bytes) / (1 << 20) / d.Seconds() }

func mibpsString(r float64) string { return fmt.Sprintf("%.1f MiB/s", r) }

func mib(b float64) string { return fmt.Sprintf("%.1f MiB", b/(1<<20)) }

func msDuration(ms float64) time.Duration { return time.Duration(ms * float64(time.Millisecond)) }

// spread formats samples in ms, in the order they were taken, for a note.
func spread(ms []float64) string {
	s := ""
	for i, x := range ms {
		if i > 0 {
			s += " "
		}
		s += fmt.Sprintf("%.0f", x)
	}
	return s
}

// loadMeter measures how many cores other processes kept busy (in user space) over a stretch of time: processes
// that are neither smoke-bench nor its descendants (Chromium). The figures compare two things measured side by side,
// but a busy machine still makes them noisy.
type loadMeter struct {
	t0      time.Time
	machine time.Duration
	ours    map[int]time.Duration // user CPU of this process and its descendants, by pid
}

func startLoad() *loadMeter {
	m := &loadMeter{t0: time.Now(), ours: ourUserCPU()}
	m.machine, _ = machineUserCPU()
	return m
}

// others returns the cores other processes used since startLoad.
func (m *loadMeter) others() float64 {
	el := time.Since(m.t0).Seconds()
	machine, err := machineUserCPU()
	if err != nil || el <= 0 {
		return 0
	}
	var ours time.Duration
	for pid, t := range ourUserCPU() {
		ours += t - m.ours[pid] // a process born meanwhile counts whole; one that died is lost (and counted as others)
	}
	return max(0, (machine-m.machine-ours).Seconds()/el)
}

// busyNote warns when other processes competed for the CPU during a measurement.
func (e *env) busyNote(what string, m *loadMeter) {
	// As in the hub section: per-process times are sampled, so even a quiet machine shows about 0.2.
	if o := m.others(); o > 0.5 {
		e.note("other processes kept %.2f cores busy during the %s figures: they are not reliable", o, what)
	}
}

// ourUserCPU returns the user CPU time of this process and each of its descendants, by pid.
func ourUserCPU() map[int]time.Duration {
	self := os.Getpid()
	parent := map[int]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:])) // f[0] is the state, f[1] the parent
		if len(f) < 2 {
			continue
		}
		parent[pid], _ = strconv.Atoi(f[1])
	}
	ours := map[int]time.Duration{}
	for pid := range parent {
		for p, hops := pid, 0; p > 1 && hops < 64; p, hops = parent[p], hops+1 {
			if p == self {
				if t, err := procCPU(pid); err == nil {
					ours[pid] = t.user
				}
				break
			}
		}
	}
	return ours
}
