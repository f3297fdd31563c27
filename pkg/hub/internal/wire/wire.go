// Package wire is the codec of the hub protocol. The protocol itself is specified in ../../PROTOCOL.md; keep the two
// in step.
//
// Decoding is strict about what a message must contain and lenient about unknown fields, so that version 1 can grow.
// Decode never panics on any input (see FuzzDecode).
package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Version is the protocol version this codec speaks.
const Version = 1

// Message types.
const (
	TypeBinding       = "binding"
	TypeForward       = "forward"
	TypeUndeliverable = "undeliverable"
	TypeResult        = "result"
	TypeError         = "error"
	TypeRegister      = "register"
	TypeUnregister    = "unregister"
	TypeLookup        = "lookup"
)

// Error codes carried by error messages.
const (
	CodeHostnameTaken    = "hostname-taken"
	CodeHostnameNotFound = "hostname-not-found"
	CodeInvalidHostname  = "invalid-hostname"
	CodeTooManyHostnames = "too-many-hostnames"
	CodeInternal         = "internal"
)

// Close codes beyond RFC 6455's own (which the server also uses: 1000, 1001, 1007, 1008, 1009).
const (
	CloseUnsupportedVersion = 4400
)

// MaxID is the largest request id: ids must be exact as JavaScript numbers.
const MaxID = 1<<53 - 1

// ICEServer is one STUN or TURN server, shaped like the W3C RTCIceServer dictionary.
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

// Message is any protocol message. One flat struct keeps decoding to a single pass; which fields are meaningful
// depends on Type (see PROTOCOL.md), and Validate checks them.
type Message struct {
	Type string `json:"type"`

	// binding
	Version        int         `json:"version,omitempty"`
	Address        string      `json:"address,omitempty"` // also: result of lookup
	ICEServers     []ICEServer `json:"iceServers,omitempty"`
	Resume         string      `json:"resume,omitempty"`
	Resumed        bool        `json:"resumed,omitempty"`
	Grace          int64       `json:"grace,omitempty"` // milliseconds
	MaxMessageSize int         `json:"maxMessageSize,omitempty"`

	// forward, undeliverable
	From   string          `json:"from,omitempty"`
	To     string          `json:"to,omitempty"`
	Data   json.RawMessage `json:"data,omitempty"`
	Reason string          `json:"reason,omitempty"`

	// requests and replies
	ID       uint64 `json:"id,omitempty"`
	Hostname string `json:"hostname,omitempty"`
	Code     string `json:"code,omitempty"`
	Text     string `json:"message,omitempty"`
}

// Direction says who sent a message, because each side may send only some types.
type Direction int

const (
	FromClient Direction = iota
	FromServer
)

// Errors returned by Decode. A *SyntaxError means the bytes are not the JSON the protocol needs (close 1007);
// a *PolicyError means well-formed JSON that breaks a rule (close 1008).
type SyntaxError struct{ Err error }

func (e *SyntaxError) Error() string { return "hub protocol: malformed message: " + e.Err.Error() }
func (e *SyntaxError) Unwrap() error { return e.Err }

type PolicyError struct{ Reason string }

func (e *PolicyError) Error() string { return "hub protocol: " + e.Reason }

func policy(format string, args ...any) error {
	return &PolicyError{Reason: fmt.Sprintf(format, args...)}
}

// Decode parses and validates one message sent in direction dir.
//
// Beyond what encoding/json checks, the bytes must be valid UTF-8 (RFC 8259 section 8.1; json.Unmarshal would
// silently replace bad bytes in strings but keep them inside Data, and a browser fails the whole WebSocket on a text
// message that is not UTF-8, so a hub must never forward one) and the value must be an object.
func Decode(b []byte, dir Direction) (Message, error) {
	if !utf8.Valid(b) {
		return Message{}, &SyntaxError{Err: errors.New("message is not valid UTF-8")}
	}
	if t := bytes.TrimLeft(b, " \t\r\n"); len(t) > 0 && t[0] != '{' {
		return Message{}, &SyntaxError{Err: errors.New("message is not a JSON object")}
	}
	var m Message
	if err := json.Unmarshal(b, &m); err != nil {
		return Message{}, &SyntaxError{Err: err}
	}
	if err := m.Validate(dir); err != nil {
		return Message{}, err
	}
	return m, nil
}

