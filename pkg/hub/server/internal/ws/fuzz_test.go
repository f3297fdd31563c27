//go:build !js

// The fuzz target is native only: in the browser the test binary cannot read its seed corpus from testdata.

package ws

import (
	"bytes"
	"testing"
)

// FuzzDecoder feeds arbitrary bytes to the decoder, whole and in chunks: it must never panic, and the chunking
// must not change what it decodes.
//
//	go test -fuzz=FuzzDecoder -fuzztime=30s ./pkg/hub/server/internal/ws
func FuzzDecoder(f *testing.F) {
	f.Add([]byte{0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}, uint8(3))
	f.Add(bytes.Join([][]byte{
		clientFrame(false, OpText, []byte("Hel")), clientFrame(true, OpPing, []byte("p")), clientFrame(true, OpContinuation, []byte("lo")),
		clientFrame(true, OpClose, []byte{3, 232, 'x'}),
	}, nil), uint8(5))
	f.Add(clientFrame(true, OpText, bytes.Repeat([]byte("x"), 300)), uint8(1))
	f.Add([]byte{0x81, 0xff, 0, 0, 0, 0, 0, 0x98, 0x96, 0x80, 1, 2, 3, 4}, uint8(2))
	f.Fuzz(func(t *testing.T, stream []byte, chunk uint8) {
		whole := decodeAll(stream, 1000, 0)
		if got := decodeAll(stream, 1000, int(chunk)+1); got != whole {
			t.Fatalf("chunks of %d: %s\nwhole: %s", int(chunk)+1, got, whole)
		}
	})
}
