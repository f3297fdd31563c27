//go:build !js

package server

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/smokenet/smoke/internal/testing/natstest"
	"github.com/smokenet/smoke/pkg/hub/internal/wire"
)

// clusterHub starts a hub in the cluster of NATS servers at urls, connected to the first of them.
func clusterHub(t *testing.T, urls string, opts *Options) *testServer {
	t.Helper()
	if opts == nil {
		opts = &Options{Grace: time.Minute}
	}
	if opts.Logger == nil { // the hub's warnings (a KV write that failed, say) explain a failure
		w := &testWriter{t: t}
		t.Cleanup(w.stop) // registered first, so it runs after the hub's own cleanup
		opts.Logger = slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	ts := newServedTestServer(t, opts, nil)
	nc, err := nats.Connect(urls, nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond), nats.DontRandomize())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close) // after the hub's cleanup, which runs first
	if err := ts.JoinCluster(&ClusterOptions{Conn: nc, Lease: 2 * time.Second}); err != nil {
		t.Fatal(err)
	}
	return ts
}

// TestCluster runs three hubs on a three-server JetStream cluster: forwards cross hubs both ways, undeliverables
// come back across hubs, hostnames are cluster-wide (50 racing claims, one winner), and a node resumes on another
// hub with its address and hostname. Then a NATS server stops, and the hubs go on routing through the others.
func TestCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a NATS cluster")
	}
	nc := natstest.Start(t, 3)
	urls := nc.URLs() // every hub on the first server, the one the test stops
	hubs := []*testServer{clusterHub(t, urls, nil), clusterHub(t, urls, nil), clusterHub(t, urls, nil)}
	a, b := hubs[0].dial(t, ""), hubs[1].dial(t, "")

	t.Run("forward across hubs", func(t *testing.T) {
		for i := range 3 {
			a.sendf(`{"type":"forward","to":%q,"data":%d}`, b.addr(), i)
			if m := b.read(); m.Type != wire.TypeForward || m.From != a.addr() || string(m.Data) != fmt.Sprint(i) {
				t.Fatalf("b got %+v", m)
			}
			b.sendf(`{"type":"forward","to":%q,"data":"back %d"}`, a.addr(), i)
			if m := a.read(); m.Type != wire.TypeForward || m.From != b.addr() || string(m.Data) != fmt.Sprintf(`"back %d"`, i) {
				t.Fatalf("a got %+v", m)
			}
		}
		a.sendf(`{"type":"forward","to":"nobodyhere234567","data":1}`)
		if m := a.read(); m.Type != wire.TypeUndeliverable || m.To != "nobodyhere234567" || m.Reason != "unknown address" {
			t.Fatalf("a got %+v, want undeliverable", m)
		}
	})

	t.Run("hostname race", func(t *testing.T) {
		var clients []*client
		for i := range 50 {
			clients = append(clients, hubs[i%3].dial(t, ""))
		}
		var wg sync.WaitGroup
		results := make([]wire.Message, len(clients))
		for i, c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = c.request(wire.TypeRegister, 1, "prize")
			}()
		}
		wg.Wait()
		winner := ""
		for i, m := range results {
			switch {
			case m.Type == wire.TypeResult && winner == "":
				winner = clients[i].addr()
			case m.Type == wire.TypeResult:
				t.Fatalf("two nodes won the hostname: %s and %s", winner, clients[i].addr())
			case m.Type != wire.TypeError || m.Code != wire.CodeHostnameTaken:
				t.Fatalf("loser got %+v", m)
			}
		}
		if winner == "" {
			t.Fatal("nobody won the hostname")
		}
		for i, h := range hubs {
			c := h.dial(t, "")
			if m := c.request(wire.TypeLookup, 2, "prize"); m.Type != wire.TypeResult || m.Address != winner {
				t.Fatalf("lookup on hub %d: %+v, want %s", i, m, winner)
			}
		}
	})

	t.Run("resume on another hub", func(t *testing.T) {
		mover := hubs[2].dial(t, "")
		mover.expectResult(wire.TypeRegister, 1, "mover")
		mover.ws.CloseNow() // dropped: its hub keeps the session for a resume
		eventually(t, "the drop", func() bool { return detached(hubs[2].session(mover.addr())) })
		r := hubs[1].dial(t, "?resume="+mover.binding.Resume)
		if !r.binding.Resumed || r.addr() != mover.addr() {
			t.Fatalf("resume on another hub: %+v", r.binding)
		}
		eventually(t, "the old hub to hand the session over", func() bool { return hubs[2].session(mover.addr()) == nil })
		// Its hostname followed it, and messages reach it on its new hub from a third.
		c := hubs[0].dial(t, "")
		if m := c.request(wire.TypeLookup, 1, "mover"); m.Type != wire.TypeResult || m.Address != mover.addr() {
			t.Fatalf("lookup after the move: %+v", m)
		}
		c.sendf(`{"type":"forward","to":%q,"data":"found you"}`, mover.addr())
		if m := r.read(); m.Type != wire.TypeForward || string(m.Data) != `"found you"` {
			t.Fatalf("moved node got %+v", m)
		}
		// A second resume with the old token fails: each binding carries a new secret.
		if again := hubs[0].dial(t, "?resume="+mover.binding.Resume); again.binding.Resumed {
			t.Fatal("an old resume token worked twice")
		}
	})

	t.Run("a NATS server stops", func(t *testing.T) {
		nc.Servers[0].Shutdown()
		deadline := time.Now().Add(20 * time.Second)
		for i := 0; ; i++ {
			a.sendf(`{"type":"forward","to":%q,"data":"after %d"}`, b.addr(), i)
			ctx, cancel := context.WithTimeout(t.Context(), time.Second)
			_, data, err := b.ws.Read(ctx)
			cancel()
			if err == nil {
				if m, _ := wire.Decode(data, wire.FromServer); m.Type == wire.TypeForward {
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatal("no forward between hubs after a NATS server stopped")
			}
		}
		// A hub whose NATS connection is moving to another server answers once it has: ask again until then.
		for {
			c := hubs[2].dial(t, "")
			c.sendf(`{"type":%q,"id":1,"hostname":"prize"}`, wire.TypeLookup)
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			_, data, err := c.ws.Read(ctx)
			cancel()
			m, _ := wire.Decode(data, wire.FromServer)
			if err == nil && m.Type == wire.TypeResult {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("hostnames after a NATS server stopped: %+v, %v", m, err)
			}
		}
	})
}

