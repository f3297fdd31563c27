//go:build !js

package server

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/coder/websocket"
)

// BenchmarkForward measures one forward through the hub: a client writes it, the hub decodes, routes, encodes and
// writes it, another client reads it. Allocations include both clients'. At most window messages are in flight:
// unbounded, the writer outran the reader until the hub's per-client queue overflowed and dropped messages (as it
// should), and the reader then waited forever for b.N of them.
func BenchmarkForward(b *testing.B) {
	const window = 256
	credit := make(chan struct{}, window)
	ts := newTestServer(b, &Options{Rate: 1e9, Burst: 1 << 30, QueueSize: 1 << 16})
	a, c := ts.dial(b, ""), ts.dial(b, "")
	msg := []byte(fmt.Sprintf(`{"type":"forward","to":%q,"data":{"candidate":"candidate:842163049 1 udp 1677729535 192.0.2.1 56143 typ srflx raddr 0.0.0.0 rport 0 generation 0 ufrag sXs5 network-cost 999","sdpMid":"0","sdpMLineIndex":0}}`, c.addr()))
	done := make(chan error, 1)
	go func() {
		for range b.N {
			if _, _, err := c.ws.Read(b.Context()); err != nil {
				done <- err
				return
			}
			<-credit
		}
		done <- nil
	}()
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		credit <- struct{}{}
		if err := a.ws.Write(b.Context(), websocket.MessageText, msg); err != nil {
			b.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}

// BenchmarkPingPong measures relaying the way the hub is used for signalling, and the way `make bench` measures it:
// pairs of nodes bounce one message back and forth, inflight at a time per pair, so the hub often has nothing to
// read and each message wakes it. One op is one relayed message. Most CPU time is the in-process clients'; the
// profile tells the hub's share.
func BenchmarkPingPong(b *testing.B) {
	for _, inflight := range []int{1, 8} {
		b.Run(fmt.Sprintf("inflight=%d", inflight), func(b *testing.B) {
			const pairs = 20
			ts := newTestServer(b, &Options{Rate: 1e9, Burst: 1 << 30})
			clients := make([]*client, 2*pairs)
			for i := range clients {
				clients[i] = ts.dial(b, "")
			}
			msgs := make([][]byte, len(clients)) // what clients[i] sends: to its peer
			for i := range clients {
				msgs[i] = []byte(fmt.Sprintf(`{"type":"forward","to":%q,"data":{"candidate":"candidate:842163049 1 udp 1677729535 192.0.2.1 56143 typ srflx raddr 0.0.0.0 rport 0 generation 0","sdpMid":"0","sdpMLineIndex":0}}`, clients[i^1].addr()))
			}
			var left atomic.Int64
			left.Store(int64(b.N))
			done := make(chan struct{})
			var once sync.Once
			b.ReportAllocs()
			b.ResetTimer()
			for i, c := range clients {
				go func() {
					for {
						if _, _, err := c.ws.Read(context.Background()); err != nil {
							return
						}
						if left.Add(-1) <= 0 {
							once.Do(func() { close(done) })
							return
						}
						if err := c.ws.Write(context.Background(), websocket.MessageText, msgs[i]); err != nil {
							return
						}
					}
				}()
			}
			for i := 0; i < len(clients); i += 2 {
				for range inflight {
					if err := clients[i].ws.Write(b.Context(), websocket.MessageText, msgs[i]); err != nil {
						b.Fatal(err)
					}
				}
			}
			<-done
			b.StopTimer()
			for _, c := range clients {
				c.ws.CloseNow()
			}
		})
	}
}
