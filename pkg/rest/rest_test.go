package rest_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smokenet/smoke/pkg/rest"
)

// TestServeMux serves a stdlib ServeMux over a node and calls it with http.Client.
func TestServeMux(t *testing.T) {
	p := newPair(t)
	clientAddr, err := p.client.Address(testCtx(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello/{name}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Remote", r.RemoteAddr)
		w.Header().Set("X-Host", r.Host)
		w.Header().Add("X-Multi", "a")
		w.Header().Add("X-Multi", "b")
		fmt.Fprintf(w, "hello %s q=%s h=%s", r.PathValue("name"), r.URL.Query().Get("q"), r.Header.Get("X-Test"))
	})
	mux.HandleFunc("POST /echo", func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("X-Length", fmt.Sprint(r.ContentLength))
		w.WriteHeader(http.StatusCreated)
		w.Write(b)
	})
	mux.HandleFunc("/nothing", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	p.serve(t, 80, mux)
	c, _ := p.httpClient(t)

	req, _ := http.NewRequestWithContext(testCtx(t, 30*time.Second), "GET", "rest://"+p.addr+"/hello/smoke?q=1", nil)
	req.Header.Set("X-Test", "yes")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Status != "200 OK" || string(body) != "hello smoke q=1 h=yes" {
		t.Fatalf("GET: %s %q", resp.Status, body)
	}
	if got := resp.Header.Get("X-Remote"); got != clientAddr {
		t.Errorf("r.RemoteAddr = %q, want the client's address %q", got, clientAddr)
	}
	if got := resp.Header.Get("X-Host"); got != p.addr {
		t.Errorf("r.Host = %q, want %q", got, p.addr)
	}
	if got := resp.Header.Values("X-Multi"); len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Errorf("X-Multi = %q", got)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("sniffed Content-Type = %q", ct)
	}
	if resp.ContentLength != int64(len(body)) || resp.Request != req {
		t.Errorf("ContentLength %d, Request %p (want %d, %p)", resp.ContentLength, resp.Request, len(body), req)
	}
	if rest.BodyKind(resp) != rest.KindBytes {
		t.Errorf("BodyKind = %v", rest.BodyKind(resp))
	}

	resp, err = c.Post(p.url(80, "/echo"), "text/plain", strings.NewReader("posted"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 201 || string(body) != "posted" || resp.Header.Get("X-Length") != "6" {
		t.Fatalf("POST: %s %q %v", resp.Status, body, resp.Header)
	}

	resp, err = c.Get(p.url(80, "/nothing"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 {
		t.Fatalf("204: %s", resp.Status)
	}
	resp, err = c.Get(p.url(80, "/missing"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("404: %s", resp.Status)
	}

	if _, err := c.Get("http://" + p.addr + "/"); !errors.Is(err, rest.ErrUnsupportedScheme) {
		t.Fatalf("http scheme: %v", err)
	}
}

// TestStreamingBothWays streams a request body from a pipe and the response back, each chunk echoed and read before
// the next is written: neither side waits for the whole body.
func TestStreamingBothWays(t *testing.T) {
	p := newPair(t)
	p.serve(t, 80, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength != -1 {
			t.Errorf("streamed request has ContentLength %d", r.ContentLength)
		}
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		buf := make([]byte, 1024)
		for {
			n, err := r.Body.Read(buf)
			if n > 0 {
				w.Write(bytes.ToUpper(buf[:n]))
				w.(http.Flusher).Flush()
			}
			if err != nil {
				return
			}
		}
	}))
	c, _ := p.httpClient(t)
	pr, pw := io.Pipe()
	ctx := testCtx(t, 60*time.Second)
	req, _ := http.NewRequestWithContext(ctx, "POST", p.url(80, "/"), pr)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.ContentLength != -1 {
		t.Errorf("streamed response has ContentLength %d", resp.ContentLength)
	}
	for i := range 20 {
		msg := fmt.Sprintf("chunk %d;", i)
		if _, err := pw.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, len(msg))
		if _, err := io.ReadFull(resp.Body, got); err != nil {
			t.Fatalf("chunk %d: %v", i, err)
		}
		if string(got) != strings.ToUpper(msg) {
			t.Fatalf("chunk %d: got %q", i, got)
		}
	}
	pw.Close()
	if rest, err := io.ReadAll(resp.Body); err != nil || len(rest) != 0 {
		t.Fatalf("after the end: %q %v", rest, err)
	}
}

// TestLargeBodies sends and receives bodies of several MiB, byte for byte, over one socket.
func TestLargeBodies(t *testing.T) {
	p := newPair(t)
	p.serve(t, 80, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		n, err := io.Copy(h, r.Body)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("X-Sum", fmt.Sprintf("%x", h.Sum(nil)))
		w.Header().Set("X-Len", fmt.Sprint(n))
		// The response is the request's sum, repeated into 3 MiB + 5 bytes.
		block := bytes.Repeat(h.Sum(nil), 1024)
		for written := 0; written < 3<<20; written += len(block) {
			w.Write(block)
		}
		w.Write([]byte("tail!"))
	}))
	c, tr := p.httpClient(t)
	for _, size := range []int{0, 100, 64 << 10, 64<<10 + 1, 5 << 20} {
		body := make([]byte, size)
		rand.Read(body)
		sum := sha256.Sum256(body)
		req, _ := http.NewRequestWithContext(testCtx(t, 2*time.Minute), "PUT", p.url(80, "/"), bytes.NewReader(body))
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if resp.Header.Get("X-Sum") != fmt.Sprintf("%x", sum) || resp.Header.Get("X-Len") != fmt.Sprint(size) {
			t.Fatalf("size %d: server saw %s bytes", size, resp.Header.Get("X-Len"))
		}
		want := append(bytes.Repeat(bytes.Repeat(sum[:], 1024), 3<<20/(32*1024)), "tail!"...)
		if !bytes.Equal(got, want) {
			t.Fatalf("size %d: response of %d bytes differs (want %d)", size, len(got), len(want))
		}
	}
	if st := p.client.Stats(); st.SocketsOpened != 1 {
		t.Errorf("%d sockets for sequential requests, want 1", st.SocketsOpened)
	}
	_ = tr
}

