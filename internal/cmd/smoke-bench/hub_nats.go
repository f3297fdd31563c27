//go:build linux

package main

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// measureNATS times NATS alone on the cross-hub path: one nats.go connection publishes, at rate messages per
// second on a fixed schedule, to a subject another connection subscribes to, through the section's nats-server.
// A forward between hubs is this plus a hop through each hub, so its latency cannot be below this one's plus the
// same-hub latency: the figure says how much of the cross-hub ratio is NATS's own.
func measureNATS(ctx context.Context, url string, rate float64, warm, dur time.Duration) (p50, p99 time.Duration, err error) {
	pub, err := nats.Connect(url)
	if err != nil {
		return 0, 0, err
	}
	defer pub.Close()
	sub, err := nats.Connect(url)
	if err != nil {
		return 0, 0, err
	}
	defer sub.Close()
	epoch := time.Now()
	since := func() int64 { return int64(time.Since(epoch)) }
	start := time.Now().Add(10 * time.Millisecond)
	from := int64(start.Add(warm).Sub(epoch))
	var mu sync.Mutex
	var lats []int64
	s, err := sub.Subscribe("smoke-bench.latency", func(m *nats.Msg) {
		now := since()
		sent, err := strconv.ParseInt(string(m.Data), 10, 64)
		if err != nil || sent < from {
			return
		}
		mu.Lock()
		lats = append(lats, now-sent)
		mu.Unlock()
	})
	if err != nil {
		return 0, 0, err
	}
	defer s.Unsubscribe()
	if err := sub.Flush(); err != nil { // the subscription is in place before the first publish
		return 0, 0, err
	}
	interval := time.Duration(float64(time.Second) / rate)
	buf := make([]byte, 0, 20)
	for next := start; next.Before(start.Add(warm + dur)); next = next.Add(interval) {
		if err := sleepCtx(ctx, time.Until(next)); err != nil {
			return 0, 0, err
		}
		if err := pub.Publish("smoke-bench.latency", strconv.AppendInt(buf[:0], since(), 10)); err != nil {
			return 0, 0, err
		}
	}
	if err := pub.Flush(); err != nil {
		return 0, 0, err
	}
	time.Sleep(100 * time.Millisecond) // the last messages arrive
	mu.Lock()
	defer mu.Unlock()
	if len(lats) == 0 {
		return 0, 0, errors.New("no message arrived")
	}
	slices.Sort(lats)
	return time.Duration(lats[len(lats)/2]), time.Duration(lats[(len(lats)-1)*99/100]), nil
}
