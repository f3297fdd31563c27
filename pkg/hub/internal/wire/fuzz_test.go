//go:build !js

package wire

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"unicode/utf8"
)

// FuzzDecode checks that Decode never panics, that what it accepts re-encodes to a message it accepts again with
// the same meaning, and that the hub's hot-path encoder agrees with it.
//
//	go test -fuzz=FuzzDecode -fuzztime=30s ./pkg/hub/internal/wire
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		`{"type":"forward","to":"k3x9q0v2m7c4d8f1","data":{"sdp":"v=0\r\no=- 1 2 IN IP4 127.0.0.1"}}`,
		`{"type":"forward","to":"a","data":null}`,
		`{"type":"forward","to":"a","data":"<&>\u2028"}`,
		`{"type":"forward","to":"a","data": [1, 2.5e10, -0, true, {"x":"\ud800"}] }`,
		`{"type":"register","id":7,"hostname":"db.example"}`,
		`{"type":"unregister","id":8,"hostname":"DB"}`,
		`{"type":"lookup","id":9007199254740991,"hostname":"x"}`,
		`{"type":"lookup","id":9007199254740992,"hostname":"x"}`,
		`{"type":"binding","version":1,"address":"k3x9q0v2m7c4d8f1","iceServers":[{"urls":["stun:x"],"username":"u","credential":"c"}],"resume":"rT0k","resumed":true,"grace":30000,"maxMessageSize":65536}`,
		`{"type":"binding","address":"a","resume":"b","iceServers":[]}`,
		`{"type":"forward","from":"k3x9q0v2m7c4d8f1","data":{"any":"json value"}}`,
		`{"type":"undeliverable","to":"zzzz","reason":"unknown address"}`,
		`{"type":"result","id":8,"address":"k3x9q0v2m7c4d8f1"}`,
		`{"type":"error","id":9,"code":"hostname-taken","message":"hostname \"db\" is held by another node"}`,
		`{"TYPE":"forward","To":"a","DATA":1}`,
		`{"type":"forward","to":"a","to":"b","data":1}`,
		`{"type":5}`, `{"type":"x"}`, `{}`, `null`, `[]`, `"x"`, `{"type":"forward",`, "{\"type\":\"\xff\"}", ``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, dir := range []Direction{FromClient, FromServer} {
			m, err := Decode(b, dir)
			if err != nil {
				continue
			}
			if !utf8.Valid(b) || !json.Valid(b) {
				t.Fatalf("accepted %q, which is not valid UTF-8 JSON", b)
			}
			enc, err := Encode(&m)
			if err != nil {
				t.Fatalf("Encode(%+v): %v", m, err)
			}
			m2, err := Decode(enc, dir)
			if err != nil {
				t.Fatalf("re-encoded %q to %q, which Decode rejects: %v", b, enc, err)
			}
			if !sameMessage(m, m2) {
				t.Fatalf("%q decoded to %+v, re-encoded %q to %+v", b, m, enc, m2)
			}
			if enc2, _ := Encode(&m2); !bytes.Equal(enc, enc2) {
				t.Fatalf("encoding is not a fixed point: %q then %q", enc, enc2)
			}
			if dir == FromClient && m.Type == TypeForward {
				out := AppendForward(nil, "k3x9q0v2m7c4d8f1", m.Data)
				fwd, err := Decode(out, FromServer)
				if err != nil || fwd.From != "k3x9q0v2m7c4d8f1" || !bytes.Equal(fwd.Data, m.Data) {
					t.Fatalf("AppendForward of %q made %q: %+v, %v", m.Data, out, fwd, err)
				}
			}
		}
	})
}

// sameMessage compares decoded messages as the protocol does: Data as JSON values (Encode compacts it and escapes
// <, > and &), and absent lists the same as empty ones.
func sameMessage(a, b Message) bool {
	var want bytes.Buffer
	if len(a.Data) > 0 {
		var compact bytes.Buffer
		if err := json.Compact(&compact, a.Data); err != nil {
			return false
		}
		json.HTMLEscape(&want, compact.Bytes())
	}
	if !bytes.Equal(want.Bytes(), b.Data) {
		return false
	}
	a.Data, b.Data = nil, nil
	if len(a.ICEServers) == 0 {
		a.ICEServers = nil
	}
	if len(b.ICEServers) == 0 {
		b.ICEServers = nil
	}
	return reflect.DeepEqual(a, b)
}
