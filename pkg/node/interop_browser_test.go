//go:build !js

package node_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/smokenet/smoke/internal/browser"
	"github.com/smokenet/smoke/internal/hubtest"
	"github.com/smokenet/smoke/pkg/hub"
	"github.com/smokenet/smoke/pkg/node"
)

// TestNodeInteropWithBrowser runs a native node (pion) and a node in headless Chromium (Go wasm driving the
// browser's RTCPeerConnection) on one smoke-hub process; each dials the other (the browser half is
// TestBrowserNodeInterop).
func TestNodeInteropWithBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	url := hubtest.Start(t)

	n := node.New(&node.Options{Hub: hub.NewNetworkHub(url, nil), WebRTC: testWebRTC()})
	defer n.Close()
	l, err := n.Listen(5000)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Hub().Register(ctx, "native-node"); err != nil {
		t.Fatal(err)
	}

	w := browser.StartWasmTest(ctx, t, "github.com/smokenet/smoke/pkg/node", "TestBrowserNodeInterop",
		map[string]string{"SMOKE_HUB_URL": url})
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
