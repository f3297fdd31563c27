//go:build !js

package frame

import (
	"bytes"
	"testing"
	"unicode/utf8"
)

// FuzzDecode checks that Decode never panics, that what it accepts obeys the spec's rules, and that encoding a
// decoded frame gives a frame that decodes to the same thing (byte for byte the input, but for HELLO and ACCEPT,
// whose extension bytes version 1 drops).
//
//	go test -fuzz=FuzzDecode -fuzztime=30s ./pkg/node/internal/frame
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		"01 01 80 80 40 80 80 80 20 80 80 01",
		"02 01 80 08 00 80 08",
		"01 02 80 08 00 80 08 de ad",
		"01 01 ff ff ff ff ff ff ff 0f 00 80 08",
		"03 11 34 6e 6f 70 65",
		"08 03 e8",
		"08 03 f1 e2 82 ac",
		"04 01 05 68 65 6c 6c 6f",
		"04 00 80 01 aa bb",
		"04 00 00",
		"05 00 01 02",
		"06",
		"07 80 80 04",
		"09 01 02 03 04 05 06 07 08",
		"0a 01 02 03 04 05 06 07 08",
		"", "00", "ff", "04", "04 00 80", "07 80 80 80 80 80 80 80 80 80 80 01", "08 03 e8 ff",
	} {
		f.Add(hex(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := Decode(b)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %T is not a *frame.Error", err)
			}
			return
		}
		if fr.Type != Type(b[0]) {
			t.Fatalf("type %v from first byte 0x%02x", fr.Type, b[0])
		}
		switch fr.Type {
		case Hello, Accept:
			p := fr.Params
			if p.Version == 0 || p.Window < MinWindow || p.Window > MaxVarint || p.MaxMessage > MaxVarint ||
				p.MaxFrame < MinMaxFrame || p.MaxFrame > MaxMaxFrame {
				t.Fatalf("accepted params %+v", p)
			}
		case Reject, Close:
			if !ValidCode(fr.Code) || len(fr.Reason) > MaxReason || !utf8.ValidString(fr.Reason) {
				t.Fatalf("accepted code %d reason %q", fr.Code, fr.Reason)
			}
		case Start:
			if uint64(len(fr.Payload)) > fr.Length || fr.Length > MaxVarint || (len(fr.Payload) == 0) != (fr.Length == 0) {
				t.Fatalf("accepted START length %d with %d bytes", fr.Length, len(fr.Payload))
			}
		case Cont:
			if len(fr.Payload) == 0 {
				t.Fatal("accepted an empty CONT")
			}
		case Credit:
			if fr.Credit == 0 || fr.Credit > MaxVarint {
				t.Fatalf("accepted CREDIT %d", fr.Credit)
			}
		}
		enc := Append(nil, &fr)
		if fr.Type != Hello && fr.Type != Accept && !bytes.Equal(enc, b) {
			t.Fatalf("% x decoded to %+v, which encodes to % x", b, fr, enc)
		}
		fr2, err := Decode(enc)
		if err != nil {
			t.Fatalf("re-encoded % x to % x, which Decode rejects: %v", b, enc, err)
		}
		if !sameFrame(fr, fr2) {
			t.Fatalf("% x decoded to %+v, its encoding to %+v", b, fr, fr2)
		}
	})
}
