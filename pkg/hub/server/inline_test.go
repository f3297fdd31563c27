//go:build !js

package server

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
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

// TestInlineHandOff sends, in single writes, plain forwards mixed with what the poller's loop hands to a
// goroutine of the connection's own (inline.go): a register, a ping, a frame cut in two, and finally invalid UTF-8.
// Everything is handled in the order sent, and the invalid frame closes the connection with 1007 after the
// forward before it went out.
func TestInlineHandOff(t *testing.T) {
	ts := newTestServer(t, nil)
	b := ts.dial(t, "")
	nc := rawConn(t, ts.addr)
	defer nc.Close()
	br := bufio.NewReader(nc)
	nc.SetReadDeadline(time.Now().Add(testTimeout))
	if resp, err := http.ReadResponse(br, nil); err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	if _, payload, err := readServerFrame(br); err != nil {
		t.Fatalf("binding: %v", err)
	} else {
		var m struct{ Address string }
		if json.Unmarshal(payload, &m) != nil || m.Address == "" {
			t.Fatalf("binding: %s", payload)
		}
	}
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