// TestClusterLeaseExpires: a hostname whose hub stops renewing it (here: the hub's connection to NATS is gone) is
// free within one lease.
func TestClusterLeaseExpires(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a NATS server")
	}
	n := natstest.Start(t, 1)
	a := clusterHub(t, n.URLs(), nil)
	b := clusterHub(t, n.URLs(), nil)
	holder := a.dial(t, "")
	holder.expectResult(wire.TypeRegister, 1, "leased")
	other := b.dial(t, "")
	other.expectError(wire.TypeRegister, 1, "leased", wire.CodeHostnameTaken)
	a.cluster.nc.Close() // the hub is cut off: its renewals stop, as if it had died
	start := time.Now()
	id := 2
	eventually(t, "the lease to expire", func() bool {
		id++
		return other.request(wire.TypeRegister, id, "leased").Type == wire.TypeResult
	})
	if d := time.Since(start); d > 2*time.Second+time.Second {
		t.Fatalf("the lease took %v to expire (lease 2 s)", d)
	}
}

// testWriter writes to the test's log until the test ends (a log after that panics).
type testWriter struct {
	t       testing.TB
	mu      sync.Mutex
	stopped bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.stopped {
		w.t.Log(strings.TrimSuffix(string(p), "\n"))
	}
	return len(p), nil
}

func (w *testWriter) stop() {
	w.mu.Lock()
	w.stopped = true
	w.mu.Unlock()
}

// detached reports whether sess waits for a resume.
func detached(sess *session) bool {
	if sess == nil {
		return false
	}
	sess.mu.Lock()
	defer sess.mu.Unlock()
	return sess.c == nil && !sess.ended
}
