package wire

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	req := RequestHead{Method: "POST", Target: "/a/b?c=d", Host: "0.0.0.2:8080", ContentLength: 5,
		Header: Header{"Content-Type": {"text/plain"}, "X-Multi": {"1", "2"}}}
	msg := AppendRequest(nil, &req, true, []byte("hello"))
	got, end, body, err := DecodeRequest(msg, 1024)
	if err != nil || !end || string(body) != "hello" || !reflect.DeepEqual(got, req) {
		t.Fatalf("request: %+v %v %q %v", got, end, body, err)
	}

	for _, res := range []ResponseHead{
		{Status: 200, ContentLength: -1, Header: Header{}},
		{Status: 404, Kind: KindMedia, ContentLength: 0, Header: Header{"A": {""}}, Close: true},
		{Status: 200, Kind: KindRecords, Window: 16, ContentLength: -1, Header: Header{}},
	} {
		msg := AppendResponse(nil, &res, false, nil)
		got, end, body, err := DecodeResponse(msg, 0)
		if err != nil || end || len(body) != 0 || !reflect.DeepEqual(got, res) {
			t.Fatalf("response %+v: got %+v %v %q %v", res, got, end, body, err)
		}
	}

	end, body, err = DecodeData(AppendData(nil, true, []byte("x")))
	if err != nil || !end || string(body) != "x" {
		t.Fatalf("data: %v %q %v", end, body, err)
	}
	if n, err := DecodeDemand(AppendDemand(nil, 300)); err != nil || n != 300 {
		t.Fatalf("demand: %d %v", n, err)
	}
}

func TestDecodeErrors(t *testing.T) {
	good := AppendRequest(nil, &RequestHead{Method: "GET", Target: "/", Host: "h"}, true, nil)
	big := AppendRequest(nil, &RequestHead{Method: "GET", Target: "/" + strings.Repeat("a", 100), Host: "h"}, true, nil)
	tests := []struct {
		name string
		msg  []byte
		max  int
		want error
	}{
		{"empty", nil, 0, ErrMalformed},
		{"wrong type", []byte{TypeData, 1}, 0, ErrMalformed},
		{"cut short", good[:len(good)-1], 0, ErrMalformed},
		{"unknown flag", append([]byte{TypeRequest, 0x02}, good[2:]...), 0, ErrMalformed},
		{"too large", big, 50, ErrHeadTooLarge},
		{"length mismatch", AppendRequest(nil, &RequestHead{Method: "GET", Target: "/", ContentLength: 3}, true, []byte("ab")), 0, ErrMalformed},
		{"non-minimal varint", []byte{TypeRequest, 1, 0x83, 0x00, 'G', 'E', 'T'}, 0, ErrMalformed},
		{"empty method", AppendRequest(nil, &RequestHead{Target: "/"}, true, nil), 0, ErrMalformed},
		{"header count", append(good[:len(good)-1], 0xff, 0x7f), 0, ErrMalformed},
		{"bad header name", AppendRequest(nil, &RequestHead{Method: "GET", Target: "/", Header: Header{"A B": {"x"}}}, true, nil), 0, ErrMalformed},
	}
	for _, tt := range tests {
		if _, _, _, err := DecodeRequest(tt.msg, tt.max); !errors.Is(err, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
	}
	for name, msg := range map[string][]byte{
		"status":         {TypeResponse, 1, 99, 0, 1, 0},
		"kind":           {TypeResponse, 1, 100, 9, 1, 0},
		"window 0":       {TypeResponse, 1, 100, KindRecords, 0, 0, 0},
		"request flags":  {TypeResponse, 4, 100, 0, 1, 0},
		"body over":      {TypeResponse, 0, 100, 0, 2, 0, 'a', 'b'},
		"missing header": {TypeResponse, 1, 100, 0, 1},
	} {
		if _, _, _, err := DecodeResponse(msg, 0); !errors.Is(err, ErrMalformed) {
			t.Errorf("response %s: %v", name, err)
		}
	}
	for _, msg := range [][]byte{{TypeDemand}, {TypeDemand, 0}, {TypeDemand, 1, 1}, {TypeDemand, 0x80, 0x80, 0x08}} {
		if _, err := DecodeDemand(msg); !errors.Is(err, ErrMalformed) {
			t.Errorf("demand % x: %v", msg, err)
		}
	}
	if _, _, err := DecodeData([]byte{TypeData, 3}); !errors.Is(err, ErrMalformed) {
		t.Errorf("data flags: %v", err)
	}
	if _, err := Type([]byte{0}); err == nil {
		t.Error("type 0 accepted")
	}
	_ = bytes.Equal
}

func BenchmarkDecodeRequest(b *testing.B) {
	msg := AppendRequest(nil, &RequestHead{Method: "GET", Target: "/api/items?limit=10", Host: "0.0.0.2",
		Header: Header{"Accept": {"application/json"}, "User-Agent": {"smoke"}}}, true, nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, _, err := DecodeRequest(msg, 1<<16); err != nil {
			b.Fatal(err)
		}
	}
}

// TestDecodeAllocs: a head's strings share one allocation, however many header fields it has.
func TestDecodeAllocs(t *testing.T) {
	req := AppendRequest(nil, &RequestHead{Method: "GET", Target: "/a/b?c=d", Host: "0.0.0.2:8080", ContentLength: 0,
		Header: Header{"Accept": {"*/*"}, "X-Multi": {"1", "2"}, "Authorization": {"Bearer x"}, "X-Trace": {"abc"}}}, true, nil)
	res := AppendResponse(nil, &ResponseHead{Status: 200, ContentLength: 2,
		Header: Header{"Content-Type": {"text/plain; charset=utf-8"}, "X-A": {"1"}}}, true, []byte("ok"))
	// The head's string, the map (two allocations), the values; a repeated name copies its slice once.
	if n := testing.AllocsPerRun(100, func() { DecodeRequest(req, 0) }); n > 5 {
		t.Errorf("DecodeRequest: %v allocations", n)
	}
	if n := testing.AllocsPerRun(100, func() { DecodeResponse(res, 0) }); n > 4 {
		t.Errorf("DecodeResponse: %v allocations", n)
	}
}
