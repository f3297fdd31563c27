// Package frame is the codec of the Smoke socket protocol: how one socket's frames look on a link. The protocol
// itself is specified in SPEC.md beside this file; keep the two in step.
//
// Decode checks every rule that needs nothing but the frame (SPEC.md §7) and never panics on any input (see
// FuzzDecode); rules that need the session's state (sizes against the peer's limits, credit, order) belong to the
// session. The Append functions build frames into a caller's buffer, so a sender can reuse one buffer for every
// frame.
package frame

import (
	"encoding/binary"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Version is the protocol version this codec speaks.
const Version = 1

// Limits and sizes fixed by the protocol.
const (
	// DefaultMaxFrame is the max-frame a side advertises unless configured otherwise: frames stay within the
	// interoperable datachannel message size.
	DefaultMaxFrame = 16 << 10
	// MinMaxFrame is the smallest max-frame a side may advertise, and the size every handshake frame fits in.
	MinMaxFrame = 1 << 10
	// MaxMaxFrame is the largest max-frame a side may advertise.
	MaxMaxFrame = 16 << 20
	// MinWindow is the smallest receive window a side may advertise.
	MinWindow = 1 << 10
	// MaxVarint is the largest value of a uv field: every value is exact as a JavaScript number.
	MaxVarint = 1<<53 - 1
	// MaxReason is the longest reason of a REJECT or CLOSE, in bytes.
	MaxReason = 123
	// Cost is the credit a data frame consumes on top of its payload.
	Cost = 32
	// PingLen is the size of a PING's or PONG's data.
	PingLen = 8
	// MaxStartHeader is the longest START header: type, kind and an 8-byte length.
	MaxStartHeader = 1 + 1 + 8
	// ContHeader is the size of a CONT header.
	ContHeader = 1
)

// Type is a frame's type, its first byte.
type Type uint8

// Frame types (SPEC.md §1).
const (
	Hello  Type = 0x01
	Accept Type = 0x02
	Reject Type = 0x03
	Start  Type = 0x04
	Cont   Type = 0x05
	Abort  Type = 0x06
	Credit Type = 0x07
	Close  Type = 0x08
	Ping   Type = 0x09
	Pong   Type = 0x0A
)

var typeNames = [...]string{
	Hello: "HELLO", Accept: "ACCEPT", Reject: "REJECT", Start: "START", Cont: "CONT", Abort: "ABORT",
	Credit: "CREDIT", Close: "CLOSE", Ping: "PING", Pong: "PONG",
}

func (t Type) String() string {
	if int(t) < len(typeNames) && typeNames[t] != "" {
		return typeNames[t]
	}
	return fmt.Sprintf("type 0x%02x", uint8(t))
}

// IsData reports whether frames of type t carry message data and consume credit.
func (t Type) IsData() bool { return t == Start || t == Cont || t == Abort }

// Kind is a message's kind, carried by its START.
type Kind uint8

// Message kinds.
const (
	Binary Kind = 0
	Text   Kind = 1
)

// Params are what HELLO and ACCEPT advertise.
type Params struct {
	Version    uint8
	Window     uint64 // receive window: the credit granted to the other side at the start
	MaxMessage uint64 // largest message accepted, in bytes
	MaxFrame   uint64 // largest frame accepted, in bytes
}

// Frame is one decoded frame. Which fields are meaningful depends on Type.
type Frame struct {
	Type   Type
	Params Params // HELLO, ACCEPT
	Kind   Kind   // START
	Length uint64 // START: the message's total length
	// Payload is the data of a START or CONT. It aliases the decoded bytes.
	Payload []byte
	Credit  uint64        // CREDIT: the increment
	Code    uint16        // REJECT, CLOSE
	Reason  string        // REJECT, CLOSE
	Data    [PingLen]byte // PING, PONG
}

// Cost is the credit the frame consumes: 32 plus the payload of a data frame, 0 for a control frame.
func (f *Frame) Cost() uint64 {
	if f.Type.IsData() {
		return Cost + uint64(len(f.Payload))
	}
	return 0
}

// An Error describes a frame that breaks a rule of SPEC.md.
type Error struct {
	Type   Type // 0 when the frame is empty
	Reason string
}

func (e *Error) Error() string {
	if e.Type == 0 {
		return "frame: " + e.Reason
	}
	return "frame: malformed " + e.Type.String() + " frame: " + e.Reason
}

func malformed(t Type, format string, args ...any) error {
	return &Error{Type: t, Reason: fmt.Sprintf(format, args...)}
}

// ValidCode reports whether code may be sent in a REJECT or CLOSE (RFC 6455 §7.4).
func ValidCode(code uint16) bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1014, code >= 3000 && code <= 4999:
		return true
	}
	return false
}

