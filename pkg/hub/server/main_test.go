//go:build !js

package server

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/smokenet/smoke/pkg/hub/internal/wire"
)

// TestMain fails the package if goroutines outlive the tests: every Server is closed in a cleanup, and Close
// waits for the goroutines it started.
func TestMain(m *testing.M) {
	before := runtime.NumGoroutine()
	code := m.Run()
	// The fuzzing engine leaves a signal goroutine behind: check for leaks only in ordinary runs.
	if fuzz := flag.Lookup("test.fuzz"); code == 0 && (fuzz == nil || fuzz.Value.String() == "") {
		if err := settleGoroutines(before, 5*time.Second); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

func settleGoroutines(want int, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		http.DefaultTransport.(*http.Transport).CloseIdleConnections()
		n := runtime.NumGoroutine()
		if n <= want {
			return nil
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			return fmt.Errorf("goroutine leak: %d goroutines, want at most %d\n%s", n, want, buf)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// testNoPoller makes the test servers serve every connection in blocking mode, as on systems without epoll.
var testNoPoller bool

// testTimeout bounds every wait in these tests; nothing should come near it.
const testTimeout = 5 * time.Second

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

type testServer struct {
	*Server
	url  string // ws://127.0.0.1:port/
	addr string // 127.0.0.1:port
}

// newTestServer starts a Server on loopback. Unless the test sets them, keepalive is off (a test client only
// answers pings while it reads) and Grace is short.
func newTestServer(t testing.TB, opts *Options) *testServer {
	t.Helper()
	s := newQuietServer(opts)
	s.noPoller = testNoPoller
	hs := httptest.NewServer(s) // listens on 127.0.0.1
	t.Cleanup(func() {
		hs.Close() // first: new requests are refused at the listener (hijacked connections are not tracked by it)
		s.Close()
	})
	return &testServer{Server: s, url: "ws" + strings.TrimPrefix(hs.URL, "http") + "/", addr: hs.Listener.Addr().String()}
}

// newServedTestServer is newTestServer with the server's own Serve (and its connection limits) instead of
// httptest's http.Server. extra, if not nil, handles the requests that are not WebSocket upgrades.
func newServedTestServer(t testing.TB, opts *Options, extra http.Handler) *testServer {
	t.Helper()
	s := newQuietServer(opts)
	s.noPoller = testNoPoller
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = s
	if extra != nil {
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
				s.ServeHTTP(w, r)
				return
			}
			extra.ServeHTTP(w, r)
		})
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln, h) }()
	t.Cleanup(func() {
		s.Close()
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve returned %v", err)
		}
	})
	addr := ln.Addr().String()
	return &testServer{Server: s, url: "ws://" + addr + "/", addr: addr}
}

// newQuietServer makes a Server for tests: unless the test sets them, keepalive is off (a test client only answers
// pings while it reads), Grace is short, and the close handshake waits less.
func newQuietServer(opts *Options) *Server {
	if opts == nil {
		opts = &Options{}
	}
	if opts.KeepAlive == 0 {
		opts.KeepAlive = -1
	}
	if opts.Grace == 0 {
		opts.Grace = 200 * time.Millisecond
	}
	s := New(opts)
	s.closeWait = 300 * time.Millisecond
	return s
}

// client is a raw hub client: a coder/websocket connection speaking the JSON protocol by hand, so the server is
// tested independently of pkg/hub's NetworkHub.
type client struct {
	t       testing.TB
	ws      *websocket.Conn
	binding wire.Message
}

