package rest_test

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smokenet/smoke/pkg/hub"
	"github.com/smokenet/smoke/pkg/node"
	"github.com/smokenet/smoke/pkg/rest"
)

func testCtx(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// pair is two nodes on a fresh page hub: a client and a server, and the server's address.
type pair struct {
	client, server *node.Node
	addr           string
	hub            *hub.PageHub
}

func newPair(t testing.TB) *pair {
	t.Helper()
	ph := hub.NewPageHub(nil)
	p := &pair{hub: ph}
	p.client = node.New(&node.Options{Hub: ph.Join(), WebRTC: testWebRTC()})
	p.server = node.New(&node.Options{Hub: ph.Join(), WebRTC: testWebRTC()})
	t.Cleanup(func() { p.client.Close(); p.server.Close() })
	a, err := p.server.Address(testCtx(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	p.addr = a
	return p
}

// serve serves h on port of the server node until the test ends.
func (p *pair) serve(t testing.TB, port int, h http.Handler, configure ...func(*rest.Server)) *rest.Server {
	t.Helper()
	l, err := p.server.Listen(port)
	if err != nil {
		t.Fatal(err)
	}
	s := &rest.Server{Handler: h, Logger: testLogger(t)}
	for _, f := range configure {
		f(s)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	t.Cleanup(func() {
		s.Close()
		if err := <-done; err != rest.ErrServerClosed {
			t.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
	})
	return s
}

func (p *pair) url(port int, path string) string {
	return "rest://" + p.addr + ":" + itoa(port) + path
}

func (p *pair) httpClient(t testing.TB) (*http.Client, *rest.Transport) {
	tr := &rest.Transport{Node: p.client}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}, tr
}

func itoa(n int) string { return strconv.Itoa(n) }

// testLogger sends the server's log to the test's, until the test ends.
func testLogger(t testing.TB) *slog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(func() { w.done.Store(true) })
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type testWriter struct {
	t    testing.TB
	done atomic.Bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	if !w.done.Load() {
		w.t.Log(strings.TrimSpace(string(p)))
	}
	return len(p), nil
}
