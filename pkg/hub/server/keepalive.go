package server

import (
	"context"
	"time"
)

// maxConcurrentPings bounds the keepalive pings in flight. A ping to a dead peer waits out its timeout, so the
// bound keeps a mass disconnect from turning into thousands of goroutines at once.
const maxConcurrentPings = 256

// keepalive is one of the Server's two timer goroutines (the other is the stall clock, rate.go): every KeepAlive/2 it pings the connections that have been silent
// for KeepAlive, and drops those that do not answer within KeepAlive/2. An idle connection has no timer of its own.
func (s *Server) keepalive() {
	defer s.wg.Done()
	defer func() {
		if r := recover(); r != nil {
			s.logPanic(r, "")
		}
	}()
	interval := s.opts.KeepAlive
	if interval < 0 {
		return // pings are off
	}
	t := time.NewTicker(interval / 2)
	defer t.Stop()
	var silent []*conn
	for {
		select {
		case <-s.done:
			return
		case now := <-t.C:
			cutoff := now.Add(-interval).UnixNano()
			silent = silent[:0]
			s.mu.RLock()
			for c := range s.conns {
				if c.ready.Load() && c.lastRead.Load() <= cutoff && !c.pinging.Load() {
					silent = append(silent, c)
				}
			}
			s.mu.RUnlock()
			for i, c := range silent {
				silent[i] = nil
				if c.closing() || !c.pinging.CompareAndSwap(false, true) {
					continue
				}
				select {
				case s.pingSlots <- struct{}{}:
				case <-s.done:
					return
				}
				s.wg.Add(1) // counted goroutine: safe
				go c.ping(interval / 2)
			}
		}
	}
}

// ping pings the peer and drops the connection if no pong comes within timeout.
func (c *conn) ping(timeout time.Duration) {
	s := c.srv
	defer s.wg.Done()
	defer func() {
		<-s.pingSlots
		c.pinging.Store(false)
		if r := recover(); r != nil {
			s.logPanic(r, c.addr())
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	err := c.ws.Ping(ctx)
	cancel()
	if err != nil {
		c.kill(kindDropped, "no pong within "+timeout.String())
		return
	}
	c.lastRead.Store(time.Now().UnixNano())
}
