package server

import (
	"sync"
	"sync/atomic"
	"time"
)

// The rate limit charges a message when the hub reads it, which is when it arrived only while the hub keeps up. If
// the hub itself stalls (a long GC pause, CPU steal, the process stopped), messages that nodes sent at a lawful
// pace pile up in the kernel and are read in one burst afterwards; charged then, they would close well-behaved
// nodes for the hub's own fault, and an attacker who can stall the hub would close everyone. So the hub measures
// its own stalls (stallClock) and forgives each bucket the tokens that would have come in during them: a backlog
// that built up while the hub was not reading is let through as if it had been read on arrival.

// stallTick is how often the stall clock ticks, and stallSlack the lateness it takes for normal scheduling jitter.
const (
	stallTick  = 10 * time.Millisecond
	stallSlack = 20 * time.Millisecond
)

// stallClock measures how long the process has not been running its goroutines on time: the total lateness of a
// ticker, beyond stallSlack per tick.
type stallClock struct {
	total atomic.Int64 // nanoseconds of stall folded in so far
	last  atomic.Int64 // monotonic nanoseconds (since base) of the last tick seen
	base  time.Time
}

func (sc *stallClock) init() { sc.base = time.Now() }

func (sc *stallClock) mono(t time.Time) int64 { return int64(t.Sub(sc.base)) }

// run ticks until done. One goroutine per Server, started with the first connection.
func (sc *stallClock) run(done <-chan struct{}) {
	t := time.NewTicker(stallTick)
	defer t.Stop()
	sc.last.Store(sc.mono(time.Now()))
	for {
		select {
		case <-done:
			return
		case <-t.C:
			// The ticker's channel holds one tick: after a stall, the tick it holds is stale, and the time it was
			// read is what counts.
			n := sc.mono(time.Now())
			if late := n - sc.last.Load() - int64(stallTick) - int64(stallSlack); late > 0 {
				sc.total.Add(late)
			}
			sc.last.Store(n)
		}
	}
}

// now returns the stall so far, including one under way that the ticker has not seen yet (after a stall, readers
// may run before the clock's goroutine does).
func (sc *stallClock) now(t time.Time) int64 {
	total := sc.total.Load()
	last := sc.last.Load()
	if last == 0 {
		return total
	}
	if late := sc.mono(t) - last - int64(stallTick) - int64(stallSlack); late > 0 {
		total += late
	}
	return total
}

// bucket is a token bucket of Options.Rate tokens a second up to Options.Burst, plus the tokens forgiven for the
// hub's stalls (which may go above Burst, for the backlog). It belongs to a session, so a node that resumes after
// being closed for its rate keeps an empty bucket. Made on the first message: idle nodes do without.
type bucket struct {
	mu     sync.Mutex // the read sides of an old and a new connection may overlap during a takeover
	tokens float64
	last   int64 // monotonic nanoseconds of the last charge
	stall  int64 // stallClock total already forgiven
}

// allow takes a token, reporting whether there was one.
func (b *bucket) allow(s *Server, now time.Time) bool {
	t := s.stall.mono(now)
	st := s.stall.now(now)
	rate, burst := s.opts.Rate, float64(s.opts.Burst)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.last == 0 { // new: full
		b.tokens, b.last, b.stall = burst, t, st
	}
	if elapsed := t - b.last; elapsed > 0 && b.tokens < burst {
		b.tokens = min(burst, b.tokens+float64(elapsed)/1e9*rate)
	}
	b.last = max(b.last, t)
	if st > b.stall {
		b.tokens += float64(st-b.stall) / 1e9 * rate
		b.stall = st
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
