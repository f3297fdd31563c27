package rest_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"
)

// TestCancelReachesHandler: cancelling the request's context, closing the response body early, and closing the
// client's node each cancel the handler's context; the client's pool does not reuse those sockets.
func TestCancelReachesHandler(t *testing.T) {
	p := newPair(t)
	entered := make(chan struct{}, 1)
	cancelled := make(chan error, 1)
	p.serve(t, 80, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ok" {
			io.WriteString(w, "ok")
			return
		}
		if r.URL.Path == "/streaming" {
			w.Write([]byte("head"))
			w.(http.Flusher).Flush()
		}
		entered <- struct{}{}
		select {
		case <-r.Context().Done():
			cancelled <- context.Cause(r.Context())
		case <-time.After(time.Minute):
			cancelled <- errors.New("handler context never cancelled")
		}
	}))
	c, _ := p.httpClient(t)
	waitCancelled := func(what string) {
		t.Helper()
		if err := <-cancelled; err == nil || err.Error() == "handler context never cancelled" {
			t.Fatalf("%s: %v", what, err)
		} else {
			t.Logf("%s: handler saw %v", what, err)
		}
	}
	get := func(path string) {
		resp, err := c.Get(p.url(80, path))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != "ok" {
			t.Fatalf("%s: %q", path, b)
		}
	}
	get("/ok") // a socket in the pool, to be reused below

	// Cancel while waiting for the head.
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, "GET", p.url(80, "/wait"), nil)
		_, err := c.Do(req)
		errc <- err
	}()
	<-entered
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled request: %v", err)
	}
	waitCancelled("context cancelled before the head")
	get("/ok")

	// Cancel while reading the body.
	ctx, cancel = context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", p.url(80, "/streaming"), nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	<-entered
	cancel()
	if _, err := io.ReadAll(resp.Body); !errors.Is(err, context.Canceled) {
		t.Fatalf("body read after cancel: %v", err)
	}
	resp.Body.Close()
	waitCancelled("context cancelled during the body")

	// Close the body before its end.
	resp, err = c.Get(p.url(80, "/streaming"))
	if err != nil {
		t.Fatal(err)
	}
	<-entered
	resp.Body.Close()
	waitCancelled("body closed early")
	get("/ok")

	// The client node goes away.
	go func() {
		resp, err := c.Get(p.url(80, "/wait"))
		if err == nil {
			resp.Body.Close()
		}
	}()
	<-entered
	p.client.Close()
	waitCancelled("client node closed")
}
