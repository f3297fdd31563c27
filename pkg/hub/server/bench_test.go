//go:build !js

package server

import (
	"fmt"
	"testing"

	"github.com/coder/websocket"
)

// BenchmarkForward measures one forward through the hub: a client writes it, the hub decodes, routes, encodes and
// writes it, another client reads it. Allocations include both clients'.
func BenchmarkForward(b *testing.B) {
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
		}
		done <- nil
	}()
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := a.ws.Write(b.Context(), websocket.MessageText, msg); err != nil {
			b.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}
