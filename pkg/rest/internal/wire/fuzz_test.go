//go:build !js

package wire

import (
	"bytes"
	"reflect"
	"testing"
)

// FuzzDecodeHead feeds arbitrary messages to every decoder: none may panic, and whatever decodes must encode back
// to a message that decodes to the same thing.
func FuzzDecodeHead(f *testing.F) {
	f.Add(AppendRequest(nil, &RequestHead{Method: "GET", Target: "/", Host: "0.0.0.2", ContentLength: 0}, true, nil))
	f.Add(AppendRequest(nil, &RequestHead{Method: "POST", Target: "/x?y=z", Host: "h", ContentLength: -1,
		Header: Header{"Content-Type": {"text/plain"}, "X-A": {"1", "2"}}}, false, []byte("part")))
	f.Add(AppendResponse(nil, &ResponseHead{Status: 200, Kind: KindRecords, Window: 16, ContentLength: -1}, false, []byte(`{"a":1}`)))
	f.Add(AppendResponse(nil, &ResponseHead{Status: 413, ContentLength: 4, Close: true, Header: Header{"A": {"b"}}}, true, []byte("body")))
	f.Add(AppendData(nil, true, []byte("x")))
	f.Add(AppendDemand(nil, 8))
	f.Add([]byte{TypeRequest, 1, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Add([]byte{TypeRequest, 1, 3, 'G', 'E', 'T', 1, '/', 0, 1, 0xff, 0xff, 0x03})
	f.Fuzz(func(t *testing.T, msg []byte) {
		if h, end, body, err := DecodeRequest(msg, 1<<10); err == nil {
			again := AppendRequest(nil, &h, end, body)
			h2, end2, body2, err := DecodeRequest(again, 0)
			if err != nil || end2 != end || !bytes.Equal(body2, body) || !reflect.DeepEqual(h2, h) {
				t.Fatalf("request does not round-trip: %+v → %+v (%v)", h, h2, err)
			}
		}
		if h, end, body, err := DecodeResponse(msg, 1<<10); err == nil {
			again := AppendResponse(nil, &h, end, body)
			h2, end2, body2, err := DecodeResponse(again, 0)
			if err != nil || end2 != end || !bytes.Equal(body2, body) || !reflect.DeepEqual(h2, h) {
				t.Fatalf("response does not round-trip: %+v → %+v (%v)", h, h2, err)
			}
		}
		DecodeData(msg)
		DecodeDemand(msg)
		Type(msg)
	})
}
