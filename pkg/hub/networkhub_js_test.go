//go:build js

package hub_test

import (
	"encoding/json"
	"errors"
	"os"
	"testing"

	"github.com/smokenet/smoke/pkg/hub"
)

// TestBrowserNetworkHub is the browser half of TestNetworkHubInBrowser (networkhub_browser_test.go), which starts a
// smoke-hub process and a native node, then runs this test in headless Chromium with SMOKE_HUB_URL set.
func TestBrowserNetworkHub(t *testing.T) {
	url := os.Getenv("SMOKE_HUB_URL")
	if url == "" {
		t.Skip("run by the native TestNetworkHubInBrowser, which provides a smoke-hub at SMOKE_HUB_URL")
	}
	ctx := ctxT(t)
	h := hub.NewNetworkHub(url, nil)
	defer h.Close()
	addr, err := h.Address(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("browser node bound as %s", addr)
	if err := h.Register(ctx, "wasm-node"); err != nil {
		t.Fatal(err)
	}

	// Echo what the native node sends, with our own view of the sender.
	for range 3 {
		m, err := h.Receive(ctx)
		if err != nil {
			t.Fatal(err)
		}
		reply, _ := json.Marshal(map[string]any{"echo": m.Data, "sawFrom": m.From})
		if err := h.Send(ctx, m.From, reply); err != nil {
			t.Fatal(err)
		}
	}

	native, err := h.Lookup(ctx, "native-node")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Send(ctx, native, json.RawMessage(`"hello from the browser"`)); err != nil {
		t.Fatal(err)
	}
	// A message to an address nobody holds comes back as a delivery failure.
	if err := h.Send(ctx, "nobody0000000000", json.RawMessage(`1`)); err != nil {
		t.Fatal(err)
	}
	// Two messages come back, in either order: the delivery failure, and the native side's "done" (sent once it
	// has our hello; waiting for it means the native side's lookups and sends all saw a live node).
	var undeliverable, done bool
	for !undeliverable || !done {
		m, err := h.Receive(ctx)
		switch {
		case err != nil:
			t.Fatal(err)
		case m.Err != nil && errors.Is(m.Err, hub.ErrUnknownAddress) && m.From == "nobody0000000000":
			undeliverable = true
		case m.Err == nil && m.From == native && string(m.Data) == `"done"`:
			done = true
		default:
			t.Fatalf("unexpected message %+v", m)
		}
	}
}