// Decode parses one frame. The returned Payload aliases b.
func Decode(b []byte) (Frame, error) {
	if len(b) == 0 {
		return Frame{}, &Error{Reason: "empty frame"}
	}
	f := Frame{Type: Type(b[0])}
	p := b[1:]
	switch f.Type {
	case Hello, Accept:
		if len(p) < 1 {
			return Frame{}, malformed(f.Type, "no version")
		}
		f.Params.Version = p[0]
		if f.Params.Version == 0 {
			return Frame{}, malformed(f.Type, "version 0")
		}
		p = p[1:]
		var err error
		if f.Params.Window, p, err = uvarint(p); err != nil {
			return Frame{}, malformed(f.Type, "window: %v", err)
		}
		if f.Params.MaxMessage, p, err = uvarint(p); err != nil {
			return Frame{}, malformed(f.Type, "max-message: %v", err)
		}
		if f.Params.MaxFrame, _, err = uvarint(p); err != nil {
			return Frame{}, malformed(f.Type, "max-frame: %v", err)
		}
		// What follows max-frame is for later versions (SPEC.md §2).
		if f.Params.Window < MinWindow {
			return Frame{}, malformed(f.Type, "window %d is below %d", f.Params.Window, MinWindow)
		}
		if f.Params.MaxFrame < MinMaxFrame || f.Params.MaxFrame > MaxMaxFrame {
			return Frame{}, malformed(f.Type, "max-frame %d is outside [%d, %d]", f.Params.MaxFrame, MinMaxFrame, MaxMaxFrame)
		}
	case Reject, Close:
		if len(p) < 2 {
			return Frame{}, malformed(f.Type, "no code")
		}
		f.Code = binary.BigEndian.Uint16(p)
		if !ValidCode(f.Code) {
			return Frame{}, malformed(f.Type, "code %d may not be sent", f.Code)
		}
		r := p[2:]
		if len(r) > MaxReason {
			return Frame{}, malformed(f.Type, "reason of %d bytes is over %d", len(r), MaxReason)
		}
		if !utf8.Valid(r) {
			return Frame{}, malformed(f.Type, "reason is not valid UTF-8")
		}
		f.Reason = string(r)
	case Start:
		if len(p) < 1 {
			return Frame{}, malformed(f.Type, "no kind")
		}
		f.Kind = Kind(p[0])
		if f.Kind != Binary && f.Kind != Text {
			return Frame{}, malformed(f.Type, "unknown kind %d", p[0])
		}
		var err error
		if f.Length, p, err = uvarint(p[1:]); err != nil {
			return Frame{}, malformed(f.Type, "length: %v", err)
		}
		if uint64(len(p)) > f.Length {
			return Frame{}, malformed(f.Type, "%d payload bytes for a message of %d", len(p), f.Length)
		}
		if len(p) == 0 && f.Length != 0 {
			return Frame{}, malformed(f.Type, "no payload for a message of %d", f.Length)
		}
		f.Payload = p
	case Cont:
		if len(p) == 0 {
			return Frame{}, malformed(f.Type, "no payload")
		}
		f.Payload = p
	case Abort:
		if len(p) != 0 {
			return Frame{}, malformed(f.Type, "%d trailing bytes", len(p))
		}
	case Credit:
		var err error
		if f.Credit, p, err = uvarint(p); err != nil {
			return Frame{}, malformed(f.Type, "increment: %v", err)
		}
		if f.Credit == 0 {
			return Frame{}, malformed(f.Type, "increment 0")
		}
		if len(p) != 0 {
			return Frame{}, malformed(f.Type, "%d trailing bytes", len(p))
		}
	case Ping, Pong:
		if len(p) != PingLen {
			return Frame{}, malformed(f.Type, "%d bytes of data, want %d", len(p), PingLen)
		}
		copy(f.Data[:], p)
	default:
		return Frame{}, &Error{Reason: fmt.Sprintf("unknown frame type 0x%02x", b[0])}
	}
	return f, nil
}

type varintError string

func (e varintError) Error() string { return string(e) }

