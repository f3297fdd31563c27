package hub_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/smokenet/smoke/pkg/hub"
)

func ctxT(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestPageHubAddresses(t *testing.T) {
	ctx := ctxT(t)
	ph := hub.NewPageHub(nil)
	want := []string{"0.0.0.1", "0.0.0.2", "0.0.0.3"}
	for i, w := range want {
		got, err := ph.Join().Address(ctx)
		if err != nil || got != w {
			t.Fatalf("node %d: address %q, %v; want %q", i, got, err, w)
		}
	}
	// Past 255 the count carries into the next byte, as IPv4 would.
	var last string
	for range 256 {
		last, _ = ph.Join().Address(ctx)
	}
	if last != "0.0.1.3" {
		t.Fatalf("address 259 = %q, want 0.0.1.3", last)
	}
	// A second hub counts from the start: addresses belong to a hub, not the process.
	if got, _ := hub.NewPageHub(nil).Join().Address(ctx); got != "0.0.0.1" {
		t.Fatalf("fresh hub's first address = %q", got)
	}
}

func TestPageHubForward(t *testing.T) {
	ctx := ctxT(t)
	ph := hub.NewPageHub(&hub.PageHubOptions{ICEServers: []hub.ICEServer{{URLs: []string{"stun:127.0.0.1:3478"}}}})
	a, b := ph.Join(), ph.Join()
	if err := a.Send(ctx, "0.0.0.2", json.RawMessage(`{"sdp":"x"}`)); err != nil {
		t.Fatal(err)
	}
	m, err := b.Receive(ctx)
	if err != nil || m.From != "0.0.0.1" || string(m.Data) != `{"sdp":"x"}` || m.Err != nil {
		t.Fatalf("got %+v, %v", m, err)
	}
	if err := b.Send(ctx, "0.0.0.1", json.RawMessage(`[1,2]`)); err != nil {
		t.Fatal(err)
	}
	if m, err := a.Receive(ctx); err != nil || m.From != "0.0.0.2" || string(m.Data) != `[1,2]` {
		t.Fatalf("got %+v, %v", m, err)
	}
	cfg, err := b.Configuration(ctx)
	if err != nil || len(cfg.ICEServers) != 1 || cfg.ICEServers[0].URLs[0] != "stun:127.0.0.1:3478" {
		t.Fatalf("configuration %+v, %v", cfg, err)
	}

	for _, tc := range []struct {
		name string
		to   string
		data string
		want error
	}{
		{"unknown address", "0.0.0.9", `1`, hub.ErrUnknownAddress},
		{"not json", "0.0.0.2", `{"a":`, hub.ErrInvalidData},
		{"empty", "0.0.0.2", ``, hub.ErrInvalidData},
		{"too large", "0.0.0.2", `"` + string(make([]byte, 70000)) + `"`, hub.ErrMessageTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := a.Send(ctx, tc.to, json.RawMessage(tc.data)); !errors.Is(err, tc.want) {
				t.Fatalf("Send = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestPageHubBusyRecipient(t *testing.T) {
	ctx := ctxT(t)
	ph := hub.NewPageHub(&hub.PageHubOptions{QueueSize: 4})
	a, _ := ph.Join(), ph.Join()
	for i := range 4 {
		if err := a.Send(ctx, "0.0.0.2", json.RawMessage(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Send(ctx, "0.0.0.2", json.RawMessage(`5`)); !errors.Is(err, hub.ErrRecipientBusy) {
		t.Fatalf("fifth Send = %v, want ErrRecipientBusy", err)
	}
}

func TestPageHubHostnames(t *testing.T) {
	ctx := ctxT(t)
	ph := hub.NewPageHub(nil)
	a, b := ph.Join(), ph.Join()
	if err := a.Register(ctx, "DB.Example"); err != nil {
		t.Fatal(err)
	}
	if err := a.Register(ctx, "db.example"); err != nil {
		t.Fatalf("re-register by holder: %v", err)
	}
	if err := b.Register(ctx, "db.example"); !errors.Is(err, hub.ErrHostnameTaken) {
		t.Fatalf("register by other node = %v, want ErrHostnameTaken", err)
	}
	if addr, err := b.Lookup(ctx, "DB.EXAMPLE"); err != nil || addr != "0.0.0.1" {
		t.Fatalf("lookup = %q, %v", addr, err)
	}
	if _, err := b.Lookup(ctx, "nobody"); !errors.Is(err, hub.ErrHostnameNotFound) {
		t.Fatalf("lookup of unknown = %v", err)
	}
	if err := b.Register(ctx, "bad name!"); !errors.Is(err, hub.ErrInvalidHostname) {
		t.Fatalf("invalid name = %v", err)
	}
	if err := b.Unregister(ctx, "db.example"); !errors.Is(err, hub.ErrHostnameNotFound) {
		t.Fatalf("unregister by non-holder = %v", err)
	}
	for i := range 16 {
		if err := b.Register(ctx, fmt.Sprintf("n%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Register(ctx, "n16"); !errors.Is(err, hub.ErrTooManyHostnames) {
		t.Fatalf("17th name = %v", err)
	}
	// Leaving the hub releases the names, and the address stops receiving.
	a.Close()
	if err := b.Send(ctx, "0.0.0.1", json.RawMessage(`1`)); !errors.Is(err, hub.ErrUnknownAddress) {
		t.Fatalf("send to closed node = %v", err)
	}
	c := ph.Join()
	if err := c.Register(ctx, "db.example"); err != nil {
		t.Fatalf("name not released on close: %v", err)
	}
}

func TestPageHubClose(t *testing.T) {
	ctx := ctxT(t)
	a := hub.NewPageHub(nil).Join()
	got := make(chan error, 1)
	go func() {
		_, err := a.Receive(ctx)
		got <- err
	}()
	time.Sleep(10 * time.Millisecond)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
	if err := <-got; !errors.Is(err, net.ErrClosed) {
		t.Fatalf("blocked Receive = %v, want net.ErrClosed", err)
	}
	for name, err := range map[string]error{
		"Address":  func() error { _, err := a.Address(ctx); return err }(),
		"Send":     a.Send(ctx, "0.0.0.1", json.RawMessage(`1`)),
		"Register": a.Register(ctx, "x"),
		"Lookup":   func() error { _, err := a.Lookup(ctx, "x"); return err }(),
	} {
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("%s after Close = %v, want net.ErrClosed", name, err)
		}
	}
}
