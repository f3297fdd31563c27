//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// dialWidth is how many clients connect at once.
const dialWidth = 64

// benchClient is one client of the server under test. The clients are stopped by closing their connections.
type benchClient struct {
	conn *wsConn
	addr string
	peer *benchClient // where this client sends

	recv atomic.Int64 // relayed messages received
	_    [56]byte     // keep each client's counter on its own cache line
}

// joinClients connects n clients with bounded parallelism. On error, those already connected are closed.
func joinClients(ctx context.Context, s signaller, n int) ([]*benchClient, error) {
	clients := make([]*benchClient, n)
	err := parallel(ctx, 0, n, dialWidth, func(ctx context.Context, i int) error {
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		c, addr, err := s.join(ctx)
		if err != nil {
			return fmt.Errorf("client %d: %w", i, err)
		}
		clients[i] = &benchClient{conn: c, addr: addr}
		return nil
	})
	if err != nil {
		closeClients(clients)
		return nil, err
	}
	// Pair them: 0 with 1, 2 with 3, …
	for i := 0; i+1 < n; i += 2 {
		clients[i].peer, clients[i+1].peer = clients[i+1], clients[i]
	}
	return clients, nil
}

func closeClients(clients []*benchClient) {
	for _, c := range clients {
		if c != nil {
			c.conn.close()
		}
	}
}

// sleepCtx sleeps for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// readLoops runs a handler for every relayed message each client receives, one goroutine per client, until stop
// is called. The first read or write error before stop ends wait early and is returned by stop. The latency rows
// use it, which only receive; the relay rows answer with relayGen (hub_gen.go).
type readLoops struct {
	wg       sync.WaitGroup
	stopping atomic.Bool
	stray    atomic.Int64  // messages that were not relays
	failed   chan struct{} // closed at the first error

	mu      sync.Mutex
	err     error  // first read or write error before stop
	example string // first stray message
}

// start starts the loops. handle gets the client and the relayed number.
func (l *readLoops) start(clients []*benchClient, s signaller, handle func(c *benchClient, n int64)) {
	l.failed = make(chan struct{})
	for _, c := range clients {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			in := make([]byte, 0, 256)
			for {
				var err error
				if in, err = c.conn.read(in); err != nil {
					l.fail(err)
					return
				}
				n, ok := s.relayed(in)
				if !ok {
					// While stop closes the clients one by one, messages to those already closed bounce.
					if l.stopping.Load() {
						continue
					}
					if l.stray.Add(1) == 1 {
						l.mu.Lock()
						l.example = fmt.Sprintf("%.200s", in)
						l.mu.Unlock()
					}
					continue
				}
				c.recv.Add(1)
				handle(c, n)
			}
		}()
	}
}

func (l *readLoops) fail(err error) {
	if l.stopping.Load() {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err == nil {
		l.err = err
		close(l.failed)
	}
}

// stop closes the clients and waits for the loops to end; it returns the first error seen before it was called.
func (l *readLoops) stop(clients []*benchClient) error {
	l.stopping.Store(true)
	closeClients(clients)
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// wait sleeps for d, returning early with an error when a client fails or ctx ends.
func (l *readLoops) wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-l.failed:
		l.mu.Lock()
		defer l.mu.Unlock()
		return fmt.Errorf("a client failed: %w", l.err)
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l *readLoops) strayNote() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stray.Load() == 0 {
		return ""
	}
	return fmt.Sprintf("%d messages were not relays, e.g. %s", l.stray.Load(), l.example)
}

type relayResult struct {
	rate float64 // relayed messages per second
	cpu  cpuUse  // meanwhile
	note string  // anything odd
}

// measureRelay runs pairs of clients that bounce messages through the server — A relays to B, B relays back to
// A — with inflight messages per pair, and counts relayed messages (each forward counts one) per second over dur
// after a warm-up.
func measureRelay(ctx context.Context, s signaller, srv *child, pairs, inflight int, warm, dur time.Duration) (relayResult, error) {
	clients, err := joinClients(ctx, s, 2*pairs)
	if err != nil {
		return relayResult{}, err
	}
	g, err := startRelayGen(clients, s)
	if err != nil {
		closeClients(clients)
		return relayResult{}, err
	}
	stop := func() error {
		err := g.stop()
		closeClients(clients)
		return err
	}
	stopped := false
	defer func() {
		if !stopped {
			stop()
		}
	}()
	wait := func(d time.Duration) error {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return nil
		case <-g.failed:
			g.mu.Lock()
			defer g.mu.Unlock()
			return fmt.Errorf("a client failed: %w", g.err)
		case <-ctx.Done():
			return ctx.Err()
		}
	}

	for i := 0; i < len(clients); i += 2 {
		a := clients[i]
		for range inflight {
			if err := a.conn.writeText(s.relay(nil, a.peer.addr, 0)); err != nil {
				return relayResult{}, err
			}
		}
	}
	if err := wait(warm); err != nil {
		return relayResult{}, err
	}

	total := func() (n int64) {
		for _, c := range clients {
			n += c.recv.Load()
		}
		return n
	}
	n0, t0 := total(), time.Now()
	cpu := startCPU(srv)
	if err := wait(dur); err != nil {
		return relayResult{}, err
	}
	n1, t1 := total(), time.Now()
	use := cpu.end()
	if err := srv.alive(); err != nil {
		return relayResult{}, err
	}
	stopped = true
	if err := stop(); err != nil {
		return relayResult{}, err
	}
	r := relayResult{rate: float64(n1-n0) / t1.Sub(t0).Seconds(), cpu: use, note: g.strayNote()}
	if n1 == n0 {
		return r, fmt.Errorf("no message was relayed in %s; %s", dur, r.note)
	}
	return r, nil
}

