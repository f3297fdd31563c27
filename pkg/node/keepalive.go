package node

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/smokenet/smoke/pkg/node/internal/frame"
)

// keepalive is the part of a socket that notices a dead peer (SPEC.md §5): any frame at all shows the peer is alive;
// after one interval with none the loop sends a PING, and after three more it fails the socket. It also owes the
// peer a PONG for its latest PING. It stands apart from receiving because control frames are handled as they arrive,
// not queued behind data the reader has not taken.
type keepalive struct {
	framesIn atomic.Uint64 // every frame that arrived, counted by Frame

	mu       sync.Mutex
	pongOwed bool
	pongData [frame.PingLen]byte

	// The loop's own, no lock.
	ticker     *time.Ticker
	pingSeq    uint64
	lastFrames uint64
	idleTicks  int
}

// owePong records a PING to answer; only the latest counts.
func (k *keepalive) owePong(data [frame.PingLen]byte) {
	k.mu.Lock()
	k.pongOwed, k.pongData = true, data
	k.mu.Unlock()
}

func (k *keepalive) takePong() (bool, [frame.PingLen]byte) {
	k.mu.Lock()
	defer k.mu.Unlock()
	owed := k.pongOwed
	k.pongOwed = false
	return owed, k.pongData
}

// start starts the timer once, when the socket opens; an interval of 0 or less means no keepalive.
func (k *keepalive) start(interval time.Duration) {
	if k.ticker == nil && interval > 0 {
		k.ticker = time.NewTicker(interval)
	}
}

func (k *keepalive) stop() {
	if k.ticker != nil {
		k.ticker.Stop()
	}
}

// tick is the timer's channel, nil (never ready) until start.
func (k *keepalive) tick() <-chan time.Time {
	if k.ticker == nil {
		return nil
	}
	return k.ticker.C
}

// keepaliveTick runs on each tick of the timer (from the loop).
func (s *Socket) keepaliveTick() {
	k := &s.ka
	if n := k.framesIn.Load(); n != k.lastFrames {
		k.lastFrames, k.idleTicks = n, 0
		return
	}
	k.idleTicks++
	switch {
	case k.idleTicks == 1:
		k.pingSeq++
		var data [frame.PingLen]byte
		for i := range data {
			data[i] = byte(k.pingSeq >> (8 * i))
		}
		var buf [1 + frame.PingLen]byte
		s.sendLoop(frame.AppendPing(buf[:0], frame.Ping, data))
	case k.idleTicks > 3:
		s.fail(0, fmt.Errorf("node: socket %v: peer not responding for %v: %w", s.remote, 3*s.cfg.KeepAlive, ErrTimeout))
		s.closeLink()
	}
}