// Validate checks that m is a message its sender may send and carries the fields its type needs.
func (m *Message) Validate(dir Direction) error {
	if m.Type == "" {
		return policy("message has no type")
	}
	if m.ID > MaxID {
		return policy("request id %d is above 2^53-1", m.ID)
	}
	switch dir {
	case FromClient:
		if m.From != "" {
			return policy("clients may not set from")
		}
		switch m.Type {
		case TypeForward:
			if m.To == "" {
				return policy("forward without to")
			}
			if len(m.Data) == 0 {
				return policy("forward without data")
			}
		case TypeRegister, TypeUnregister, TypeLookup:
			if m.ID == 0 {
				return policy("%s without id", m.Type)
			}
			// The hostname's shape is checked by the server, which answers invalid-hostname: a bad name is the
			// application's mistake, not a broken client.
		default:
			return policy("unknown message type %q", truncate(m.Type))
		}
	case FromServer:
		switch m.Type {
		case TypeBinding:
			if m.Address == "" || m.Resume == "" {
				return policy("binding without address or resume token")
			}
		case TypeForward:
			if m.From == "" || len(m.Data) == 0 {
				return policy("forward without from or data")
			}
		case TypeUndeliverable:
			if m.To == "" {
				return policy("undeliverable without to")
			}
		case TypeResult:
			if m.ID == 0 {
				return policy("result without id")
			}
		case TypeError:
			if m.ID == 0 || m.Code == "" {
				return policy("error without id or code")
			}
		default:
			return policy("unknown message type %q", truncate(m.Type))
		}
	}
	return nil
}

// Encode marshals m. It cannot fail for messages built by this package's users: every field is a plain type and
// Data is validated JSON (json.Marshal re-validates RawMessage and would report a broken one).
func Encode(m *Message) ([]byte, error) {
	return json.Marshal(m)
}

// AppendForward appends the server-to-client forward message {"type":"forward","from":from,"data":data} to b.
// It is the hub's hot path, so it skips reflection; from is a server-made address (base32, no escaping needed) and
// data was validated as JSON when the sender's message was decoded.
func AppendForward(b []byte, from string, data json.RawMessage) []byte {
	b = append(b, `{"type":"forward","from":`...)
	b = strconv.AppendQuote(b, from)
	b = append(b, `,"data":`...)
	b = append(b, data...)
	return append(b, '}')
}

// ValidHostname reports whether name (already lowercased) is an acceptable hostname.
func ValidHostname(name string) bool {
	if len(name) == 0 || len(name) > 253 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '.', c == '_':
		default:
			return false
		}
	}
	return true
}

// NormalizeHostname lowercases name and checks it. Only ASCII letters are folded: strings.ToLower alone would also
// turn non-ASCII characters such as the Kelvin sign (U+212A) into ASCII letters and accept them.
func NormalizeHostname(name string) (string, error) {
	for i := 0; i < len(name); i++ {
		if name[i] >= 0x80 {
			return "", errInvalidHostname
		}
	}
	n := strings.ToLower(name) // ASCII only now; returns name itself when it has no capitals
	if !ValidHostname(n) {
		return "", errInvalidHostname
	}
	return n, nil
}

var errInvalidHostname = errors.New("hostname must be 1-253 characters of a-z 0-9 - . _")

func truncate(s string) string {
	if len(s) > 32 {
		return s[:32] + "…"
	}
	return s
}

// IsJSON reports whether data is one valid JSON value (used by clients before sending, so a bad payload is the
// caller's error rather than a closed connection).
func IsJSON(data []byte) bool {
	return len(bytes.TrimSpace(data)) > 0 && json.Valid(data)
}