type latencyResult struct {
	p50, p99 time.Duration
	samples  int
	cpu      cpuUse // while sending
	note     string
}

// measureLatency sends rate messages per second in all, spread evenly over pairs of clients (each pair takes
// turns A→B and B→A), on a fixed schedule that does not wait for replies (open loop). The sender writes the time
// into the message; the receiver, in this same process, subtracts it from the time of arrival.
func measureLatency(ctx context.Context, s signaller, srv *child, pairs int, rate float64, warm, dur time.Duration) (latencyResult, error) {
	clients, err := joinClients(ctx, s, 2*pairs)
	if err != nil {
		return latencyResult{}, err
	}
	epoch := time.Now() // timestamps are monotonic nanoseconds since epoch
	since := func() int64 { return int64(time.Since(epoch)) }

	type sample struct{ sent, lat int64 }
	samples := make([][]sample, len(clients)) // samples[i] is written only by client i's read loop
	index := make(map[*benchClient]int, len(clients))
	for i, c := range clients {
		index[c] = i
	}
	var loops readLoops
	loops.start(clients, s, func(c *benchClient, n int64) {
		i := index[c]
		samples[i] = append(samples[i], sample{sent: n, lat: since() - n})
	})
	defer loops.stop(clients)

	interval := time.Duration(float64(pairs) / rate * float64(time.Second))
	start := time.Now().Add(10 * time.Millisecond)
	end := start.Add(warm + dur)
	var sent atomic.Int64
	cpu := startCPU(srv)
	var wg sync.WaitGroup
	sendErr := make(chan error, pairs)
	for k := range pairs {
		a, b := clients[2*k], clients[2*k+1]
		wg.Add(1)
		go func() {
			defer wg.Done()
			out := make([]byte, 0, 128)
			// Pairs are offset from each other so that the sends are spread evenly over each interval.
			next := start.Add(interval * time.Duration(k) / time.Duration(pairs))
			for i := 0; next.Before(end); i++ {
				if err := sleepCtx(ctx, time.Until(next)); err != nil {
					return
				}
				from := a
				if i%2 == 1 {
					from = b
				}
				out = s.relay(out[:0], from.peer.addr, since())
				if err := from.conn.writeText(out); err != nil {
					sendErr <- err
					return
				}
				sent.Add(1)
				next = next.Add(interval)
			}
		}()
	}
	wg.Wait()
	use := cpu.end()
	select {
	case err := <-sendErr:
		return latencyResult{}, err
	default:
	}
	if err := ctx.Err(); err != nil {
		return latencyResult{}, err
	}
	// Let the last messages arrive.
	received := func() (n int64) {
		for _, c := range clients {
			n += c.recv.Load()
		}
		return n
	}
	for deadline := time.Now().Add(2 * time.Second); received() < sent.Load() && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if err := srv.alive(); err != nil {
		return latencyResult{}, err
	}
	if err := loops.stop(clients); err != nil {
		return latencyResult{}, err
	}

	from := int64(start.Add(warm).Sub(epoch))
	var lats []int64
	for _, ss := range samples {
		for _, x := range ss {
			if x.sent >= from {
				lats = append(lats, x.lat)
			}
		}
	}
	if len(lats) == 0 {
		return latencyResult{}, errors.New("no message arrived")
	}
	slices.Sort(lats)
	pct := func(p float64) time.Duration { return time.Duration(lats[int(p*float64(len(lats)-1))]) }
	r := latencyResult{p50: pct(0.50), p99: pct(0.99), samples: len(lats), cpu: use, note: loops.strayNote()}
	if lost := sent.Load() - received(); lost > 0 {
		r.note = joinNotes(r.note, fmt.Sprintf("%d of %d messages did not arrive", lost, sent.Load()))
	}
	return r, nil
}

func joinNotes(a, b string) string {
	if a == "" {
		return b
	}
	if b == "" {
		return a
	}
	return a + "; " + b
}
