//go:build linux

package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// TestWSConn checks the benchmark's own WebSocket client against coder/websocket: messages both ways, a message
// larger than one frame header's short form, a ping answered, and a close.
func TestWSConn(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(-1)
		c.Write(ctx, websocket.MessageText, []byte(`{"type":"hello"}`))
		for {
			typ, b, err := c.Read(ctx)
			if err != nil {
				return
			}
			if string(b) == "ping me" {
				// Ping returns when this loop reads the pong, so it runs beside it; the reply comes after.
				go func() {
					if err := c.Ping(ctx); err != nil {
						c.Write(ctx, websocket.MessageText, []byte(err.Error()))
						return
					}
					c.Write(ctx, websocket.MessageText, []byte("pinged"))
				}()
				continue
			}
			if string(b) == "bye" {
				c.Close(websocket.StatusNormalClosure, "")
				return
			}
			c.Write(ctx, typ, b) // echo
		}
	}))
	defer srv.Close()

	c, err := dialWS(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/x?y=1")
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	b, err := c.readCtx(ctx, nil)
	if err != nil || string(b) != `{"type":"hello"}` {
		t.Fatalf("first message %q, %v", b, err)
	}
	for _, n := range []int{0, 5, 125, 126, 300, 70000} {
		msg := strings.Repeat("x", n)
		if err := c.writeText([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		if b, err = c.readCtx(ctx, b); err != nil || string(b) != msg {
			t.Fatalf("echo of %d bytes: got %d bytes, %v", n, len(b), err)
		}
	}
	// The ping is answered inside read, while it waits for the server's reply.
	c.writeText([]byte("ping me"))
	if b, err = c.readCtx(ctx, b); err != nil || string(b) != "pinged" {
		t.Fatalf("after a ping: %q, %v", b, err)
	}
	c.writeText([]byte("bye"))
	if _, err := c.readCtx(ctx, b); !errors.Is(err, io.EOF) {
		t.Fatalf("after the server's close: %v, want io.EOF", err)
	}
}

func TestDialOnlyLoopback(t *testing.T) {
	for _, u := range []string{"ws://localhost:1/", "ws://10.0.0.1:80/", "wss://127.0.0.1:1/"} {
		if _, err := dialWS(context.Background(), u); err == nil || !strings.Contains(err.Error(), "only") {
			t.Errorf("dialWS(%s) = %v, want a refusal", u, err)
		}
	}
	if _, err := dialLoopback(context.Background(), "tcp", "192.168.1.1:80"); err == nil {
		t.Error("dialLoopback to 192.168.1.1 did not fail")
	}
}

func TestRelayed(t *testing.T) {
	smoke, peer := &smokeHub{}, &peerJS{}
	tests := []struct {
		name string
		s    signaller
		msg  string
		n    int64
		ok   bool
	}{
		{"smoke forward", smoke, `{"type":"forward","from":"k3x9q0v2m7c4d8f1","data":1234}`, 1234, true},
		{"smoke spaced", smoke, `{"data": 7, "type": "forward", "from": "a"}`, 7, true},
		{"smoke undeliverable", smoke, `{"type":"undeliverable","to":"a","reason":"unknown address"}`, 0, false},
		{"smoke string data", smoke, `{"type":"forward","from":"a","data":"x"}`, 0, false},
		{"peerjs offer", peer, `{"type":"OFFER","src":"bench1","dst":"bench2","payload":99}`, 99, true},
		{"peerjs expire", peer, `{"type":"EXPIRE","src":"bench2","dst":"bench1"}`, 0, false},
		{"garbage", peer, `not json`, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, ok := tt.s.relayed([]byte(tt.msg))
			if n != tt.n || ok != tt.ok {
				t.Errorf("relayed(%s) = %d, %v; want %d, %v", tt.msg, n, ok, tt.n, tt.ok)
			}
		})
	}
	// What relay builds, relayed reads back (through a server that renames the fields as each protocol does).
	if n, ok := smoke.relayed([]byte(strings.Replace(string(smoke.relay(nil, "abc", 42)), `"to"`, `"from"`, 1))); n != 42 || !ok {
		t.Errorf("smoke round trip: %d, %v", n, ok)
	}
	if n, ok := peer.relayed(peer.relay(nil, "abc", 42)); n != 42 || !ok {
		t.Errorf("peerjs round trip: %d, %v", n, ok)
	}
}

func TestThousands(t *testing.T) {
	for in, want := range map[float64]string{0: "0", 999: "999", 1000: "1,000", 123456.4: "123,456", 1234567: "1,234,567", -4500: "-4,500"} {
		if got := thousands(in); got != want {
			t.Errorf("thousands(%v) = %q, want %q", in, got, want)
		}
	}
}
