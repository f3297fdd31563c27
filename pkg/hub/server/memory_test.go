//go:build !js

package server

import (
	"net"
	"runtime"
	"testing"
	"time"
)

// TestIdleMemory measures what an idle node costs the server: heap and stack bytes per bound, silent connection.
// Clients are raw TCP connections that sent an upgrade request and nothing else, so the client side costs only a
// bare net.Conn; that cost is measured separately (a pair of bare TCP connections, halved) and subtracted.
//
//	go test -run TestIdleMemory -v ./pkg/hub/server
//
// The real benchmark (separate processes, RSS) is `make bench`; this is the quick in-process estimate.
func TestIdleMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 2×2000 connections")
	}
	if raceEnabled {
		t.Skip("the race detector's shadow memory makes the numbers meaningless")
	}
	const n = 2000

	bare := measure(t, n, func() func() {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		accepted := make(chan net.Conn, n)
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				accepted <- c
			}
		}()
		clients := make([]net.Conn, n)
		for i := range clients {
			if clients[i], err = net.Dial("tcp", ln.Addr().String()); err != nil {
				t.Fatal(err)
			}
		}
		for range n {
			<-accepted
		}
		return func() {
			ln.Close()
			for _, c := range clients {
				c.Close()
			}
			close(accepted)
			for c := range accepted {
				c.Close()
			}
		}
	})

	var ts *testServer
	var baseGoroutines int
	var rawClients []net.Conn
	hub := measure(t, n, func() func() {
		ts = newTestServer(t, &Options{MaxConnections: 2 * n, MaxConnectionsPerIP: -1, KeepAlive: DefaultKeepAlive})
		ts.dial(t, "").ws.CloseNow() // start the keepalive goroutine and warm pools before the baseline
		eventually(t, "warm-up", func() bool { return ts.Stats().Connections == 0 })
		time.Sleep(50 * time.Millisecond)
		baseGoroutines = runtime.NumGoroutine()
		return nil
	}, func() func() {
		rawClients = make([]net.Conn, n)
		for i := range rawClients {
			rawClients[i] = rawConn(t, ts.addr)
		}
		eventually(t, "all clients to bind", func() bool { return ts.Stats().Connections == n })
		// and for net/http's handler goroutines and the first runs of the read sides to finish (an idle node has
		// no goroutine: lean.go)
		eventually(t, "handlers to return", func() bool { return runtime.NumGoroutine() <= baseGoroutines+n/100 })
		return nil
	})

	// The same nodes after each sent a request and got the reply: decoding grew their stacks, which the garbage
	// collector shrinks again once they wait in the shallow read (lean.go).
	before := settledMemStats()
	for _, nc := range rawClients {
		writeMaskedText(t, nc, `{"type":"lookup","id":1,"hostname":"nobody"}`)
	}
	eventually(t, "the requests to be read", func() bool { return ts.Stats().BytesIn >= int64(n*44) })
	time.Sleep(100 * time.Millisecond) // and answered
	after := settledMemStats()
	t.Logf("after one request each: stack %+.0f B, heap %+.0f B per node", float64(int64(after.StackInuse)-int64(before.StackInuse))/n,
		float64(int64(after.HeapInuse)-int64(before.HeapInuse))/n)
	for _, nc := range rawClients {
		nc.Close()
	}

	client := bare.total() / 2 // one bare end
	t.Logf("bare TCP pair: %.0f B heap + %.0f B stack, %.2f goroutines", bare.heap, bare.stack, bare.goroutines)
	t.Logf("hub + raw client: %.0f B heap (%.0f B in objects) + %.0f B stack, %.2f goroutines",
		hub.heap, hub.objects, hub.stack, hub.goroutines)
	perNode := hub.total() - client
	t.Logf("server side per idle node: ≈ %.0f B (heap+stack, minus one bare TCP end of %.0f B)", perNode, client)
	// lean.go: no goroutine waits per idle connection, and the rest is ~1.1 KB (it was 6.0 KB with a goroutine each).
	if hub.goroutines > 0.05 || perNode > 2048 {
		t.Errorf("an idle node costs %.0f B and %.2f goroutines; want no goroutine and at most 2 KB", perNode, hub.goroutines)
	}
}

type perConn struct{ heap, objects, stack, goroutines float64 }

func (p perConn) total() float64 { return p.heap + p.stack }

// measure runs setup steps (the last one opens the n connections; each may return a cleanup) and reports the growth
// of in-use heap and stack per connection across the last step.
func measure(t *testing.T, n int, steps ...func() func()) perConn {
	t.Helper()
	for _, step := range steps[:len(steps)-1] {
		if cleanup := step(); cleanup != nil {
			defer cleanup()
		}
	}
	before := settledMemStats()
	g0 := runtime.NumGoroutine()
	if cleanup := steps[len(steps)-1](); cleanup != nil {
		defer cleanup()
	}
	after := settledMemStats()
	g1 := runtime.NumGoroutine()
	f := float64(n)
	return perConn{
		heap:       float64(int64(after.HeapInuse)-int64(before.HeapInuse)) / f,
		objects:    float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / f,
		stack:      float64(int64(after.StackInuse)-int64(before.StackInuse)) / f,
		goroutines: float64(g1-g0) / f,
	}
}

// settledMemStats collects garbage (twice: the second cycle shrinks stacks the first found oversized, and frees
// what the first one's finalizers released) and reads the memory statistics.
func settledMemStats() runtime.MemStats {
	var m runtime.MemStats
	for range 4 {
		runtime.GC()
	}
	runtime.ReadMemStats(&m)
	return m
}

// writeMaskedText writes msg as one masked text frame, as a client must (RFC 6455 section 5.3).
func writeMaskedText(t testing.TB, nc net.Conn, msg string) {
	if len(msg) > 125 {
		t.Fatal("writeMaskedText: message too long for a 7-bit length")
	}
	key := [4]byte{1, 2, 3, 4}
	frame := append([]byte{0x81, 0x80 | byte(len(msg))}, key[:]...)
	for i := range len(msg) {
		frame = append(frame, msg[i]^key[i%4])
	}
	if _, err := nc.Write(frame); err != nil {
		t.Fatal(err)
	}
}
