package ws

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/http"
	"testing"
)

// clientFrame builds a masked frame as a client sends it.
func clientFrame(fin bool, op byte, payload []byte) []byte {
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	b0 := op
	if fin {
		b0 |= 0x80
	}
	f := []byte{b0}
	switch n := len(payload); {
	case n < 126:
		f = append(f, 0x80|byte(n))
	case n <= 0xffff:
		f = binary.BigEndian.AppendUint16(append(f, 0x80|126), uint16(n))
	default:
		f = binary.BigEndian.AppendUint64(append(f, 0x80|127), uint64(n))
	}
	f = append(f, key[:]...)
	p := append([]byte(nil), payload...)
	Mask(key, 0, p)
	return append(f, p...)
}

// decodeAll feeds stream to a decoder in chunks of size chunk (all at once for 0), buffering partial frames as
// the hub does, and describes what came out.
func decodeAll(stream []byte, max uint64, chunk int) string {
	d := Decoder{MaxMessage: max}
	var out bytes.Buffer
	var buf []byte
	stream = append([]byte(nil), stream...)
	for off := 0; off < len(stream) || len(buf) > 0; {
		end := len(stream)
		if chunk > 0 {
			end = min(len(stream), off+chunk)
		}
		buf = append(buf, stream[off:end]...)
		fed := end > off
		off = end
		for {
			f, n, _, err := d.Next(buf)
			if err != nil {
				fmt.Fprintf(&out, "error %v;", err)
				return out.String()
			}
			if n == 0 {
				break
			}
			switch f.Event {
			case EventMessage:
				fmt.Fprintf(&out, "message %d %q;", f.Op, f.Payload)
			case EventPing, EventPong:
				fmt.Fprintf(&out, "control %d %q;", f.Event, f.Payload)
			case EventClose:
				fmt.Fprintf(&out, "close %d %q;", f.Close.Code, f.Close.Reason)
			}
			buf = buf[n:]
		}
		if !fed {
			break
		}
	}
	if len(buf) > 0 || d.InMessage() {
		fmt.Fprintf(&out, "incomplete %d;", len(buf))
	}
	return out.String()
}

