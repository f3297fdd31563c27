//go:build !js

package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/smokenet/smoke/internal/testing/hubtest"
	"github.com/smokenet/smoke/pkg/hub"
)

// start runs the hub with args on a free loopback port and returns its http:// base URL and a stop function that
// shuts it down as SIGTERM would and returns run's error.
func start(t *testing.T, args ...string) (string, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr hubtest.SyncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"--host", "127.0.0.1", "--port", "0"}, args...), &stdout, &stderr)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stdout.String(), "\n") {
		select {
		case err := <-done:
			t.Fatalf("smoke-hub exited: %v\n%s", err, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("smoke-hub did not start")
		}
		time.Sleep(5 * time.Millisecond)
	}
	base := strings.TrimSpace(strings.TrimPrefix(stdout.String(), "smoke-hub listening on "))
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(15 * time.Second):
			t.Fatal("smoke-hub did not shut down")
			return nil
		}
	}
	t.Cleanup(func() { stop() })
	return base, stop
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestHubBinary(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "index.html"), []byte("<h1>demo</h1>"), 0o644)
	ice := filepath.Join(dir, "ice.json")
	os.WriteFile(ice, []byte(`{"iceServers":[{"urls":["stun:127.0.0.1:3478"]}]}`), 0o644)
	base, stop := start(t, "--web", dir, "--ice", ice)

	if code, body := get(t, base+"/healthz"); code != 200 || body != "ok\n" {
		t.Fatalf("healthz: %d %q", code, body)
	}
	if code, body := get(t, base+"/"); code != 200 || !strings.Contains(body, "<h1>demo</h1>") {
		t.Fatalf("static: %d %q", code, body)
	}

	// A node binds over WebSocket on the same port and gets the ICE servers from the file.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	h := hub.NewNetworkHub("ws"+strings.TrimPrefix(base, "http")+"/", nil)
	defer h.Close()
	cfg, err := h.Configuration(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.ICEServers) != 1 || cfg.ICEServers[0].URLs[0] != "stun:127.0.0.1:3478" {
		t.Fatalf("ICE servers: %+v", cfg)
	}
	addr, _ := h.Address(ctx)
	if err := h.Send(ctx, addr, json.RawMessage(`"self"`)); err != nil {
		t.Fatal(err)
	}
	if m, err := h.Receive(ctx); err != nil || string(m.Data) != `"self"` {
		t.Fatalf("self-forward: %+v %v", m, err)
	}

	_, metrics := get(t, base+"/metrics")
	for _, want := range []string{"smoke_hub_connections 1", "smoke_hub_messages_forwarded_total 1", "go_goroutines"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q:\n%s", want, metrics)
		}
	}

	// Shutting down closes nodes with 1001 and returns cleanly.
	if err := stop(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for h.Connected() {
		if time.Now().After(deadline) {
			t.Fatal("node still connected after shutdown")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestFlagsFromEnvironment(t *testing.T) {
	t.Setenv("SMOKE_HUB_RATE", "5")
	t.Setenv("SMOKE_HUB_GRACE", "2s")
	c, err := parseFlags([]string{"--grace", "3s"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.limits.Rate != 5 || c.limits.Grace != 3*time.Second {
		t.Fatalf("rate %v grace %v: want 5 from the environment and 3s from the command line", c.limits.Rate, c.limits.Grace)
	}
	t.Setenv("SMOKE_HUB_PORT", "not-a-number")
	if _, err := parseFlags(nil, io.Discard); err == nil || !strings.Contains(err.Error(), "SMOKE_HUB_PORT") {
		t.Fatalf("bad env value: %v", err)
	}
}

func TestBadICEFile(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"garbage": `{{`,
		"no urls": `[{"username":"u"}]`,
	} {
		p := filepath.Join(dir, "ice.json")
		os.WriteFile(p, []byte(body), 0o644)
		if _, err := readICE(p); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	p := filepath.Join(dir, "ok.json")
	os.WriteFile(p, []byte(`[{"urls":["turn:127.0.0.1"],"username":"u","credential":"c"}]`), 0o644)
	if s, err := readICE(p); err != nil || s[0].Credential != "c" {
		t.Fatalf("array form: %+v %v", s, err)
	}
}