// TestFlushBeforeHandlerEnds reads a flushed part of the response while the handler is still running.
func TestFlushBeforeHandlerEnds(t *testing.T) {
	p := newPair(t)
	release := make(chan struct{})
	p.serve(t, 80, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("first"))
		w.(http.Flusher).Flush()
		<-release
		w.Write([]byte(" second"))
	}))
	c, _ := p.httpClient(t)
	resp, err := c.Get(p.url(80, "/"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got := make([]byte, 5)
	if _, err := io.ReadFull(resp.Body, got); err != nil || string(got) != "first" {
		t.Fatalf("before the handler ended: %q %v", got, err)
	}
	close(release)
	rest, err := io.ReadAll(resp.Body)
	if err != nil || string(rest) != " second" {
		t.Fatalf("after: %q %v", rest, err)
	}
}

// TestHEAD: a response to HEAD carries no body but keeps its Content-Length.
func TestHEAD(t *testing.T) {
	p := newPair(t)
	p.serve(t, 80, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "11")
		io.WriteString(w, "hello world")
	}))
	c, _ := p.httpClient(t)
	resp, err := c.Head(p.url(80, "/"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || len(b) != 0 || resp.ContentLength != 11 {
		t.Fatalf("HEAD: body %q, ContentLength %d, %v", b, resp.ContentLength, err)
	}
	// The socket is reusable after it.
	resp, err = c.Get(p.url(80, "/"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "hello world" {
		t.Fatalf("GET after HEAD: %q", b)
	}
}

// TestHostname reaches a server by a hostname registered on the hub.
func TestHostname(t *testing.T) {
	p := newPair(t)
	if err := p.server.Hub().Register(testCtx(t, 10*time.Second), "api"); err != nil {
		t.Fatal(err)
	}
	p.serve(t, 8080, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "host="+r.Host) }))
	resp, err := rest.NewClient(p.client).Get("rest://api:8080/x")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "host=api:8080" {
		t.Fatalf("got %q", b)
	}
}

