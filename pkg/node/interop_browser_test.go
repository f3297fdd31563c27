//go:build !js

package node_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
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
	wasm := browser.BuildWasmTest(t, "github.com/smokenet/smoke/pkg/node")

	n := node.New(&node.Options{Hub: hub.NewNetworkHub(url, nil), WebRTC: testWebRTC()})
	defer n.Close()
	l, err := n.Listen(5000)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Hub().Register(ctx, "native-node"); err != nil {
		t.Fatal(err)
	}

	var out bytes.Buffer
	exited := make(chan error, 1)
	go func() {
		code, err := browser.RunWasm(ctx, wasm, []string{"-test.v", "-test.run=^TestBrowserNodeInterop$"},
			map[string]string{"SMOKE_HUB_URL": url}, &out)
		if err == nil && code != 0 {
			err = fmt.Errorf("exit code %d", code)
		}
		exited <- err
	}()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Logf("browser output:\n%s", out.String())
		t.Fatalf(format, args...)
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
	if err := <-exited; err != nil {
		fail("browser test: %v", err)
	}
	if !strings.Contains(out.String(), "--- PASS: TestBrowserNodeInterop") {
		fail("browser test did not pass")
	}
}
