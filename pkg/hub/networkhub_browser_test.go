//go:build !js

package hub_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/smokenet/smoke/internal/testing/browser"
	"github.com/smokenet/smoke/internal/testing/hubtest"
	"github.com/smokenet/smoke/pkg/hub"
)

// TestNetworkHubInBrowser runs a NetworkHub compiled to wasm in headless Chromium against a real smoke-hub process,
// talking to a native node through it (the browser half is TestBrowserNetworkHub).
func TestNetworkHubInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	url := hubtest.Start(t)

	native := hub.NewNetworkHub(url, nil)
	defer native.Close()
	nativeAddr, err := native.Address(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := native.Register(ctx, "native-node"); err != nil {
		t.Fatal(err)
	}

	w := browser.StartWasmTest(ctx, t, "github.com/smokenet/smoke/pkg/hub", "TestBrowserNetworkHub",
		map[string]string{"SMOKE_HUB_URL": url})
	fail := func(format string, args ...any) {
		t.Helper()
		w.Fatalf(t, format, args...)
	}

	// Wait for the browser node to register, then ping it through the hub.
	var browserAddr string
	for browserAddr == "" {
		select {
		case err := <-w.Exited():
			fail("browser test ended early: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
		browserAddr, _ = native.Lookup(ctx, "wasm-node")
	}
	for i := range 3 {
		if err := native.Send(ctx, browserAddr, json.RawMessage(fmt.Sprintf(`{"ping":%d}`, i))); err != nil {
			fail("send: %v", err)
		}
		m, err := native.Receive(ctx)
		if err != nil {
			fail("receive: %v", err)
		}
		var reply struct {
			Echo    json.RawMessage
			SawFrom string
		}
		if err := json.Unmarshal(m.Data, &reply); err != nil || m.From != browserAddr ||
			string(reply.Echo) != fmt.Sprintf(`{"ping":%d}`, i) || reply.SawFrom != nativeAddr {
			fail("echo %d: from %q data %s (%v)", i, m.From, m.Data, err)
		}
	}
	m, err := native.Receive(ctx)
	if err != nil || m.From != browserAddr || string(m.Data) != `"hello from the browser"` {
		fail("browser's own message: %+v, %v", m, err)
	}
	if err := native.Send(ctx, browserAddr, json.RawMessage(`"done"`)); err != nil {
		fail("send done: %v", err)
	}
	if err := w.Wait(); err != nil {
		fail("browser test: %v", err)
	}
}
