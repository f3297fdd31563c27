//go:build !js

package hub_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/smokenet/smoke/internal/browser"
	"github.com/smokenet/smoke/internal/hubtest"
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
	wasm := browser.BuildWasmTest(t, "github.com/smokenet/smoke/pkg/hub")

	native := hub.NewNetworkHub(url, nil)
	defer native.Close()
	nativeAddr, err := native.Address(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := native.Register(ctx, "native-node"); err != nil {
		t.Fatal(err)
	}

	var out bytes.Buffer
	exited := make(chan error, 1)
	go func() {
		code, err := browser.RunWasm(ctx, wasm, []string{"-test.v", "-test.run=^TestBrowserNetworkHub$"},
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

	// Wait for the browser node to register, then ping it through the hub.
	var browserAddr string
	for browserAddr == "" {
		select {
		case err := <-exited:
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
	if err := <-exited; err != nil {
		fail("browser test: %v", err)
	}
	if !strings.Contains(out.String(), "--- PASS: TestBrowserNetworkHub") {
		fail("browser test did not pass")
	}
}
