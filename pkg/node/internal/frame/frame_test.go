package frame

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func hex(s string) []byte {
	var b []byte
	for _, f := range strings.Fields(s) {
		var v byte
		for _, c := range f {
			v <<= 4
			switch {
			case c >= '0' && c <= '9':
				v |= byte(c - '0')
			case c >= 'a' && c <= 'f':
				v |= byte(c - 'a' + 10)
			}
		}
		b = append(b, v)
	}
	return b
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// TestDecodeValid lists one valid frame of each type, with every boundary value the spec allows, byte by byte.
func TestDecodeValid(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		want Frame
	}{
		{"hello defaults", hex("01 01 80 80 40 80 80 80 20 80 80 01"),
			Frame{Type: Hello, Params: Params{1, 1 << 20, 64 << 20, 16 << 10}}},
		{"accept minimums", hex("02 01 80 08 00 80 08"), Frame{Type: Accept, Params: Params{1, 1024, 0, 1024}}},
		{"hello max values", hex("01 ff ff ff ff ff ff ff ff 0f ff ff ff ff ff ff ff 0f 80 80 80 08"),
			Frame{Type: Hello, Params: Params{255, MaxVarint, MaxVarint, MaxMaxFrame}}},
		{"hello extension bytes ignored", hex("01 02 80 08 00 80 08 de ad be ef"),
			Frame{Type: Hello, Params: Params{2, 1024, 0, 1024}}},
		{"reject with reason", cat(hex("03 11 34"), []byte("port 7000 is not listening")),
			Frame{Type: Reject, Code: 4404, Reason: "port 7000 is not listening"}},
		{"close no reason", hex("08 03 e8"), Frame{Type: Close, Code: 1000}},
		{"close 123-byte reason", cat(hex("08 03 e9"), bytes.Repeat([]byte("é"), 61), []byte("x")),
			Frame{Type: Close, Code: 1001, Reason: strings.Repeat("é", 61) + "x"}},
		{"close code 1003", hex("08 03 eb"), Frame{Type: Close, Code: 1003}},
		{"close code 1007", hex("08 03 ef"), Frame{Type: Close, Code: 1007}},
		{"close code 1014", hex("08 03 f6"), Frame{Type: Close, Code: 1014}},
		{"close code 3000", hex("08 0b b8"), Frame{Type: Close, Code: 3000}},
		{"close code 4999", hex("08 13 87"), Frame{Type: Close, Code: 4999}},
		{"start whole text message", cat(hex("04 01 05"), []byte("hello")),
			Frame{Type: Start, Kind: Text, Length: 5, Payload: []byte("hello")}},
		{"start first bytes of binary", hex("04 00 80 01 aa bb"),
			Frame{Type: Start, Kind: Binary, Length: 128, Payload: hex("aa bb")}},
		{"start zero length", hex("04 00 00"), Frame{Type: Start, Payload: []byte{}}},
		{"start max length", hex("04 00 ff ff ff ff ff ff ff 0f 01"),
			Frame{Type: Start, Length: MaxVarint, Payload: hex("01")}},
		{"cont", hex("05 00 01 02"), Frame{Type: Cont, Payload: hex("00 01 02")}},
		{"abort", hex("06"), Frame{Type: Abort}},
		{"credit 1", hex("07 01"), Frame{Type: Credit, Credit: 1}},
		{"credit max", hex("07 ff ff ff ff ff ff ff 0f"), Frame{Type: Credit, Credit: MaxVarint}},
		{"ping", hex("09 01 02 03 04 05 06 07 08"), Frame{Type: Ping, Data: [8]byte{1, 2, 3, 4, 5, 6, 7, 8}}},
		{"pong", hex("0a 00 00 00 00 00 00 00 ff"), Frame{Type: Pong, Data: [8]byte{7: 0xff}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Decode(tc.in)
			if err != nil {
				t.Fatalf("Decode(% x): %v", tc.in, err)
			}
			if !sameFrame(got, tc.want) {
				t.Fatalf("Decode(% x) = %+v, want %+v", tc.in, got, tc.want)
			}
			// Encoding gives back the input (without the extension bytes, which v1 drops).
			enc := Append(nil, &got)
			if tc.name != "hello extension bytes ignored" && !bytes.Equal(enc, tc.in) {
				t.Fatalf("Append = % x, want % x", enc, tc.in)
			}
		})
	}
}

