package server

import (
	"time"

	"github.com/smokenet/smoke/pkg/hub/server/internal/ws"
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
	var silent []*conn // to ping, or to drop for not answering the last ping
	for {
		select {
		case <-s.done:
			return
		case now := <-t.C:
			cutoff := now.Add(-interval).UnixNano()
			lateAt := now.Add(-interval / 2).UnixNano()
			silent = silent[:0]
			s.mu.RLock()
			for c := range s.conns {
				if !c.ready.Load() {
					continue
				}
				last := c.lastRead.Load()
				switch at := c.pingAt.Load(); {
				case at != 0 && last >= at:
					c.pingAt.CompareAndSwap(at, 0) // answered (or the peer sent something else)
				case at != 0 && at <= lateAt:
					silent = append(silent, c) // to drop
				case at == 0 && last <= cutoff:
					silent = append(silent, c) // to ping
				}
			}
			s.mu.RUnlock()
			for i, c := range silent {
				silent[i] = nil
				if c.closing() {
					continue
				}
				if c.pingAt.Load() != 0 {
					c.kill(kindDropped, "no pong within "+(interval/2).String())
					continue
				}
				select {
				case s.pingSlots <- struct{}{}:
				case <-s.done:
					return
				}
				c.pingAt.Store(time.Now().UnixNano())
				s.wg.Add(1) // counted goroutine: safe
				go c.ping()
			}
		}
	}
}

// ping writes a ping frame; keepalive checks for the answer later. A goroutine of its own, since a write to a peer
// that reads nothing waits (up to MessageTimeout) and keepalive must not.
func (c *conn) ping() {
	s := c.srv
	defer s.wg.Done()
	defer func() { <-s.pingSlots }()
	if err := c.writeControl(ws.OpPing, nil); err != nil {
		c.kill(kindDropped, "write failed: "+err.Error())
	}
}
