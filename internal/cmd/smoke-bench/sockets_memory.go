//go:build linux

package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/smokenet/smoke/pkg/node"
)

// The memory figure's workload: a sender that tries to push memTotal bytes in memSize messages to a reader that
// reads memWarm bytes, stops for memPause, then reads the rest.
const (
	memTotal  = 1 << 30
	memSize   = 1 << 20
	memWarm   = 64 << 20
	memPause  = 2 * time.Second
	memSample = 50 * time.Millisecond
	memWindow = 1 << 20 // the sockets' flow-control window: pkg/node's default, set here so the bound below is known

	// memInFlight is what the process may hold for the transfer by design, whatever its length: the receiver's
	// window and one message being assembled (SPEC.md §4), the sender's message, pion's send queue under the
	// datachannel high-water mark (4 MiB, dclink.go) and its SCTP receive buffer (1 MiB).
	memInFlight = memWindow + 2*memSize + 4<<20 + 1<<20
)

// memTarget is the bound on the heap in use: live data at most idle + memInFlight, and the collector (GOGC=100 by
// default) lets the heap grow to twice the live data before it collects.
func memTarget(idle uint64) uint64 {
	gogc := 100
	if v, err := strconv.Atoi(os.Getenv("GOGC")); err == nil && v > 0 {
		gogc = v
	}
	return (idle + memInFlight) * uint64(100+gogc) / 100
}

func (e *env) memorySockets(ctx context.Context) error {
	e.progress("sockets: memory, %s in %s messages to a reader that stops for %s", sizeName(memTotal), sizeName(memSize), memPause)
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	nl, err := newNodeLink(ctx, &node.Options{Window: memWindow})
	if err != nil {
		return err
	}
	defer nl.close()

	runtime.GC()
	runtime.GC()
	idle := heapInuse()
	hwmReset := resetPeakRSS()
	load := startLoad()
	var sampler heapSampler
	sampler.start()
	defer sampler.stop()

	// The sender: message i starts and ends with i; the rest is random, the same in every message.
	var sent atomic.Int64
	sendDone := make(chan error, 1)
	sendSum := make(chan uint32, 1)
	start := time.Now()
	go func() {
		msg := make([]byte, memSize)
		rng := rand.New(rand.NewPCG(1, 2))
		for i := range msg {
			msg[i] = byte(rng.Uint32())
		}
		var sum uint32
		for i := range memTotal / memSize {
			binary.LittleEndian.PutUint64(msg, uint64(i))
			binary.LittleEndian.PutUint64(msg[memSize-8:], uint64(i))
			sum = crc32.Update(sum, crc32.IEEETable, msg)
			if err := nl.tx.Write(ctx, node.MessageBinary, msg); err != nil {
				sendDone <- fmt.Errorf("write %d: %w", i, err)
				return
			}
			sent.Add(memSize)
		}
		sendSum <- sum
		sendDone <- nil
	}()

	var (
		read int64
		sum  uint32
		seq  uint64
	)
	readUntil := func(n int64) error {
		for read < n {
			_, b, err := nl.rx.Read(ctx)
			if err != nil {
				return fmt.Errorf("read after %d bytes: %w", read, err)
			}
			if len(b) != memSize || binary.LittleEndian.Uint64(b) != seq || binary.LittleEndian.Uint64(b[memSize-8:]) != seq {
				return fmt.Errorf("message %d: %d bytes, out of order or damaged", seq, len(b))
			}
			sum = crc32.Update(sum, crc32.IEEETable, b)
			seq++
			read += int64(len(b))
		}
		return nil
	}
	if err := readUntil(memWarm); err != nil {
		return err
	}

	// The reader stops.
	stopped := read
	sentAtStop := sent.Load()
	sampler.mark()
	time.Sleep(memPause)
	sentAfter := sent.Load()
	wire := nl.a.Stats().BytesOut // frames handed to the datachannel, all of them: handshake, framing, payload
	pausePeak := sampler.markedPeak()
	rxStats := nl.rx.Stats()
	buffered := rxStats.Buffered

	// It resumes, and everything must arrive.
	if err := readUntil(memTotal); err != nil {
		return err
	}
	elapsed := time.Since(start)
	if err := <-sendDone; err != nil {
		return err
	}
	if want := <-sendSum; sum != want {
		return fmt.Errorf("CRC-32 of what arrived is %08x, of what was sent %08x", sum, want)
	}
	sampler.stop()
	peak := sampler.peak()
	hwm := peakRSS()
	rxStats = nl.rx.Stats()

	// What left the sender beyond what the reader took: every frame byte sent minus the payload read. The receiver
	// may hold one unread message and one being assembled, which is at most the window plus one message here.
	ahead := wire - stopped
	bound := int64(memWindow + memSize)
	target := memTarget(idle)
	e.printRow(row{
		section: "sock", label: "memory, reader stops, " + sizeName(memTotal) + " sent",
		ours: mib(float64(peak)), base: mib(float64(idle)), baseName: "idle",
		ratio: ratio(float64(peak), float64(idle)), target: "≤ 2×(idle+" + mib(memInFlight) + ")",
		met: peak <= target,
	})
	e.printRow(row{
		section: "sock", label: "sender ahead of the stopped reader",
		ours: mib(float64(ahead)), base: mib(float64(bound)), baseName: "bound",
		ratio: ratio(float64(ahead), float64(bound)), target: "≤ 1 (window + 1 message)",
		met: ahead <= bound,
	})
	e.note("heap in use (runtime HeapInuse every %s) of the whole process, which holds both nodes, sender and receiver; "+
		"idle = the two nodes connected, after GC; live heap at its peak %s (as of the last GC); "+
		"%s in flight by design: window + 2 messages + datachannel high-water 4 MiB + SCTP receive buffer 1 MiB",
		memSample, mib(float64(sampler.livePeak())), mib(memInFlight))
	e.note("reader stopped after %s for %s: the sender finished %s more of messages, then blocked (frames sent beyond what "+
		"was read: %s); heap peak while stopped %s; receiver socket buffered %s then (peak over the run %s)",
		sizeName(int(stopped)), memPause, mib(float64(sentAfter-sentAtStop)), mib(float64(ahead)), mib(float64(pausePeak)),
		mib(float64(buffered)), mib(float64(rxStats.BufferedPeak)))
	rss := "peak RSS unknown"
	if hwm > 0 && hwmReset {
		rss = "peak RSS during the test " + mib(float64(hwm))
	} else if hwm > 0 {
		rss = "peak RSS of the process so far " + mib(float64(hwm))
	}
	e.note("all %s arrived in order, CRC-32 %08x matches, in %s (%s including the pause); %s",
		sizeName(memTotal), sum, elapsed.Round(100*time.Millisecond), mibpsString(mibps(memTotal, elapsed)), rss)
	e.busyNote("memory", load)
	return nil
}

