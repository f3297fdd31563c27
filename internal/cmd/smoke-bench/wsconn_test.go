//go:build linux

package main

import (
	"bufio"
	"bytes"
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
