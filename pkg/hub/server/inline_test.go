//go:build !js

package server

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/smokenet/smoke/pkg/hub/server/internal/ws"
)

// maskedText builds a masked text frame as a client sends it.
func maskedText(payload string) []byte {
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	f := ws.AppendHeader(nil, true, ws.OpText, len(payload))
	f[1] |= 0x80
	f = append(f, key[:]...)
	start := len(f)
	f = append(f, payload...)
	ws.Mask(key, 0, f[start:])
	return f
}

// rawClient connects to ts by hand and reads the upgrade and the binding: its frames are written raw.
func rawClient(t *testing.T, ts *testServer) (net.Conn, *bufio.Reader) {
	t.Helper()
	nc := rawConn(t, ts.addr)
	t.Cleanup(func() { nc.Close() })
	br := bufio.NewReader(nc)
	nc.SetReadDeadline(time.Now().Add(testTimeout))
	if resp, err := http.ReadResponse(br, nil); err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	_, payload, err := readServerFrame(br)
	var m struct{ Address string }
	if err != nil || json.Unmarshal(payload, &m) != nil || m.Address == "" {
		t.Fatalf("binding: %s %v", payload, err)
	}
	return nc, br
}

// TestInlineHandOff sends, in single writes, plain forwards mixed with what the poller's loop hands to a
// goroutine of the connection's own (inline.go): a register, a ping, a frame cut in two, and finally invalid UTF-8.
// Everything is handled in the order sent, and the invalid frame closes the connection with 1007 after the
// forward before it went out.
func TestInlineHandOff(t *testing.T) {
	ts := newTestServer(t, nil)
	b := ts.dial(t, "")
	nc, br := rawClient(t, ts)
	fwd := func(n int) []byte {
		return maskedText(fmt.Sprintf(`{"type":"forward","to":%q,"data":%d}`, b.addr(), n))
	}
	ping := []byte{0x80 | ws.OpPing, 0x80 | 2, 1, 2, 3, 4, 'p' ^ 1, 'q' ^ 2}
	var burst []byte
	burst = append(burst, fwd(1)...)
	// The register is decoded (unmasked) before the loop finds it is not a forward: the goroutine must get it
	// as it arrived.
	burst = append(burst, maskedText(`{"type":"register","id":7,"hostname":"inline-test"}`)...)
	burst = append(burst, fwd(2)...)
	burst = append(burst, ping...)
	burst = append(burst, fwd(3)...)
	last := fwd(4)
	burst = append(burst, last[:5]...)
	if _, err := nc.Write(burst); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // the rest of the cut frame arrives in a later read
	if _, err := nc.Write(last[5:]); err != nil {
		t.Fatal(err)
	}
	for want := 1; want <= 4; want++ {
		if m := b.read(); string(m.Data) != fmt.Sprint(want) {
			t.Fatalf("b got %+v, want data %d", m, want)
		}
	}
	var pong, result bool
	for !pong || !result {
		op, payload, err := readServerFrame(br)
		if err != nil {
			t.Fatalf("waiting for the pong and the result: %v", err)
		}
		switch {
		case op == ws.OpPong && string(payload) == "pq":
			pong = true
		case op == ws.OpText && string(payload) == `{"type":"result","id":7}`:
			result = true
		default:
			t.Fatalf("unexpected frame %#x %q", op, payload)
		}
	}

	bad := maskedText("\xff\xfe")
	if _, err := nc.Write(append(fwd(5), bad...)); err != nil {
		t.Fatal(err)
	}
	if m := b.read(); string(m.Data) != "5" {
		t.Fatalf("b got %+v, want data 5", m)
	}
	op, payload, err := readServerFrame(br)
	if err != nil || op != ws.OpClose || len(payload) < 2 || ws.StatusCode(payload[0])<<8|ws.StatusCode(payload[1]) != ws.StatusInvalidPayload {
		t.Fatalf("got %#x %q %v, want a close with 1007", op, payload, err)
	}
}

// TestInlineLongBurst sends more forwards in one write than the loop reads for one connection per wake-up: small
// ones, whose frames straddle the shared buffers (the rest of a read then goes on in a goroutine of the
// connection's own), and ones of exactly one buffer each, which the loop relays whole until maxInlineReads. Every
// message arrives, in order.
func TestInlineLongBurst(t *testing.T) {
	ts := newTestServer(t, &Options{Rate: 1e9, Burst: 1 << 30, QueueSize: 1 << 16, QueueBytes: 64 << 20,
		QueueBytesPerIP: 64 << 20, MaxQueuedBytes: 64 << 20})
	b := ts.dial(t, "")
	nc, _ := rawClient(t, ts)
	msg := func(i, size int) []byte {
		m := fmt.Sprintf(`{"type":"forward","to":%q,"data":"%d:"}`, b.addr(), i)
		if size > 0 {
			// A frame of size bytes: a 4-byte header (16-bit length), the mask, and the payload.
			m = fmt.Sprintf(`{"type":"forward","to":%q,"data":"%d:%s"}`, b.addr(), i, strings.Repeat("x", size-8-len(m)))
		}
		return maskedText(m)
	}
	for _, tc := range []struct {
		name    string
		n, size int
	}{
		{"small", 3000, 0},
		{"one buffer each", 3 * maxInlineReads, readChunk},
	} {
		var burst []byte
		for i := range tc.n {
			f := msg(i, tc.size)
			if tc.size > 0 && len(f) != tc.size {
				t.Fatalf("frame of %d bytes", len(f))
			}
			burst = append(burst, f...)
		}
		if len(burst) <= maxInlineReads*readChunk {
			t.Fatalf("%s: the burst is only %d bytes", tc.name, len(burst))
		}
		if _, err := nc.Write(burst); err != nil {
			t.Fatal(err)
		}
		for i := range tc.n {
			m := b.read()
			var d string
			if json.Unmarshal(m.Data, &d) != nil || !strings.HasPrefix(d, fmt.Sprintf("%d:", i)) {
				t.Fatalf("%s, message %d: got %.80s", tc.name, i, m.Data)
			}
		}
	}
}