func heapInuse() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// heapSampler records the peak of HeapInuse, sampled every memSample, overall and since mark, and the peak of the
// live heap as of the last GC.
type heapSampler struct {
	mu       sync.Mutex
	max      uint64
	liveMax  uint64
	markMax  uint64
	marked   bool
	done     chan struct{}
	stopped  chan struct{}
	stopOnce sync.Once
}

func (h *heapSampler) start() {
	h.done, h.stopped = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(h.stopped)
		t := time.NewTicker(memSample)
		defer t.Stop()
		for {
			h.sample()
			select {
			case <-t.C:
			case <-h.done:
				h.sample()
				return
			}
		}
	}()
}

func (h *heapSampler) sample() {
	v := heapInuse()
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(live)
	h.mu.Lock()
	h.max = max(h.max, v)
	if live[0].Value.Kind() == metrics.KindUint64 {
		h.liveMax = max(h.liveMax, live[0].Value.Uint64())
	}
	if h.marked {
		h.markMax = max(h.markMax, v)
	}
	h.mu.Unlock()
}

func (h *heapSampler) stop() {
	h.stopOnce.Do(func() {
		close(h.done)
		<-h.stopped
	})
}

func (h *heapSampler) mark() {
	h.mu.Lock()
	h.marked, h.markMax = true, 0
	h.mu.Unlock()
}

func (h *heapSampler) markedPeak() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.marked = false
	return h.markMax
}

func (h *heapSampler) livePeak() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.liveMax
}

func (h *heapSampler) peak() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.max
}

// resetPeakRSS resets the process's peak resident set (VmHWM) to its current one, so that peakRSS measures from
// now (Linux 4.0 and later); false if it could not.
func resetPeakRSS() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// peakRSS returns the process's peak resident set (VmHWM) in bytes, or 0 if unknown.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}
