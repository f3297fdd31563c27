//go:build linux

package main

import (
	"context"
	"fmt"
	"time"
)

// idleResult is a server's memory with idle clients connected, at each count asked for.
type idleResult struct {
	base   int64   // RSS with no client, bytes
	counts []int   // clients connected (as asked, unless the open-files limit forced fewer)
	rss    []int64 // RSS at each count
	notes  []string

	// The server's own gauges (Prometheus text from /metrics) with no client and at each count; nil if it has none.
	baseMetrics map[string]float64
	metrics     []map[string]float64
}

// perClient is the memory each idle client costs at counts[i], in bytes.
func (r idleResult) perClient(i int) float64 {
	return float64(r.rss[i]-r.base) / float64(r.counts[i])
}

// measureIdle starts a fresh server, then connects idle clients up to each of counts in turn, and reads the
// server's resident memory once they have settled. The clients keep reading, so they answer the server's pings,
// but send nothing.
func measureIdle(ctx context.Context, e *env, start func(context.Context) (*child, signaller, error), counts []int, settle time.Duration) (idleResult, error) {
	var r idleResult
	// This process holds one descriptor per client, and the server one per client too (children inherit the limit).
	if limit := int(fileLimit()) - 100; counts[len(counts)-1] > limit {
		r.notes = append(r.notes, fmt.Sprintf("the open-files limit (%d) allows only %d clients", fileLimit(), limit))
		for i := range counts {
			counts[i] = min(counts[i], limit)
		}
	}
	r.counts = counts

	srv, s, err := start(ctx)
	if err != nil {
		return r, err
	}
	most := counts[len(counts)-1]
	conns := make([]*wsConn, most)
	gone := make([]<-chan struct{}, most) // closed when the server has closed that client
	defer func() {
		// The server first: its clients then need no close handshake.
		srv.kill()
		for _, c := range conns {
			if c != nil {
				c.close()
			}
		}
	}()
	if err := sleepCtx(ctx, time.Second); err != nil {
		return r, err
	}
	if r.base, err = srv.rss(); err != nil {
		return r, err
	}
	r.baseMetrics = srv.scrape(ctx)

	joined := 0
	for _, n := range counts {
		t0 := time.Now()
		err := parallel(ctx, joined, n, dialWidth, func(ctx context.Context, i int) error {
			ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			c, _, err := s.join(ctx)
			if err != nil {
				return fmt.Errorf("client %d: %w", i, err)
			}
			conns[i] = c
			gone[i] = c.idle()
			return nil
		})
		if err != nil {
			return r, err
		}
		e.progress("hub: %s: %d idle clients connected in %s", srv.name, n, time.Since(t0).Round(10*time.Millisecond))
		joined = n
		if err := sleepCtx(ctx, settle); err != nil {
			return r, err
		}
		rss, err := srv.rss()
		if err != nil {
			return r, err
		}
		r.rss = append(r.rss, rss)
		r.metrics = append(r.metrics, srv.scrape(ctx))
		dropped := 0
		for _, g := range gone[:n] {
			select {
			case <-g:
				dropped++
			default:
			}
		}
		if dropped > 0 {
			r.notes = append(r.notes, fmt.Sprintf("%s dropped %d of %d idle clients", srv.name, dropped, n))
		}
	}
	return r, nil
}

// goBreakdown splits a Go server's memory per client at counts[i] into heap and stacks, from the Go runtime's
// gauges in its /metrics; "" if it does not export them.
func (r idleResult) goBreakdown(i int) string {
	m0, m := r.baseMetrics, r.metrics[i]
	const heap, stack, gs, conns = "go_memstats_heap_inuse_bytes", "go_memstats_stack_inuse_bytes", "go_goroutines", "smoke_hub_connections"
	for _, k := range []string{heap, stack, gs} {
		if _, ok := m0[k]; !ok {
			return ""
		}
		if _, ok := m[k]; !ok {
			return ""
		}
	}
	n := float64(r.counts[i])
	s := fmt.Sprintf("heap %s + stacks %s per node, %.2f goroutines per node",
		kb((m[heap]-m0[heap])/n), kb((m[stack]-m0[stack])/n), (m[gs]-m0[gs])/n)
	if c, ok := m[conns]; ok && int(c) != r.counts[i] {
		s += fmt.Sprintf("; it counts %d nodes connected", int(c))
	}
	return s
}