func (ts *testServer) dial(t testing.TB, query string) *client {
	t.Helper()
	c, err := ts.tryDial(t, query, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (ts *testServer) tryDial(t testing.TB, query string, header http.Header) (*client, error) {
	t.Helper()
	return ts.tryDialFrom(t, "", query, header)
}

// tryDialFrom dials from source address ip, one of loopback's 127.0.0.0/8 ("": the default), so that tests can
// play several client addresses.
func (ts *testServer) tryDialFrom(t testing.TB, ip, query string, header http.Header) (*client, error) {
	t.Helper()
	opts := &websocket.DialOptions{HTTPHeader: header}
	if ip != "" {
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
		tr := &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}
		opts.HTTPClient = &http.Client{Transport: tr}
	}
	ws, resp, err := websocket.Dial(ctxT(t), ts.url+query, opts)
	if err != nil {
		if resp != nil {
			return nil, &httpError{code: resp.StatusCode, err: err}
		}
		return nil, err
	}
	ws.SetReadLimit(1 << 20)
	c := &client{t: t, ws: ws}
	t.Cleanup(func() { ws.CloseNow() })
	c.binding = c.read()
	if c.binding.Type != wire.TypeBinding {
		t.Fatalf("first message is %q, want binding", c.binding.Type)
	}
	return c, nil
}

type httpError struct {
	code int
	err  error
}

func (e *httpError) Error() string { return fmt.Sprintf("HTTP %d: %v", e.code, e.err) }

func statusOf(err error) int {
	var he *httpError
	if errors.As(err, &he) {
		return he.code
	}
	return 0
}

func (c *client) addr() string { return c.binding.Address }

func (c *client) send(msg string) {
	c.t.Helper()
	if err := c.ws.Write(ctxT(c.t), websocket.MessageText, []byte(msg)); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

func (c *client) sendf(format string, args ...any) {
	c.t.Helper()
	c.send(fmt.Sprintf(format, args...))
}

func (c *client) read() wire.Message {
	c.t.Helper()
	typ, b, err := c.ws.Read(ctxT(c.t))
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	if typ != websocket.MessageText {
		c.t.Fatalf("read a %v message", typ)
	}
	m, err := wire.Decode(b, wire.FromServer)
	if err != nil {
		c.t.Fatalf("server sent %s: %v", b, err)
	}
	return m
}

// expectClose reads until the connection ends and checks the close code the server sent.
func (c *client) expectClose(code websocket.StatusCode) websocket.CloseError {
	c.t.Helper()
	for {
		_, _, err := c.ws.Read(ctxT(c.t))
		if err == nil {
			continue
		}
		var ce websocket.CloseError
		if !errors.As(err, &ce) {
			c.t.Fatalf("connection ended with %v, want close code %d", err, code)
		}
		if ce.Code != code {
			c.t.Fatalf("closed with %d %q, want %d", ce.Code, ce.Reason, code)
		}
		return ce
	}
}

// request sends a request and returns the reply with its id.
func (c *client) request(typ string, id int, hostname string) wire.Message {
	c.t.Helper()
	c.sendf(`{"type":%q,"id":%d,"hostname":%q}`, typ, id, hostname)
	m := c.read()
	if m.ID != uint64(id) {
		c.t.Fatalf("reply %+v, want id %d", m, id)
	}
	return m
}

func (c *client) expectResult(typ string, id int, hostname string) wire.Message {
	c.t.Helper()
	m := c.request(typ, id, hostname)
	if m.Type != wire.TypeResult {
		c.t.Fatalf("%s %q: got %+v, want a result", typ, hostname, m)
	}
	return m
}

func (c *client) expectError(typ string, id int, hostname, code string) {
	c.t.Helper()
	m := c.request(typ, id, hostname)
	if m.Type != wire.TypeError || m.Code != code {
		c.t.Fatalf("%s %q: got %+v, want error %s", typ, hostname, m, code)
	}
}

// eventually polls cond until it holds or the test timeout passes.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// rawConn opens a TCP connection and sends a WebSocket upgrade request by hand, without reading the answer. It is
// a client that costs almost nothing in this process (for measuring the server) and never answers pings.
func rawConn(t testing.TB, addr string) net.Conn {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	var key [16]byte
	rand.Read(key[:])
	_, err = fmt.Fprintf(nc, "GET / HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n", addr, base64.StdEncoding.EncodeToString(key[:]))
	if err != nil {
		t.Fatal(err)
	}
	return nc
}

// readUpgrade reads the server's answer to rawConn's request and reports its status line.
func readUpgrade(nc net.Conn) (string, error) {
	nc.SetReadDeadline(time.Now().Add(testTimeout))
	line, err := bufio.NewReader(nc).ReadString('\n')
	return strings.TrimSpace(line), err
}
