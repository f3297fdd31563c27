//go:build !js

package main

import (
	"context"
	"encoding/json"
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/smokenet/smoke/internal/testing/hubtest"
	"github.com/smokenet/smoke/internal/testing/natstest"
	"github.com/smokenet/smoke/pkg/hub"
)

// TestClusterHubDies kills a hub process (SIGKILL: no goodbye): a node that knows another hub of the cluster
// resumes there with its address and hostname, and the hostnames of a node that does not come back are free within
// one lease.
func TestClusterHubDies(t *testing.T) {
	if testing.Short() {
		t.Skip("starts NATS and hub processes")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	nats := natstest.Start(t, 1)
	const lease = 2 * time.Second
	a := hubtest.StartProcess(t, 0, "--nats", nats.URLs(), "--lease", lease.String())
	b := hubtest.StartProcess(t, 0, "--nats", nats.URLs(), "--lease", lease.String())

	survivor := hub.NewNetworkHub(a.URL, &hub.NetworkHubOptions{URLs: []string{b.URL}})
	defer survivor.Close()
	orphan := hub.NewNetworkHub(a.URL, nil)
	defer orphan.Close()
	watcher := hub.NewNetworkHub(b.URL, nil)
	defer watcher.Close()
	addr, err := survivor.Address(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := survivor.Register(ctx, "survivor"); err != nil {
		t.Fatal(err)
	}
	if err := orphan.Register(ctx, "orphan"); err != nil {
		t.Fatal(err)
	}
	if err := watcher.Register(ctx, "orphan"); !errors.Is(err, hub.ErrHostnameTaken) {
		t.Fatalf("orphan's hostname from the other hub: %v, want taken", err)
	}

	a.Cmd.Process.Signal(syscall.SIGKILL)
	killed := time.Now()

	// The survivor is back, on hub b, with its address; messages from b's nodes reach it.
	for survivor.URL() != b.URL || !survivor.Connected() {
		if time.Since(killed) > 20*time.Second {
			t.Fatalf("the survivor did not move to hub b (at %s, connected %v)", survivor.URL(), survivor.Connected())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if again, err := survivor.Address(ctx); err != nil || again != addr {
		t.Fatalf("address after the move: %q %v, want %q", again, err, addr)
	}
	t.Logf("the survivor resumed on hub b %v after the kill", time.Since(killed))
	if got, err := watcher.Lookup(ctx, "survivor"); err != nil || got != addr {
		t.Fatalf("survivor's hostname after the move: %q %v", got, err)
	}
	if err := watcher.Send(ctx, addr, json.RawMessage(`"still there?"`)); err != nil {
		t.Fatal(err)
	}
	if m, err := survivor.Receive(ctx); err != nil || string(m.Data) != `"still there?"` {
		t.Fatalf("survivor received %+v %v", m, err)
	}

	// The orphan's hostname is free within a lease of the kill.
	for {
		err := watcher.Register(ctx, "orphan")
		if err == nil {
			break
		}
		if !errors.Is(err, hub.ErrHostnameTaken) || time.Since(killed) > lease+5*time.Second {
			t.Fatalf("registering the dead hub's hostname %v after the kill: %v", time.Since(killed), err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("the dead hub's hostname was free %v after the kill (lease %v)", time.Since(killed), lease)
}
