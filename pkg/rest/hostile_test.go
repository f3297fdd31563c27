package rest_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/smokenet/smoke/pkg/node"
	"github.com/smokenet/smoke/pkg/rest"
)

// rawRequest encodes a request message by hand, as SPEC.md §3.1 lays it out.
func rawRequest(flags byte, method, target, host string, length uint64, header [][2]string, body string) []byte {
	b := []byte{0x01, flags}
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	str(method)
	str(target)
	str(host)
	b = binary.AppendUvarint(b, length)
	b = binary.AppendUvarint(b, uint64(len(header)))
	for _, h := range header {
		str(h[0])
		str(h[1])
	}
	return append(b, body...)
}

// TestHostileInput sends malformed and hostile messages on raw sockets: each gets a 400/431 answer or a closed
// socket with a reason, and the server keeps serving others.
func TestHostileInput(t *testing.T) {
	p := newPair(t)
	p.serve(t, 80, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		w.Write(b)
	}), func(s *rest.Server) { s.MaxHeaderBytes = 1024 })
	good := rawRequest(1, "GET", "/", "x", 1, nil, "")

	tests := []struct {
		name   string
		msgs   [][]byte
		status int // the answer expected, or 0 for a closed socket
	}{
		{"empty message", [][]byte{{}}, 0},
		{"garbage", [][]byte{[]byte("GET / HTTP/1.1\r\n\r\n")}, 0},
		{"unknown type", [][]byte{{0x7f, 0, 1, 2}}, 0},
		{"response from a client", [][]byte{{0x02, 0x01, 200, 1, 0, 1, 0}}, 0},
		{"data before a request", [][]byte{{0x03, 0x01, 'x'}}, 0},
		{"truncated head", [][]byte{good[:5]}, 400},
		{"unknown flags", [][]byte{rawRequest(0x80, "GET", "/", "x", 1, nil, "")}, 400},
		{"huge string length", [][]byte{{0x01, 0x01, 0xff, 0xff, 0xff, 0xff, 0x0f, 'G'}}, 400},
		{"huge header count", [][]byte{append(rawRequest(1, "GET", "/", "x", 1, nil, "")[:11], 0xff, 0xff, 0xff, 0x7f)}, 400},
		{"overlong varint", [][]byte{{0x01, 0x01, 0x83, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}}, 400},
		{"bad method", [][]byte{rawRequest(1, "G T", "/", "x", 1, nil, "")}, 400},
		{"bad target", [][]byte{rawRequest(1, "GET", "nope", "x", 1, nil, "")}, 400},
		{"control in header", [][]byte{rawRequest(1, "GET", "/", "x", 1, [][2]string{{"X-A", "a\r\nb"}}, "")}, 400},
		{"oversized head", [][]byte{rawRequest(1, "GET", "/", "x", 1, [][2]string{{"X-Big", strings.Repeat("a", 2000)}}, "")}, 431},
		{"body shorter than declared", [][]byte{rawRequest(1, "POST", "/", "x", 11, nil, "short")}, 400},
		{"streamed body over declared", [][]byte{rawRequest(0, "POST", "/", "x", 3, nil, ""), {0x03, 0x01, 'a', 'b', 'c', 'd'}}, 0},
		{"body after end", [][]byte{good, {0x03, 0x01, 'x'}}, 0},
		{"two heads at once", [][]byte{rawRequest(0, "POST", "/", "x", 0, nil, ""), good}, 0},
		{"demand out of range", [][]byte{{0x04, 0x00}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testCtx(t, 30*time.Second)
			s, err := p.client.Dial(ctx, p.addr, 80)
			if err != nil {
				t.Fatal(err)
			}
			defer s.CloseNow()
			for _, m := range tt.msgs {
				if err := s.Write(ctx, node.MessageBinary, m); err != nil {
					break // the server may close before the last
				}
			}
			_, msg, err := s.Read(ctx)
			if err == nil && tt.status == 0 && len(msg) > 2 && msg[0] == 0x02 && msg[2] == 200 {
				_, msg, err = s.Read(ctx) // a request that was whole may be answered before the close
			}
			if tt.status != 0 {
				if err != nil {
					t.Fatalf("want a %d answer, got %v", tt.status, err)
				}
				st, _ := binary.Uvarint(msg[min(2, len(msg)):])
				if len(msg) < 3 || msg[0] != 0x02 || int(st) != tt.status {
					t.Fatalf("want a %d answer, got % x", tt.status, msg[:min(len(msg), 16)])
				}
				_, _, err = s.Read(ctx)
			}
			if err == nil {
				t.Fatal("the socket stays open")
			}
			var ce node.CloseError
			if !errors.As(err, &ce) || ce.Reason == "" {
				t.Fatalf("want a close with a reason, got %v", err)
			}
			t.Logf("closed: %v", ce)
		})
	}

	// The server still serves.
	c, _ := p.httpClient(t)
	resp, err := c.Post(p.url(80, "/"), "", bytes.NewReader([]byte("still here")))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "still here" {
		t.Fatalf("after hostile input: %q", b)
	}
}

// TestHeaderTimeout: a socket that sends no head is closed.
func TestHeaderTimeout(t *testing.T) {
	p := newPair(t)
	p.serve(t, 80, http.NotFoundHandler(), func(s *rest.Server) { s.ReadHeaderTimeout = 100 * time.Millisecond })
	ctx := testCtx(t, 30*time.Second)
	s, err := p.client.Dial(ctx, p.addr, 80)
	if err != nil {
		t.Fatal(err)
	}
	defer s.CloseNow()
	_, _, err = s.Read(ctx)
	var ce node.CloseError
	if !errors.As(err, &ce) || !strings.Contains(ce.Reason, "no request head") {
		t.Fatalf("want a close for the header timeout, got %v", err)
	}
}