func TestDecoder(t *testing.T) {
	big := bytes.Repeat([]byte("é"), 32768) // 65,536 bytes: a 64-bit length, and exactly the limit
	tests := []struct {
		name   string
		stream []byte
		want   string
	}{
		{"RFC 6455 5.7 masked Hello", []byte{0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}, `message 1 "Hello";`},
		{"fragmented with a ping between", bytes.Join([][]byte{
			clientFrame(false, OpText, []byte("Hel")), clientFrame(true, OpPing, []byte("p")), clientFrame(true, OpContinuation, []byte("lo")),
		}, nil), `control 2 "p";message 1 "Hello";`},
		{"empty text", clientFrame(true, OpText, nil), `message 1 "";`},
		{"binary", clientFrame(true, OpBinary, []byte{0xff}), `message 2 "\xff";`},
		{"16-bit length", clientFrame(true, OpText, bytes.Repeat([]byte("x"), 300)), fmt.Sprintf("message 1 %q;", bytes.Repeat([]byte("x"), 300))},
		{"64-bit length", clientFrame(true, OpText, big), fmt.Sprintf("message 1 %q;", big)},
		{"close with code and reason", clientFrame(true, OpClose, []byte{3, 232, 'b', 'y', 'e'}), `close 1000 "bye";`},
		{"close without code", clientFrame(true, OpClose, nil), `close 1005 "";`},
		{"close of one byte", clientFrame(true, OpClose, []byte{3}), "error websocket: close 1002 close frame of one byte;"},
		{"close with code 1005", clientFrame(true, OpClose, []byte{3, 237}), "error websocket: close 1002 close code 1005;"},
		{"close reason not UTF-8", clientFrame(true, OpClose, []byte{3, 232, 0xff}), "error websocket: close 1007 close reason is not UTF-8;"},
		{"text not UTF-8", clientFrame(true, OpText, []byte{0xc3}), "error websocket: close 1007 text message is not UTF-8;"},
		{"UTF-8 split across fragments", append(clientFrame(false, OpText, []byte{0xc3}), clientFrame(true, OpContinuation, []byte{0xa9})...), `message 1 "é";`},
		{"unmasked", []byte{0x81, 0x01, 'x'}, "error websocket: close 1002 unmasked client frame;"},
		{"reserved bits", append([]byte{0xc1}, clientFrame(true, OpText, nil)[1:]...), "error websocket: close 1002 reserved bits set;"},
		{"reserved opcode", clientFrame(true, 3, nil), "error websocket: close 1002 reserved opcode 3;"},
		{"fragmented ping", clientFrame(false, OpPing, nil), "error websocket: close 1002 fragmented control frame;"},
		{"long pong", clientFrame(true, OpPong, make([]byte, 126)), "error websocket: close 1002 control frame of 126 bytes;"},
		{"lone continuation", clientFrame(true, OpContinuation, []byte("x")), "error websocket: close 1002 continuation frame without a message;"},
		{"text inside a message", append(clientFrame(false, OpText, []byte("a")), clientFrame(true, OpText, []byte("b"))...), "error websocket: close 1002 new message before the last one ended;"},
		{"announced over the limit", []byte{0x81, 0xff, 0, 0, 0, 0, 0, 0x98, 0x96, 0x80, 1, 2, 3, 4}, "error websocket: close 1009 message over 65536 bytes;"},
		{"fragments over the limit", append(clientFrame(false, OpText, make([]byte, 40000)), clientFrame(true, OpContinuation, make([]byte, 30000))[:20]...), "error websocket: close 1009 message over 65536 bytes;"},
		{"top bit of the length", []byte{0x81, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}, "error websocket: close 1002 frame length with the top bit set;"},
		{"half a header", []byte{0x81}, "incomplete 1;"},
		{"half a frame", clientFrame(true, OpText, []byte("hello"))[:8], "incomplete 8;"},
	}
	for _, tt := range tests {
		for _, chunk := range []int{0, 1, 3, 7, 1000} {
			if got := decodeAll(tt.stream, 64<<10, chunk); got != tt.want {
				t.Errorf("%s, chunks of %d: got\n\t%s\nwant\n\t%s", tt.name, chunk, got, tt.want)
			}
		}
	}
}

func TestAppend(t *testing.T) {
	for _, n := range []int{0, 125, 126, 0xffff, 0x10000} {
		h := AppendHeader(nil, true, OpText, n)
		if want := 2 + map[bool]int{true: 0}[n < 126] + btoi(n >= 126 && n <= 0xffff)*2 + btoi(n > 0xffff)*8; len(h) != want {
			t.Errorf("header for %d bytes is %d long, want %d", n, len(h), want)
		}
	}
	long := bytes.Repeat([]byte("é"), 100)
	c := AppendClose(nil, StatusPolicyViolation, string(long))
	if len(c) > 2+MaxControlPayload || c[0] != 0x88 {
		t.Fatalf("close frame %x", c)
	}
	ce, err := ParseClose(c[2:])
	if err != nil || ce.Code != StatusPolicyViolation || !bytes.HasPrefix(long, []byte(ce.Reason)) {
		t.Fatalf("close frame parses as %v %v", ce, err)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestAcceptKey(t *testing.T) {
	// RFC 6455 section 1.3.
	if got := AcceptKey("dGhlIHNhbXBsZSBub25jZQ=="); got != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Errorf("AcceptKey = %s", got)
	}
	r, _ := http.NewRequest("GET", "http://hub/", nil)
	r.Header.Set("Connection", "keep-alive, Upgrade")
	r.Header.Set("Upgrade", "WebSocket")
	r.Header.Set("Sec-WebSocket-Version", "13")
	r.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	if code, err := CheckRequest(r, http.Header{}); code != 0 {
		t.Errorf("good request refused: %d %v", code, err)
	}
	r.Header.Set("Sec-WebSocket-Version", "8")
	if code, _ := CheckRequest(r, http.Header{}); code != http.StatusBadRequest {
		t.Errorf("version 8: %d", code)
	}
	r.Header.Del("Upgrade")
	if code, _ := CheckRequest(r, http.Header{}); code != http.StatusUpgradeRequired {
		t.Errorf("no Upgrade: %d", code)
	}
}