// TestDecodeInvalid has one case for each rule of SPEC.md §7.
func TestDecodeInvalid(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string // in is hex; want is a substring of the error
	}{
		{"empty frame", "", "empty"},
		{"type 0", "00", "unknown frame type 0x00"},
		{"type above pong", "0b 00", "unknown frame type 0x0b"},
		{"type ff", "ff", "unknown frame type"},
		{"hello no version", "01", "no version"},
		{"hello version 0", "01 00 80 08 00 80 08", "version 0"},
		{"hello no window", "01 01", "window: truncated"},
		{"hello truncated window", "01 01 80", "window: truncated"},
		{"hello no max-message", "01 01 80 08", "max-message: truncated"},
		{"hello no max-frame", "01 01 80 08 00", "max-frame: truncated"},
		{"hello window below minimum", "01 01 ff 07 00 80 08", "window 1023"},
		{"hello max-frame below minimum", "01 01 80 08 00 ff 07", "max-frame 1023"},
		{"hello max-frame above maximum", "01 01 80 08 00 81 80 80 08", "max-frame 16777217"},
		{"accept window not minimal", "02 01 80 88 00 00 80 08", "not minimal"},
		{"accept zero not minimal", "02 01 80 08 80 00 80 08", "not minimal"},
		{"accept window over 2^53-1", "02 01 80 80 80 80 80 80 80 10 00 80 08", "above 2^53-1"},
		{"accept varint 9 bytes", "02 01 80 80 80 80 80 80 80 80 01 00 80 08", "longer than 8"},
		{"accept varint 11 bytes", "02 01 ff ff ff ff ff ff ff ff ff ff 01 00 80 08", "longer than 8"},
		{"reject no code", "03", "no code"},
		{"reject half code", "03 11", "no code"},
		{"reject code 999", "03 03 e7", "code 999"},
		{"close code 0", "08 00 00", "code 0"},
		{"close code 1004", "08 03 ec", "code 1004"},
		{"close code 1005", "08 03 ed", "code 1005"},
		{"close code 1006", "08 03 ee", "code 1006"},
		{"close code 1015", "08 03 f7", "code 1015"},
		{"close code 2999", "08 0b b7", "code 2999"},
		{"close code 5000", "08 13 88", "code 5000"},
		{"close reason not utf-8", "08 03 e8 ff", "not valid UTF-8"},
		{"close reason 124 bytes", "08 03 e8 " + strings.Repeat("41 ", 124), "124 bytes"},
		{"start no kind", "04", "no kind"},
		{"start kind 2", "04 02 00", "unknown kind 2"},
		{"start no length", "04 00", "length: truncated"},
		{"start length not minimal", "04 00 85 00 01", "not minimal"},
		{"start length over 2^53-1", "04 00 80 80 80 80 80 80 80 10 01", "above 2^53-1"},
		{"start length 10-byte varint", "04 00 ff ff ff ff ff ff ff ff ff 01 01", "longer than 8"},
		{"start payload over length", "04 00 01 aa bb", "2 payload bytes for a message of 1"},
		{"start empty payload", "04 01 03", "no payload for a message of 3"},
		{"cont empty", "05", "no payload"},
		{"abort trailing", "06 00", "1 trailing"},
		{"credit none", "07", "truncated"},
		{"credit 0", "07 00", "increment 0"},
		{"credit trailing", "07 01 00", "1 trailing"},
		{"credit not minimal", "07 81 00", "not minimal"},
		{"credit over 2^53-1", "07 80 80 80 80 80 80 80 10", "above 2^53-1"},
		{"ping short", "09 01 02 03 04 05 06 07", "7 bytes"},
		{"ping long", "09 01 02 03 04 05 06 07 08 09", "9 bytes"},
		{"pong empty", "0a", "0 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := hex(tc.in)
			f, err := Decode(in)
			if err == nil {
				t.Fatalf("Decode(% x) = %+v, want an error", in, f)
			}
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("error %T is not a *frame.Error", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

func TestAppendSanitisesReason(t *testing.T) {
	long := strings.Repeat("€", 50) // 150 bytes; the cut must not split a character
	for _, tc := range []struct {
		name, in, want string
	}{
		{"short", "bye", "bye"},
		{"invalid utf-8", "a\xffb", "a\uFFFDb"},
		{"cut at a character boundary", long, strings.Repeat("€", 41)},
		{"exactly 123", strings.Repeat("a", 123), strings.Repeat("a", 123)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := AppendClose(nil, 1000, tc.in)
			f, err := Decode(b)
			if err != nil {
				t.Fatalf("Decode(AppendClose(%q)): %v", tc.in, err)
			}
			if f.Reason != tc.want {
				t.Fatalf("reason %q, want %q", f.Reason, tc.want)
			}
			if r, err := Decode(AppendReject(nil, 4404, tc.in)); err != nil || r.Reason != tc.want {
				t.Fatalf("reject: %+v, %v", r, err)
			}
		})
	}
}

func TestHeaderLengths(t *testing.T) {
	for _, n := range []uint64{0, 1, 127, 128, 16383, 16384, 1 << 20, 64 << 20, MaxVarint} {
		b := AppendStart(nil, Text, n, nil)
		if len(b) != StartHeaderLen(n) || StartHeaderLen(n) > MaxStartHeader {
			t.Fatalf("START header for %d: %d bytes, StartHeaderLen says %d", n, len(b), StartHeaderLen(n))
		}
	}
	if b := AppendCont(nil, nil); len(b) != ContHeader {
		t.Fatalf("CONT header %d bytes", len(b))
	}
	// Every handshake frame fits in the smallest max-frame.
	if n := len(AppendHello(nil, Hello, Params{255, MaxVarint, MaxVarint, MaxMaxFrame})); n > MinMaxFrame {
		t.Fatalf("HELLO of %d bytes", n)
	}
	if n := len(AppendReject(nil, 4999, strings.Repeat("x", 500))); n != 1+2+MaxReason {
		t.Fatalf("REJECT of %d bytes", n)
	}
}

func TestCost(t *testing.T) {
	for _, tc := range []struct {
		f    Frame
		want uint64
	}{
		{Frame{Type: Start, Length: 10, Payload: make([]byte, 10)}, 42},
		{Frame{Type: Start}, 32},
		{Frame{Type: Cont, Payload: make([]byte, 100)}, 132},
		{Frame{Type: Abort}, 32},
		{Frame{Type: Credit, Credit: 5}, 0},
		{Frame{Type: Ping}, 0},
		{Frame{Type: Close, Code: 1000}, 0},
	} {
		if got := tc.f.Cost(); got != tc.want {
			t.Errorf("%v cost %d, want %d", tc.f.Type, got, tc.want)
		}
	}
}

func TestTypeString(t *testing.T) {
	if Start.String() != "START" || Type(0).String() != "type 0x00" || Type(0x42).String() != "type 0x42" {
		t.Fatal(Start.String(), Type(0).String(), Type(0x42).String())
	}
}

func sameFrame(a, b Frame) bool {
	if len(a.Payload) == 0 && len(b.Payload) == 0 {
		a.Payload, b.Payload = nil, nil
	}
	return reflect.DeepEqual(a, b)
}

func BenchmarkDecodeCont(b *testing.B) {
	f := AppendCont(nil, make([]byte, DefaultMaxFrame-ContHeader))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(f); err != nil {
			b.Fatal(err)
		}
	}
}
