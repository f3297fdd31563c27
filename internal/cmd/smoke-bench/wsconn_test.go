//go:build linux

package main

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"testing"
)

// TestFrameBuffered checks the test the read loops use to hold their replies back: true exactly while a whole
// frame waits in the read buffer, for each length form, and false for a frame whose end has not arrived.
func TestFrameBuffered(t *testing.T) {
	var w wsConn // unmasked frames, as a server sends them: build with a zero mask
	short := w.appendFrame(nil, opText, []byte("hi"))
	medium := w.appendFrame(nil, opText, []byte(strings.Repeat("m", 300)))
	long := w.appendFrame(nil, opText, []byte(strings.Repeat("l", 70000)))
	for _, tc := range []struct {
		name  string
		bytes []byte
		want  []bool // before each read, then after the last
	}{
		{"two short", append(append([]byte{}, short...), short...), []bool{true, true, false}},
		{"medium then short", append(append([]byte{}, medium...), short...), []bool{true, true, false}},
		{"cut short", append(append([]byte{}, short...), short[:3]...), []bool{true, false}},
		{"cut header", append(append([]byte{}, short...), medium[:3]...), []bool{true, false}},
		{"longer than the buffer", long, []bool{false}},
	} {
		c := &wsConn{br: bufio.NewReaderSize(bytes.NewReader(tc.bytes), 4096)}
		c.br.Peek(1) // fill the buffer, as a read from the network does
		for i, want := range tc.want {
			if got := c.frameBuffered(); got != want {
				t.Errorf("%s, before read %d: frameBuffered() = %v, want %v", tc.name, i, got, want)
			}
			if i < len(tc.want)-1 {
				if _, err := c.read(nil); err != nil {
					t.Fatalf("%s, read %d: %v", tc.name, i, err)
				}
			}
		}
	}
}

// TestRelayGenFrames checks the generator's frame handling: each relayed number is answered with the next one to
// the peer, a ping with a pong, and the bytes of a frame cut short wait for the rest.
func TestRelayGenFrames(t *testing.T) {
	s := &smokeHub{}
	g := &relayGen{s: s, failed: make(chan struct{})}
	var server wsConn // frames as a server sends them, once the mask bit is cleared
	frame := func(op byte, p string) []byte {
		f := server.appendFrame(nil, op, []byte(p))
		f[1] &^= 0x80
		return append(f[:2:2], f[6:]...) // drop the (zero) masking key
	}
	peer := &benchClient{addr: "peer-address"}
	gc := &genClient{benchClient: &benchClient{conn: &wsConn{}, peer: peer}}
	var data []byte
	data = append(data, frame(opText, `{"type":"forward","from":"x","data":41}`)...)
	data = append(data, frame(opPing, "hi")...)
	data = append(data, frame(opText, `{"type":"forward","from":"x","data":7}`)...)
	cut := frame(opText, `{"type":"forward","from":"x","data":99}`)
	data = append(data, cut[:5]...)
	rest, err := g.frames(gc, data)
	if err != nil {
		t.Fatal(err)
	}
	if string(rest) != string(cut[:5]) {
		t.Errorf("rest %q, want %q", rest, cut[:5])
	}
	if gc.recv.Load() != 2 {
		t.Errorf("%d relays counted, want 2", gc.recv.Load())
	}
	var want []byte
	want = gc.conn.appendFrame(want, opText, s.relay(nil, "peer-address", 42))
	want = gc.conn.appendFrame(want, opPong, []byte("hi"))
	want = gc.conn.appendFrame(want, opText, s.relay(nil, "peer-address", 8))
	if string(gc.out) != string(want) {
		t.Errorf("answers %q, want %q", gc.out, want)
	}
	if _, err := g.frames(gc, frame(opClose, "\x03\xe8")); err != io.EOF {
		t.Errorf("close frame: %v, want io.EOF", err)
	}
}
