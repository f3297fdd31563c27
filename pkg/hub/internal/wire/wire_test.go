package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestDecode(t *testing.T) {
	const (
		ok     = ""
		syntax = "syntax"
		policy = "policy"
	)
	tests := []struct {
		name string
		dir  Direction
		in   string
		want string // ok, syntax or policy
	}{
		// Client messages that are fine.
		{"forward", FromClient, `{"type":"forward","to":"k3x9q0v2m7c4d8f1","data":{"sdp":"v=0"}}`, ok},
		{"forward null data", FromClient, `{"type":"forward","to":"a","data":null}`, ok},
		{"forward string data", FromClient, `{"type":"forward","to":"a","data":"x"}`, ok},
		{"unknown fields ignored", FromClient, `{"type":"forward","to":"a","data":1,"future":{"x":[1]}}`, ok},
		{"whitespace around", FromClient, " \t\r\n{\"type\":\"lookup\",\"id\":1,\"hostname\":\"x\"} \n", ok},
		{"register", FromClient, `{"type":"register","id":7,"hostname":"db.example"}`, ok},
		{"unregister", FromClient, `{"type":"unregister","id":8,"hostname":"db.example"}`, ok},
		{"lookup", FromClient, `{"type":"lookup","id":9007199254740991,"hostname":"db"}`, ok},
		{"bad hostname is the server's to judge", FromClient, `{"type":"register","id":1,"hostname":"NOT valid!"}`, ok},
		{"empty from is no from", FromClient, `{"type":"forward","from":"","to":"a","data":1}`, ok},

		// Not the JSON the protocol needs: 1007.
		{"truncated", FromClient, `{"type":"forward",`, syntax},
		{"empty", FromClient, ``, syntax},
		{"not JSON", FromClient, `hello`, syntax},
		{"array", FromClient, `["forward"]`, syntax},
		{"string", FromClient, `"forward"`, syntax},
		{"null", FromClient, `null`, syntax},
		{"number", FromClient, `7`, syntax},
		{"two values", FromClient, `{"type":"lookup","id":1}{}`, syntax},
		{"type not a string", FromClient, `{"type":5}`, syntax},
		{"id a string", FromClient, `{"type":"lookup","id":"1","hostname":"x"}`, syntax},
		{"id negative", FromClient, `{"type":"lookup","id":-1,"hostname":"x"}`, syntax},
		{"id fractional", FromClient, `{"type":"lookup","id":1.5,"hostname":"x"}`, syntax},
		{"hostname not a string", FromClient, `{"type":"lookup","id":1,"hostname":7}`, syntax},
		{"invalid UTF-8 in data", FromClient, "{\"type\":\"forward\",\"to\":\"a\",\"data\":\"\xff\"}", syntax},
		{"invalid UTF-8 in a field", FromClient, "{\"type\":\"forward\",\"to\":\"\xc3\",\"data\":1}", syntax},
		{"bad data", FromClient, `{"type":"forward","to":"a","data":{]}`, syntax},

		// Well-formed but against the rules: 1008.
		{"no type", FromClient, `{"to":"a","data":1}`, policy},
		{"empty object", FromClient, `{}`, policy},
		{"unknown type", FromClient, `{"type":"teleport"}`, policy},
		{"server type from client", FromClient, `{"type":"result","id":1}`, policy},
		{"from set", FromClient, `{"type":"forward","from":"x","to":"a","data":1}`, policy},
		{"forward without to", FromClient, `{"type":"forward","data":1}`, policy},
		{"forward without data", FromClient, `{"type":"forward","to":"a"}`, policy},
		{"register without id", FromClient, `{"type":"register","hostname":"x"}`, policy},
		{"lookup id zero", FromClient, `{"type":"lookup","id":0,"hostname":"x"}`, policy},
		{"id above 2^53-1", FromClient, `{"type":"lookup","id":9007199254740992,"hostname":"x"}`, policy},

		// Server messages.
		{"binding", FromServer, `{"type":"binding","version":1,"address":"a","resume":"r","grace":30000,"maxMessageSize":65536,"iceServers":[{"urls":["stun:x"]}]}`, ok},
		{"binding without resume", FromServer, `{"type":"binding","address":"a"}`, policy},
		{"server forward", FromServer, `{"type":"forward","from":"a","data":[]}`, ok},
		{"server forward without from", FromServer, `{"type":"forward","data":[]}`, policy},
		{"undeliverable", FromServer, `{"type":"undeliverable","to":"a","reason":"unknown address"}`, ok},
		{"undeliverable without to", FromServer, `{"type":"undeliverable","reason":"x"}`, policy},
		{"result", FromServer, `{"type":"result","id":3,"address":"a"}`, ok},
		{"result without id", FromServer, `{"type":"result"}`, policy},
		{"error", FromServer, `{"type":"error","id":3,"code":"hostname-taken","message":"no"}`, ok},
		{"error without code", FromServer, `{"type":"error","id":3}`, policy},
		{"client type from server", FromServer, `{"type":"register","id":1,"hostname":"x"}`, policy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.in), tt.dir)
			var se *SyntaxError
			var pe *PolicyError
			switch {
			case tt.want == ok && err != nil:
				t.Errorf("Decode: %v", err)
			case tt.want == syntax && !errors.As(err, &se):
				t.Errorf("Decode: %v, want a *SyntaxError", err)
			case tt.want == policy && !errors.As(err, &pe):
				t.Errorf("Decode: %v, want a *PolicyError", err)
			}
		})
	}
}