// TestLocalhost: an empty host, or "localhost", is the client's own node, on the default port.
func TestLocalhost(t *testing.T) {
	p := newPair(t)
	srv, err := rest.StartServer(p.client, 0, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.URL.Path)
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c := rest.NewClient(p.client)
	for _, u := range []string{"rest:///empty", "rest://localhost/local", "rest://localhost:80/port"} {
		resp, err := c.Get(u)
		if err != nil {
			t.Fatal(u, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want := u[strings.LastIndex(u, "/"):]; string(b) != want {
			t.Fatalf("%s: got %q", u, b)
		}
	}
	if st := p.client.Stats(); st.PeerConnectionsCreated != 0 {
		t.Errorf("localhost made %d peer connections", st.PeerConnectionsCreated)
	}
}

// TestSequential: 10,000 requests one after another use one socket and one peer connection.
func TestSequential(t *testing.T) {
	p := newPair(t)
	p.serve(t, 80, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.URL.RawQuery) }))
	c, _ := p.httpClient(t)
	ctx := testCtx(t, 5*time.Minute)
	n := 10000
	if testing.Short() {
		n = 1000
	}
	for i := range n {
		req, _ := http.NewRequestWithContext(ctx, "GET", p.url(80, "/?"+itoa(i)), nil)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || string(b) != itoa(i) {
			t.Fatalf("request %d: %q %v", i, b, err)
		}
	}
	st := p.client.Stats()
	t.Logf("%d requests: %d sockets opened, %d peer connections", n, st.SocketsOpened, st.PeerConnectionsCreated)
	if st.SocketsOpened > 3 || st.PeerConnectionsCreated != 1 {
		t.Fatalf("%d sequential requests opened %d sockets and %d peer connections", n, st.SocketsOpened, st.PeerConnectionsCreated)
	}
}

// TestConcurrent: 64 clients at once share at most MaxConnsPerHost sockets, and more wait for one.
func TestConcurrent(t *testing.T) {
	p := newPair(t)
	p.serve(t, 80, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Write(b)
	}))
	for _, max := range []int{0, 8} {
		tr := &rest.Transport{Node: p.client, MaxConnsPerHost: max}
		c := &http.Client{Transport: tr}
		before := p.client.Stats().SocketsOpened
		ctx := testCtx(t, 3*time.Minute)
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for g := range 64 {
			wg.Go(func() {
				for i := range 10 {
					want := fmt.Sprintf("%d/%d", g, i)
					req, _ := http.NewRequestWithContext(ctx, "POST", p.url(80, "/"), strings.NewReader(want))
					resp, err := c.Do(req)
					if err != nil {
						errs <- err
						return
					}
					b, err := io.ReadAll(resp.Body)
					resp.Body.Close()
					if err != nil || string(b) != want {
						errs <- fmt.Errorf("%s: got %q, %v", want, b, err)
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		opened := p.client.Stats().SocketsOpened - before
		limit := max
		if limit == 0 {
			limit = 64
		}
		t.Logf("MaxConnsPerHost %d: %d sockets for 640 requests from 64 goroutines", max, opened)
		if opened > int64(limit) || opened < 1 {
			t.Errorf("MaxConnsPerHost %d: %d sockets opened", max, opened)
		}
		tr.CloseIdleConnections()
	}
	if pcs := p.client.Stats().PeerConnectionsCreated; pcs != 1 {
		t.Errorf("%d peer connections", pcs)
	}
}

// TestHandlerPanic: a panic before the head is a 500; after it, the response is cut off. The server serves on.
func TestHandlerPanic(t *testing.T) {
	p := newPair(t)
	mux := http.NewServeMux()
	mux.HandleFunc("/early", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Lost", "1")
		w.Write([]byte("partial"))
		panic("early")
	})
	mux.HandleFunc("/late", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("partial"))
		w.(http.Flusher).Flush()
		panic("late")
	})
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	p.serve(t, 80, mux)
	c, _ := p.httpClient(t)

	resp, err := c.Get(p.url(80, "/early"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 500 || strings.Contains(string(b), "partial") || resp.Header.Get("X-Lost") != "" {
		t.Fatalf("early panic: %s %q %v", resp.Status, b, resp.Header)
	}

	resp, err = c.Get(p.url(80, "/late"))
	if err != nil {
		t.Fatal(err)
	}
	b, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || err == nil {
		t.Fatalf("late panic: %s %q, read error %v (want an error)", resp.Status, b, err)
	}

	resp, err = c.Get(p.url(80, "/ok"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "ok" {
		t.Fatalf("after panics: %q", b)
	}
}

// TestBodyLimit: a request body over MaxBodyBytes gets 413, whether declared or streamed.
func TestBodyLimit(t *testing.T) {
	p := newPair(t)
	p.serve(t, 80, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return // the server answers 413
		}
		fmt.Fprint(w, len(b))
	}), func(s *rest.Server) { s.MaxBodyBytes = 1000 })
	c, _ := p.httpClient(t)
	post := func(body io.Reader) (int, string) {
		t.Helper()
		req, _ := http.NewRequestWithContext(testCtx(t, 30*time.Second), "POST", p.url(80, "/"), body)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(b)
	}
	if code, b := post(strings.NewReader(strings.Repeat("x", 1000))); code != 200 || b != "1000" {
		t.Fatalf("at the limit: %d %q", code, b)
	}
	if code, _ := post(strings.NewReader(strings.Repeat("x", 1001))); code != 413 {
		t.Fatalf("inline over the limit: %d", code)
	}
	if code, _ := post(bytes.NewReader(make([]byte, 200<<10))); code != 413 {
		t.Fatalf("declared over the limit: %d", code)
	}
	if code, _ := post(io.MultiReader(strings.NewReader(strings.Repeat("y", 600)), strings.NewReader(strings.Repeat("y", 600)))); code != 413 {
		t.Fatalf("streamed over the limit: %d", code)
	}
	if code, b := post(strings.NewReader("fine")); code != 200 || b != "4" {
		t.Fatalf("after: %d %q", code, b)
	}
}

// TestKindMedia: the media body kind travels in the head, and can be set only before the head is sent.
func TestKindMedia(t *testing.T) {
	p := newPair(t)
	p.serve(t, 80, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := rest.SetBodyKind(w, rest.KindMedia); err != nil {
			t.Error(err)
		}
		w.Write([]byte("frames"))
		switch r.URL.Path {
		case "/reset":
			if err := rest.SetBodyKind(w, rest.KindBytes); err != nil {
				t.Error(err)
			}
		case "/flushed":
			w.(http.Flusher).Flush()
			if err := rest.SetBodyKind(w, rest.KindBytes); !errors.Is(err, rest.ErrBodyKind) {
				t.Errorf("SetBodyKind after the head: %v", err)
			}
		}
	}))
	c, _ := p.httpClient(t)
	for path, want := range map[string]rest.Kind{"/": rest.KindMedia, "/flushed": rest.KindMedia, "/reset": rest.KindBytes} {
		resp, err := c.Get(p.url(80, path))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != "frames" || rest.BodyKind(resp) != want {
			t.Fatalf("%s: %q kind %v, want %v", path, b, rest.BodyKind(resp), want)
		}
	}
}

