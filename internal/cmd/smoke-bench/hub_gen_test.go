//go:build linux

package main

import (
	"io"
	"testing"
)

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
