//go:build !js

package node_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/smokenet/smoke/internal/testing/browser"
	"github.com/smokenet/smoke/internal/testing/hubtest"
	"github.com/smokenet/smoke/internal/testing/natstest"
	"github.com/smokenet/smoke/pkg/hub"
	"github.com/smokenet/smoke/pkg/node"
)

// TestNodeInteropWithBrowser runs a native node (pion) and a node in headless Chromium (Go wasm driving the
// browser's RTCPeerConnection) on one smoke-hub process; each dials the other (the browser half is
// TestBrowserNodeInterop). In the relay case both nodes may use TURN relays only (node.Options.RelayOnly, the
// browser's iceTransportPolicy "relay"), through the relay the hub embeds (smoke-hub --turn).
func TestNodeInteropWithBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	t.Run("direct", func(t *testing.T) { testNodeInteropWithBrowser(t, "direct") })
	t.Run("relay", func(t *testing.T) { testNodeInteropWithBrowser(t, "relay") })
	t.Run("cluster", func(t *testing.T) { testNodeInteropWithBrowser(t, "cluster") })
}

// testNodeInteropWithBrowser runs the test on one hub ("direct"), with relays only ("relay"), or with the browser
// node on one hub of a cluster and the native node on another ("cluster").
func testNodeInteropWithBrowser(t *testing.T, mode string) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	relay := mode == "relay"
	url := ""
	env := map[string]string{}
	switch mode {
	case "relay":
		url = hubtest.Start(t, "--turn", "--turn-port", "0", "--turn-allow-private")
		env["SMOKE_RELAY_ONLY"] = "1"
		env["SMOKE_HUB_URL"] = url
	case "cluster":
		nats := natstest.Start(t, 1)
		url = hubtest.Start(t, "--nats", nats.URLs())
		env["SMOKE_HUB_URL"] = hubtest.Start(t, "--nats", nats.URLs())
	default:
		url = hubtest.Start(t)
		env["SMOKE_HUB_URL"] = url
	}

	n := node.New(&node.Options{Hub: hub.NewNetworkHub(url, nil), WebRTC: testWebRTC(), RelayOnly: relay})
	defer n.Close()
	l, err := n.Listen(5000)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Hub().Register(ctx, "native-node"); err != nil {
		t.Fatal(err)
	}

	w := browser.StartWasmTest(ctx, t, "github.com/smokenet/smoke/pkg/node", "TestBrowserNodeInterop", env)
	fail := func(format string, args ...any) {
		t.Helper()
		w.Fatalf(t, format, args...)
	}

	s, err := l.Accept(ctx)
	if err != nil {
		fail("accept: %v", err)
	}
	for range 2 {
		typ, b, err := s.Read(ctx)
		if err != nil {
			fail("read from browser: %v", err)
		}
		if err := s.Write(ctx, typ, b); err != nil {
			fail("write to browser: %v", err)
		}
	}
	// Now dial the browser's echo port by its hostname.
	bs, err := n.Dial(ctx, "browser-node", 4000)
	if err != nil {
		fail("dial browser: %v", err)
	}
	if err := bs.Write(ctx, node.MessageBinary, []byte{1, 2, 3}); err != nil {
		fail("write: %v", err)
	}
	if _, got, err := bs.Read(ctx); err != nil || !bytes.Equal(got, []byte{1, 2, 3}) {
		fail("echo from browser: %v %v", got, err)
	}
	bs.Close(node.StatusNormalClosure, "")
	if got := n.Stats().PeerConnectionsCreated; got != 1 {
		fail("native node made %d peer connections, want 1", got)
	}
	s.Close(node.StatusNormalClosure, "done")
	if err := w.Wait(); err != nil {
		fail("browser test: %v", err)
	}
}
