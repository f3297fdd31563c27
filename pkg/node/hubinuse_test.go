//go:build !js

package node_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/smokenet/smoke/internal/testing/hubtest"
	"github.com/smokenet/smoke/pkg/hub"
	"github.com/smokenet/smoke/pkg/node"
)

// TestHubCarriesOneNode: a second node made with a NetworkHub that already carries a node says so from every call,
// instead of sharing the first node's address and failing later with "port not listening"; the first node is not
// disturbed, and the hub is free again once its node is closed.
func TestHubCarriesOneNode(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	url := hubtest.Start(t)
	h := hub.NewNetworkHub(url, nil)
	first := node.New(&node.Options{Hub: h, WebRTC: testWebRTC()})
	defer first.Close()
	second := node.New(&node.Options{Hub: h})
	if _, err := second.Address(ctx); !errors.Is(err, node.ErrHubInUse) {
		t.Fatalf("second node's Address: %v, want ErrHubInUse", err)
	}
	if _, err := second.Listen(7000); !errors.Is(err, node.ErrHubInUse) {
		t.Fatalf("second node's Listen: %v, want ErrHubInUse", err)
	}
	if _, err := second.Dial(ctx, "localhost", 7000); !errors.Is(err, node.ErrHubInUse) {
		t.Fatalf("second node's Dial: %v, want ErrHubInUse", err)
	}
	if err := second.Close(); err != nil {
		t.Fatalf("closing the second node: %v", err)
	}

	// The first node still works: it is on the hub, and a node on another hub reaches its listener.
	addr, err := first.Address(ctx)
	if err != nil {
		t.Fatal(err)
	}
	l, err := first.Listen(7000)
	if err != nil {
		t.Fatal(err)
	}
	other := node.New(&node.Options{Hub: hub.NewNetworkHub(url, nil), WebRTC: testWebRTC()})
	defer other.Close()
	go func() {
		if s, err := l.Accept(ctx); err == nil {
			s.Write(ctx, node.MessageText, []byte("hi"))
		}
	}()
	s, err := other.Dial(ctx, addr, 7000)
	if err != nil {
		t.Fatalf("dialling the first node: %v", err)
	}
	if _, b, err := s.Read(ctx); err != nil || string(b) != "hi" {
		t.Fatalf("read %q, %v", b, err)
	}

	first.Close()
	third := node.New(&node.Options{Hub: h})
	if _, err := third.Address(ctx); errors.Is(err, node.ErrHubInUse) || !errors.Is(err, net.ErrClosed) {
		t.Fatalf("a node on the hub after its node closed (and with it the hub): %v, want net.ErrClosed", err)
	}
}