// TestShutdown waits for the request in flight, then Serve returns ErrServerClosed.
func TestShutdown(t *testing.T) {
	p := newPair(t)
	l, err := p.server.Listen(80)
	if err != nil {
		t.Fatal(err)
	}
	started, release := make(chan struct{}), make(chan struct{})
	s := &rest.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		io.WriteString(w, "done")
	})}
	served := make(chan error, 1)
	go func() { served <- s.Serve(l) }()
	c, _ := p.httpClient(t)
	got := make(chan string, 1)
	go func() {
		resp, err := c.Get(p.url(80, "/"))
		if err != nil {
			got <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got <- string(b)
	}()
	<-started
	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(testCtx(t, time.Minute)) }()
	if err := <-served; err != rest.ErrServerClosed {
		t.Fatalf("Serve: %v", err)
	}
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v with a request in flight", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if b := <-got; b != "done" {
		t.Fatalf("request in flight: %q", b)
	}
	if err := <-shut; err != nil {
		t.Fatal(err)
	}
	if _, err := p.client.Dial(testCtx(t, 10*time.Second), p.addr, 80); err == nil {
		t.Fatal("the port still listens after Shutdown")
	}
}

// TestServerIdleTimeout: the server closes an idle socket, and the client's next request still works on a new one.
func TestServerIdleTimeout(t *testing.T) {
	p := newPair(t)
	p.serve(t, 80, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }),
		func(s *rest.Server) { s.IdleTimeout = 50 * time.Millisecond })
	c, _ := p.httpClient(t)
	for i := range 3 {
		resp, err := c.Get(p.url(80, "/"))
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != "ok" {
			t.Fatalf("request %d: %q", i, b)
		}
		time.Sleep(300 * time.Millisecond)
	}
	if n := p.client.Stats().SocketsOpened; n < 2 {
		t.Errorf("%d sockets: the server's idle timeout closed none", n)
	}
}

var _ = context.Background