const (
	errVarintTruncated  = varintError("truncated varint")
	errVarintLong       = varintError("varint longer than 8 bytes")
	errVarintNotMinimal = varintError("varint is not minimal")
	errVarintRange      = varintError("varint above 2^53-1")
)

// uvarint reads one uv field (SPEC.md §1) and returns the rest of p.
func uvarint(p []byte) (uint64, []byte, error) {
	var v uint64
	for i := 0; i < len(p); i++ {
		if i == 8 {
			return 0, nil, errVarintLong
		}
		c := p[i]
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			if c == 0 && i > 0 {
				return 0, nil, errVarintNotMinimal
			}
			if v > MaxVarint {
				return 0, nil, errVarintRange
			}
			return v, p[i+1:], nil
		}
	}
	return 0, nil, errVarintTruncated
}

// VarintLen is the size of v as a uv field.
func VarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// StartHeaderLen is the size of a START header for a message of length bytes.
func StartHeaderLen(length uint64) int { return 2 + VarintLen(length) }

// AppendHello appends a HELLO (t == Hello) or ACCEPT (t == Accept) carrying p.
func AppendHello(dst []byte, t Type, p Params) []byte {
	dst = append(dst, byte(t), p.Version)
	dst = binary.AppendUvarint(dst, p.Window)
	dst = binary.AppendUvarint(dst, p.MaxMessage)
	return binary.AppendUvarint(dst, p.MaxFrame)
}

// AppendReject appends a REJECT. The reason is cut to MaxReason bytes of valid UTF-8 (see Reason).
func AppendReject(dst []byte, code uint16, reason string) []byte {
	return appendCodeReason(dst, Reject, code, reason)
}

// AppendClose appends a CLOSE. The reason is cut to MaxReason bytes of valid UTF-8 (see Reason).
func AppendClose(dst []byte, code uint16, reason string) []byte {
	return appendCodeReason(dst, Close, code, reason)
}

func appendCodeReason(dst []byte, t Type, code uint16, reason string) []byte {
	dst = append(dst, byte(t))
	dst = binary.BigEndian.AppendUint16(dst, code)
	return append(dst, Reason(reason)...)
}

// Reason returns s as a valid reason: invalid UTF-8 replaced, then cut at a character boundary to at most MaxReason
// bytes.
func Reason(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if len(s) <= MaxReason {
		return s
	}
	n := MaxReason
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// AppendStart appends a START of a message of kind k and length bytes, carrying payload (the message's first
// bytes; len(payload) ≤ length).
func AppendStart(dst []byte, k Kind, length uint64, payload []byte) []byte {
	dst = append(dst, byte(Start), byte(k))
	dst = binary.AppendUvarint(dst, length)
	return append(dst, payload...)
}

// AppendCont appends a CONT carrying payload.
func AppendCont(dst []byte, payload []byte) []byte {
	dst = append(dst, byte(Cont))
	return append(dst, payload...)
}

// AppendAbort appends an ABORT.
func AppendAbort(dst []byte) []byte { return append(dst, byte(Abort)) }

// AppendCredit appends a CREDIT granting n bytes.
func AppendCredit(dst []byte, n uint64) []byte {
	dst = append(dst, byte(Credit))
	return binary.AppendUvarint(dst, n)
}

// AppendPing appends a PING (t == Ping) or PONG (t == Pong) carrying data.
func AppendPing(dst []byte, t Type, data [PingLen]byte) []byte {
	dst = append(dst, byte(t))
	return append(dst, data[:]...)
}

// Append appends f, encoded by the Append function of its type. It is the inverse of Decode for the frames Decode
// accepts (except that HELLO and ACCEPT extensions are not kept).
func Append(dst []byte, f *Frame) []byte {
	switch f.Type {
	case Hello, Accept:
		return AppendHello(dst, f.Type, f.Params)
	case Reject:
		return AppendReject(dst, f.Code, f.Reason)
	case Close:
		return AppendClose(dst, f.Code, f.Reason)
	case Start:
		return AppendStart(dst, f.Kind, f.Length, f.Payload)
	case Cont:
		return AppendCont(dst, f.Payload)
	case Abort:
		return AppendAbort(dst)
	case Credit:
		return AppendCredit(dst, f.Credit)
	case Ping, Pong:
		return AppendPing(dst, f.Type, f.Data)
	}
	return append(dst, byte(f.Type))
}
