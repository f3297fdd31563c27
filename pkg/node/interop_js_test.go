//go:build js

package node_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/smokenet/smoke/pkg/hub"
	"github.com/smokenet/smoke/pkg/node"
)

// TestBrowserNodeInterop is the browser half of TestNodeInteropWithBrowser (interop_browser_test.go): a node in
// Chromium and a native pion node on one smoke-hub, dialling each other.
func TestBrowserNodeInterop(t *testing.T) {
	url := os.Getenv("SMOKE_HUB_URL")
	if url == "" {
		t.Skip("run by the native TestNodeInteropWithBrowser, which provides a smoke-hub at SMOKE_HUB_URL")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	n := node.New(&node.Options{Hub: hub.NewNetworkHub(url, nil), RelayOnly: os.Getenv("SMOKE_RELAY_ONLY") == "1"})
	defer n.Close()
	echo(t, n, 4000)
	if err := n.Hub().Register(ctx, "browser-node"); err != nil {
		t.Fatal(err)
	}
	// Dial the native node by its hostname and talk.
	s, err := n.Dial(ctx, "native-node", 5000)
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range []string{"hello from the browser", "second"} {
		if err := s.Write(ctx, node.MessageText, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		if _, got, err := s.Read(ctx); err != nil || string(got) != msg {
			t.Fatalf("echo from native: %q %v", got, err)
		}
	}
	// The native side dials our echo port over the same peer connection, then tells us it is done by closing.
	if _, _, err := s.Read(ctx); node.CloseStatus(err) != node.StatusNormalClosure {
		t.Fatalf("waiting for the native side to finish: %v", err)
	}
	if got := n.Stats().PeerConnectionsCreated; got != 1 {
		t.Fatalf("browser made %d peer connections, want 1", got)
	}
}
