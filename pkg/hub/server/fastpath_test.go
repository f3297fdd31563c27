//go:build !js

package server

import (
	"bytes"
	"testing"

	"github.com/smokenet/smoke/pkg/hub/internal/wire"
)

// FuzzDecodeForward checks that decodeForward accepts only what wire.Decode accepts, with the same meaning.
//
//	go test -fuzz=FuzzDecodeForward -fuzztime=30s ./pkg/hub/server
func FuzzDecodeForward(f *testing.F) {
	for _, seed := range []string{
		`{"type":"forward","to":"k3x9q0v2m7c4d8f1","data":{"sdp":"v=0\r\no=- 1 2 IN IP4 127.0.0.1"}}`,
		` { "type" : "forward" , "to" : "a" , "data" : null } `,
		`{"type":"forward","to":"a","data":"<&>\u2028"}`,
		`{"type":"forward","to":"a","data": [1, 2.5e10, -0, true, {"x":"\ud800"}] }`,
		`{"type":"forward","to":"a","data":1}}`,
		`{"type":"forward","to":"a","data":}`,
		`{"type":"forward","to":"","data":1}`,
		`{"type":"forward","to":"a\"","data":1}`,
		`{"type":"forward","to":"a\u0062","data":1}`,
		`{"type":"forward","to":"a","from":"b","data":1}`,
		`{"type":"forward","to":"a","data":1,"data":2}`,
		`{"type":"forward","to":"a","data":{"type":"x"},"to":"b"}`,
		`{"type":"forward","to":"a","data":{}`,
		"{\"type\":\"forward\",\"to\":\"\xff\",\"data\":1}",
		"{\"type\":\"forward\",\"to\":\"a\tb\",\"data\":1}",
		`{"TYPE":"forward","To":"a","DATA":1}`,
		`{"type":"lookup","id":9,"hostname":"x"}`,
		`{"type":"forward","to":"a","data":"}`, `{}`, `null`, ``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, ok := decodeForward(b)
		if !ok {
			return
		}
		want, err := wire.Decode(b, wire.FromClient)
		if err != nil {
			t.Fatalf("decodeForward accepted %q, which wire.Decode rejects: %v", b, err)
		}
		if want.Type != m.Type || want.To != m.To || !bytes.Equal(want.Data, m.Data) || want.ID != 0 || want.Hostname != "" {
			t.Fatalf("%q: decodeForward made %+v, wire.Decode %+v", b, m, want)
		}
	})
}