func TestDecodeFields(t *testing.T) {
	m, err := Decode([]byte(`{"type":"forward","to":"k3x9","data": {"a" : [1, 2]} }`), FromClient)
	if err != nil {
		t.Fatal(err)
	}
	if m.Type != TypeForward || m.To != "k3x9" || string(m.Data) != `{"a" : [1, 2]}` {
		t.Errorf("got %+v (data %s)", m, m.Data)
	}
	m, err = Decode([]byte(`{"type":"error","id":9,"code":"hostname-taken","message":"held"}`), FromServer)
	if err != nil {
		t.Fatal(err)
	}
	if m.ID != 9 || m.Code != CodeHostnameTaken || m.Text != "held" {
		t.Errorf("got %+v", m)
	}
}

func TestUnknownTypeTruncated(t *testing.T) {
	_, err := Decode([]byte(`{"type":"`+strings.Repeat("x", 1000)+`"}`), FromClient)
	if err == nil || len(err.Error()) > 100 {
		t.Errorf("error %q", err)
	}
}

func TestAppendForward(t *testing.T) {
	for _, data := range []string{`1`, `null`, `"x"`, `{"sdp":"v=0\r\n","n":[1,2.5]}`, `"\u00e9\ud83d\ude00"`} {
		b := AppendForward([]byte("prefix"), "k3x9q0v2m7c4d8f1", json.RawMessage(data))
		b, ok := bytes.CutPrefix(b, []byte("prefix"))
		if !ok {
			t.Fatal("prefix lost")
		}
		m, err := Decode(b, FromServer)
		if err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if m.Type != TypeForward || m.From != "k3x9q0v2m7c4d8f1" || string(m.Data) != data {
			t.Errorf("%s decoded to %+v", b, m)
		}
		// Same bytes as the reflective encoder would make, minus its HTML escaping.
		want, _ := Encode(&Message{Type: TypeForward, From: "k3x9q0v2m7c4d8f1", Data: json.RawMessage(data)})
		var a, e any
		json.Unmarshal(b, &a)
		json.Unmarshal(want, &e)
		if !reflect.DeepEqual(a, e) {
			t.Errorf("AppendForward %s, Encode %s", b, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() {
		AppendForward(make([]byte, 0, 128), "k3x9q0v2m7c4d8f1", json.RawMessage(`{"candidate":"x"}`))
	}); n > 1 {
		t.Errorf("AppendForward allocates %v times beyond its buffer", n-1)
	}
}

func TestHostnames(t *testing.T) {
	for name, want := range map[string]string{
		"db":                     "db",
		"DB.Example":             "db.example",
		"a-b_c.0":                "a-b_c.0",
		strings.Repeat("a", 253): strings.Repeat("a", 253),
		"":                       "",
		strings.Repeat("a", 254): "",
		"has space":              "",
		"ünï":                    "",
		"slash/":                 "",
		"colon:80":               "",
		"\u212Aey":               "", // the Kelvin sign lowercases to an ASCII k, but is not ASCII
	} {
		got, err := NormalizeHostname(name)
		if want == "" && err == nil {
			t.Errorf("NormalizeHostname(%q) = %q, want an error", name, got)
		}
		if want != "" && (err != nil || got != want) {
			t.Errorf("NormalizeHostname(%q) = %q, %v; want %q", name, got, err, want)
		}
	}
}

func TestIsJSON(t *testing.T) {
	for in, want := range map[string]bool{`1`: true, ` {"a":1} `: true, `null`: true, ``: false, `  `: false, `{`: false, `1 2`: false} {
		if IsJSON([]byte(in)) != want {
			t.Errorf("IsJSON(%q) = %v", in, !want)
		}
	}
}
