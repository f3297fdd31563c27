package server

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"

	"github.com/smokenet/smoke/pkg/hub/internal/wire"
)

// decodeForward decodes the message the hub relays most, {"type":"forward","to":"…","data":…} with its keys in
// that order (as clients write it) and plain strings, in one pass over the bytes plus json.Valid over data, where
// wire.Decode takes a validating pass and a reflective decoding pass. It reports false for anything else,
// including every malformed or unusual message, which then goes through wire.Decode: ok means exactly that
// wire.Decode(b, wire.FromClient) would return a forward with the same To and Data (FuzzDecodeForward checks it).
// Data aliases b.
func decodeForward(b []byte) (m wire.Message, ok bool) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return m, false
	}
	var typ, to []byte
	for _, key := range [...]string{"type", "to"} {
		i = skipSpace(b, i+1)
		k, j, ok := plainString(b, i)
		if !ok || string(k) != key {
			return m, false
		}
		if i = skipSpace(b, j); i >= len(b) || b[i] != ':' {
			return m, false
		}
		v, j, ok := plainString(b, skipSpace(b, i+1))
		if !ok {
			return m, false
		}
		if i = skipSpace(b, j); i >= len(b) || b[i] != ',' {
			return m, false
		}
		if key == "type" {
			typ = v
		} else {
			to = v
		}
	}
	if string(typ) != wire.TypeForward || len(to) == 0 {
		return m, false
	}
	i = skipSpace(b, i+1)
	k, j, ok := plainString(b, i)
	if !ok || string(k) != "data" {
		return m, false
	}
	if i = skipSpace(b, j); i >= len(b) || b[i] != ':' {
		return m, false
	}
	// data is the last member: its value runs to the object's closing brace, the last non-space byte.
	end := len(b)
	for end > i && isSpace(b[end-1]) {
		end--
	}
	if end <= i+1 || b[end-1] != '}' {
		return m, false
	}
	start := skipSpace(b, i+1)
	last := end - 1
	for last > start && isSpace(b[last-1]) {
		last--
	}
	data := b[start:last]
	if len(data) == 0 || !utf8.Valid(b) || !json.Valid(data) {
		return m, false
	}
	return wire.Message{Type: wire.TypeForward, To: string(to), Data: data}, true
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// plainString reads the JSON string starting at b[i] if it has no escapes and no control characters (bytes from
// 0x80 are left to the caller's UTF-8 check), returning its contents and the index after its closing quote.
func plainString(b []byte, i int) (s []byte, next int, ok bool) {
	if i >= len(b) || b[i] != '"' {
		return nil, 0, false
	}
	j := bytes.IndexByte(b[i+1:], '"')
	if j < 0 {
		return nil, 0, false
	}
	s = b[i+1 : i+1+j]
	for _, c := range s {
		if c < 0x20 || c == '\\' {
			return nil, 0, false
		}
	}
	return s, i + 2 + j, true
}
