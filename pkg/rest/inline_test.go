package rest_test

import (
	"io"
	"net/http"
	"runtime"
	"testing"
	"time"
)

// TestSlowAndFastHandlers: a handler that answers at once runs on the socket's reader goroutine; one that takes a
// while gets a new reader goroutine so the client's close still reaches it. Alternating the two on one socket
// (slow, then fast on the new reader, then slow again there) works, reuses the socket, and leaves no goroutine
// behind; a handler that calls runtime.Goexit (as t.FailNow would) does not wedge the socket.
func TestSlowAndFastHandlers(t *testing.T) {
	p := newPair(t)
	mux := http.NewServeMux()
	mux.HandleFunc("/fast", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "fast") })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(20 * time.Millisecond) // well past the point where another goroutine starts reading
		io.WriteString(w, "slow")
	})
	mux.HandleFunc("/goexit", func(w http.ResponseWriter, r *http.Request) { runtime.Goexit() })
	p.serve(t, 80, mux)
	c, _ := p.httpClient(t)
	get := func(path string) (string, error) {
		req, _ := http.NewRequestWithContext(testCtx(t, 20*time.Second), "GET", p.url(80, path), nil)
		resp, err := c.Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	if got, err := get("/fast"); err != nil || got != "fast" {
		t.Fatalf("first request: %q, %v", got, err)
	}
	before := runtime.NumGoroutine()
	for i, path := range []string{"/slow", "/fast", "/fast", "/slow", "/slow", "/fast"} {
		if got, err := get(path); err != nil || got != path[1:] {
			t.Fatalf("request %d, %s: %q, %v", i, path, got, err)
		}
	}
	if n := p.client.Stats().SocketsOpened; n != 1 {
		t.Errorf("%d sockets opened, want 1", n)
	}
	// The handler goroutines that gave up reading have ended.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before+2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before+2 {
		t.Errorf("%d goroutines, %d before", n, before)
	}

	// Goexit: the response completes as if the handler had returned, and the socket serves on.
	for _, path := range []string{"/goexit", "/fast", "/slow", "/goexit", "/fast"} {
		want := path[1:]
		if path == "/goexit" {
			want = ""
		}
		if got, err := get(path); err != nil || got != want {
			t.Fatalf("%s: %q, %v", path, got, err)
		}
	}
	if n := p.client.Stats().SocketsOpened; n != 1 {
		t.Errorf("%d sockets opened, want 1", n)
	}
}
