//go:build !js

package hub_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smokenet/smoke/pkg/hub"
	"github.com/smokenet/smoke/pkg/hub/server"
)

// newServer starts a hub server on loopback and returns its ws:// URL.
func newServer(t *testing.T, opts *server.Options) (*server.Server, string) {
	t.Helper()
	s := server.New(opts)
	hs := httptest.NewServer(s)
	t.Cleanup(func() {
		s.Close()
		hs.Close()
	})
	return s, "ws" + strings.TrimPrefix(hs.URL, "http")
}

func newClient(t *testing.T, url string, opts *hub.NetworkHubOptions) *hub.NetworkHub {
	t.Helper()
	if opts == nil {
		opts = &hub.NetworkHubOptions{MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond}
	}
	h := hub.NewNetworkHub(url, opts)
	t.Cleanup(func() { h.Close() })
	return h
}

func mustAddress(t *testing.T, h hub.Hub) string {
	t.Helper()
	a, err := h.Address(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func receive(t *testing.T, h hub.Hub) hub.Message {
	t.Helper()
	m, err := h.Receive(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestNetworkHubBindingAndForward(t *testing.T) {
	ctx := ctxT(t)
	_, url := newServer(t, &server.Options{ICEServers: []hub.ICEServer{{URLs: []string{"turn:127.0.0.1:3478"}, Username: "u", Credential: "c"}}})
	a, b := newClient(t, url, nil), newClient(t, url, nil)
	addrA, addrB := mustAddress(t, a), mustAddress(t, b)
	if addrA == addrB || len(addrA) < 16 {
		t.Fatalf("addresses %q and %q: want distinct, unguessable", addrA, addrB)
	}
	cfg, err := a.Configuration(ctx)
	if err != nil || len(cfg.ICEServers) != 1 || cfg.ICEServers[0].Username != "u" || cfg.ICEServers[0].URLs[0] != "turn:127.0.0.1:3478" {
		t.Fatalf("configuration %+v, %v", cfg, err)
	}

	if err := a.Send(ctx, addrB, json.RawMessage(`{"sdp":"offer"}`)); err != nil {
		t.Fatal(err)
	}
	if m := receive(t, b); m.From != addrA || string(m.Data) != `{"sdp":"offer"}` {
		t.Fatalf("b got %+v", m)
	}
	if err := b.Send(ctx, addrA, json.RawMessage(`"answer"`)); err != nil {
		t.Fatal(err)
	}
	if m := receive(t, a); m.From != addrB || string(m.Data) != `"answer"` {
		t.Fatalf("a got %+v", m)
	}

	// A message to nobody comes back as a delivery failure, addressed from where it was going.
	if err := a.Send(ctx, "nobodyhere000000", json.RawMessage(`1`)); err != nil {
		t.Fatal(err)
	}
	if m := receive(t, a); m.From != "nobodyhere000000" || !errors.Is(m.Err, hub.ErrUnknownAddress) {
		t.Fatalf("undeliverable: got %+v", m)
	}
	if err := a.Send(ctx, addrB, json.RawMessage(`{oops`)); !errors.Is(err, hub.ErrInvalidData) {
		t.Fatalf("bad JSON: %v", err)
	}
	if err := a.Send(ctx, addrB, json.RawMessage(`"`+strings.Repeat("x", 70000)+`"`)); !errors.Is(err, hub.ErrMessageTooLarge) {
		t.Fatalf("oversize: %v", err)
	}
	// The connection survives the refused sends.
	if err := a.Send(ctx, addrB, json.RawMessage(`2`)); err != nil {
		t.Fatal(err)
	}
	if m := receive(t, b); string(m.Data) != "2" {
		t.Fatalf("b got %+v", m)
	}
}

func TestNetworkHubHostnames(t *testing.T) {
	ctx := ctxT(t)
	_, url := newServer(t, nil)
	a, b := newClient(t, url, nil), newClient(t, url, nil)
	addrA := mustAddress(t, a)
	mustAddress(t, b)
	if err := a.Register(ctx, "Printer"); err != nil {
		t.Fatal(err)
	}
	if err := a.Register(ctx, "printer"); err != nil {
		t.Fatalf("re-register: %v", err)
	}
	if err := b.Register(ctx, "printer"); !errors.Is(err, hub.ErrHostnameTaken) {
		t.Fatalf("conflict: %v", err)
	}
	if got, err := b.Lookup(ctx, "PRINTER"); err != nil || got != addrA {
		t.Fatalf("lookup = %q, %v; want %q", got, err, addrA)
	}
	if _, err := b.Lookup(ctx, "scanner"); !errors.Is(err, hub.ErrHostnameNotFound) {
		t.Fatalf("lookup unknown: %v", err)
	}
	if err := b.Register(ctx, "no spaces"); !errors.Is(err, hub.ErrInvalidHostname) {
		t.Fatalf("invalid: %v", err)
	}
	if err := a.Unregister(ctx, "printer"); err != nil {
		t.Fatal(err)
	}
	if err := b.Register(ctx, "printer"); err != nil {
		t.Fatalf("after unregister: %v", err)
	}
	// Close releases at once (no grace): a third node can take the name immediately.
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, url, nil)
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := c.Register(ctx, "printer")
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("name not released after Close: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// dropProxy is a TCP proxy in front of the hub that can cut every connection at once, as a network drop would,
// and refuse new ones for a while.
type dropProxy struct {
	ln     net.Listener
	target string

	mu      sync.Mutex
	conns   []net.Conn
	refuse  bool
	stopped bool
}

func newDropProxy(t *testing.T, target string) *dropProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &dropProxy{ln: ln, target: target}
	go p.serve()
	t.Cleanup(func() {
		p.mu.Lock()
		p.stopped = true
		p.mu.Unlock()
		ln.Close()
		p.drop()
	})
	return p
}

func (p *dropProxy) url() string { return "ws://" + p.ln.Addr().String() }

func (p *dropProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.refuse || p.stopped {
			p.mu.Unlock()
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		go func() { io.Copy(up, c); up.Close() }()
		go func() { io.Copy(c, up); c.Close() }()
	}
}

// drop cuts every proxied connection without a WebSocket close: both ends see an abrupt end of stream.
func (p *dropProxy) drop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *dropProxy) setRefuse(v bool) {
	p.mu.Lock()
	p.refuse = v
	p.mu.Unlock()
}

func TestNetworkHubResumeKeepsAddress(t *testing.T) {
	ctx := ctxT(t)
	srv, url := newServer(t, &server.Options{Grace: 5 * time.Second})
	proxy := newDropProxy(t, strings.TrimPrefix(url, "ws://"))
	a := newClient(t, proxy.url(), nil)
	b := newClient(t, url, nil)
	addrA, addrB := mustAddress(t, a), mustAddress(t, b)
	if err := a.Register(ctx, "kept"); err != nil {
		t.Fatal(err)
	}

	// Cut the network and keep it down for a moment; meanwhile a fails fast and b's messages wait at the hub.
	proxy.setRefuse(true)
	proxy.drop()
	waitFor(t, func() bool { return !a.Connected() })
	start := time.Now()
	if err := a.Send(ctx, addrB, json.RawMessage(`1`)); !errors.Is(err, hub.ErrDisconnected) {
		t.Fatalf("Send while disconnected = %v, want ErrDisconnected", err)
	}
	if _, err := a.Lookup(ctx, "kept"); !errors.Is(err, hub.ErrDisconnected) {
		t.Fatalf("Lookup while disconnected = %v, want ErrDisconnected", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("failing fast took %v", d)
	}
	// The hub holds a's hostname during the grace period: nobody can steal it.
	if err := b.Register(ctx, "kept"); !errors.Is(err, hub.ErrHostnameTaken) {
		t.Fatalf("steal during grace = %v, want ErrHostnameTaken", err)
	}
	// Once the server has seen the drop, a's session waits detached and messages to it are queued.
	waitFor(t, func() bool { return srv.Stats().Connections == 1 })
	if err := b.Send(ctx, addrA, json.RawMessage(`"while away"`)); err != nil {
		t.Fatal(err)
	}

	proxy.setRefuse(false)
	waitFor(t, a.Connected)
	if got := mustAddress(t, a); got != addrA {
		t.Fatalf("address after reconnect = %q, want the same %q", got, addrA)
	}
	if m := receive(t, a); m.From != addrB || string(m.Data) != `"while away"` {
		t.Fatalf("message queued during the drop: got %+v", m)
	}
	if got, err := b.Lookup(ctx, "kept"); err != nil || got != addrA {
		t.Fatalf("hostname after resume = %q, %v", got, err)
	}
	if err := b.Send(ctx, addrA, json.RawMessage(`"after"`)); err != nil {
		t.Fatal(err)
	}
	if m := receive(t, a); string(m.Data) != `"after"` {
		t.Fatalf("got %+v", m)
	}
}

func TestNetworkHubNewAddressAfterGrace(t *testing.T) {
	ctx := ctxT(t)
	_, url := newServer(t, &server.Options{Grace: 100 * time.Millisecond})
	proxy := newDropProxy(t, strings.TrimPrefix(url, "ws://"))
	a := newClient(t, proxy.url(), nil)
	b := newClient(t, url, nil)
	addrA := mustAddress(t, a)
	mustAddress(t, b)
	if err := a.Register(ctx, "comes-back"); err != nil {
		t.Fatal(err)
	}
	proxy.setRefuse(true)
	proxy.drop()
	// Past the grace period the session and its lease are gone…
	waitFor(t, func() bool {
		_, err := b.Lookup(ctx, "comes-back")
		return errors.Is(err, hub.ErrHostnameNotFound)
	})
	proxy.setRefuse(false)
	// …so the node comes back under a new address and claims its hostname again.
	waitFor(t, func() bool {
		got, err := b.Lookup(ctx, "comes-back")
		return err == nil && got != addrA
	})
	newAddr := mustAddress(t, a)
	if got, _ := b.Lookup(ctx, "comes-back"); got != newAddr {
		t.Fatalf("hostname points at %q, node is %q", got, newAddr)
	}
}

func TestNetworkHubToken(t *testing.T) {
	_, url := newServer(t, &server.Options{Token: "s3cret"})
	good := newClient(t, url, &hub.NetworkHubOptions{Token: "s3cret"})
	mustAddress(t, good)

	bad := newClient(t, url, &hub.NetworkHubOptions{Token: "guess", MinBackoff: 10 * time.Millisecond})
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	_, err := bad.Address(ctx)
	if err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("wrong token: Address = %v, want an error that mentions the 403", err)
	}
}

func TestNetworkHubClose(t *testing.T) {
	ctx := ctxT(t)
	_, url := newServer(t, nil)
	a := newClient(t, url, nil)
	mustAddress(t, a)
	got := make(chan error, 1)
	go func() {
		_, err := a.Receive(ctx)
		got <- err
	}()
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-got; !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Receive after Close = %v", err)
	}
	if err := a.Send(ctx, "x", json.RawMessage(`1`)); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Send after Close = %v", err)
	}
	if _, err := a.Address(ctx); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Address after Close = %v", err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestNetworkHubBadURL: a URL the hub cannot connect to fails at once, from every call, instead of after retries.
func TestNetworkHubBadURL(t *testing.T) {
	for _, u := range []string{"localhost:5600", "ftp://hub.example/", "ws:///nohost", "ws://[::1"} {
		h := hub.NewNetworkHub(u, nil)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := h.Address(ctx)
		cancel()
		if !errors.Is(err, hub.ErrInvalidURL) {
			t.Errorf("%q: Address returned %v, want ErrInvalidURL at once", u, err)
		}
		if err := h.Register(context.Background(), "x"); !errors.Is(err, hub.ErrInvalidURL) {
			t.Errorf("%q: Register returned %v", u, err)
		}
		if err := h.Close(); err != nil {
			t.Errorf("%q: Close: %v", u, err)
		}
	}
}
