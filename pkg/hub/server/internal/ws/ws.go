// Package ws is the server side of the WebSocket protocol (RFC 6455) as the hub needs it: the opening handshake,
// a push decoder for the frames clients send (masked, possibly fragmented, with control frames between the
// fragments), and encoders for the frames the server sends (unmasked). It holds no connection state beyond one
// message in progress and does no I/O, so the hub can feed it from a shared buffer when the poller says a socket is
// readable, and no goroutine or buffer has to wait per idle connection.
//
// Not supported, since the hub's clients never negotiate them: extensions (permessage-deflate; a reserved bit set
// is a protocol error) and subprotocols.
package ws

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"
)

// Opcodes (RFC 6455 section 5.2).
const (
	OpContinuation = 0x0
	OpText         = 0x1
	OpBinary       = 0x2
	OpClose        = 0x8
	OpPing         = 0x9
	OpPong         = 0xA
)

// StatusCode is a close code (RFC 6455 section 7.4).
type StatusCode uint16

// The close codes the hub sends or reads (RFC 6455 section 7.4.1; 1013 from the IANA registry).
const (
	StatusNormalClosure   StatusCode = 1000
	StatusGoingAway       StatusCode = 1001
	StatusProtocolError   StatusCode = 1002
	StatusUnsupportedData StatusCode = 1003
	StatusNoStatus        StatusCode = 1005 // never on the wire: a close frame without a code
	StatusAbnormal        StatusCode = 1006 // never on the wire: the connection ended without a close frame
	StatusInvalidPayload  StatusCode = 1007
	StatusPolicyViolation StatusCode = 1008
	StatusMessageTooBig   StatusCode = 1009
	StatusInternalError   StatusCode = 1011
	StatusTryAgainLater   StatusCode = 1013
)

// CloseError is a close frame: the one the peer sent, or the one the server must send because of what the peer did.
type CloseError struct {
	Code   StatusCode
	Reason string
}

func (e *CloseError) Error() string { return fmt.Sprintf("websocket: close %d %s", e.Code, e.Reason) }

// CloseStatus returns the code of the CloseError in err's chain, or 0 (like coder/websocket's CloseStatus, with 0
// for none instead of -1).
func CloseStatus(err error) StatusCode {
	var ce *CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return 0
}

func protocolError(format string, args ...any) *CloseError {
	return &CloseError{Code: StatusProtocolError, Reason: fmt.Sprintf(format, args...)}
}

// MaxControlPayload is the largest payload of a control frame (RFC 6455 section 5.5), and so also bounds a close
// reason (two bytes go to the code).
const MaxControlPayload = 125

// MaxHeader is the longest frame header: 2 bytes, 8 of extended length, 4 of masking key.
const MaxHeader = 14

// Header is a frame header.
type Header struct {
	Fin    bool
	Op     byte
	Masked bool
	Key    [4]byte
	Len    uint64 // payload length
}

// HeaderLen returns the length of the header starting with b, or 0 if b has fewer than 2 bytes.
func HeaderLen(b []byte) int {
	if len(b) < 2 {
		return 0
	}
	n := 2
	switch b[1] & 0x7f {
	case 126:
		n += 2
	case 127:
		n += 8
	}
	if b[1]&0x80 != 0 {
		n += 4
	}
	return n
}

// ParseHeader parses the header of a frame a client sent, at the start of b. It returns n == 0 and no error when b
// does not hold the whole header yet, and a *CloseError (1002) for a header RFC 6455 forbids a client to send:
// reserved bits set (no extension is negotiated), a reserved opcode, a fragmented or overlong control frame, an
// unmasked frame (section 5.1), a 64-bit length with its top bit set.
func ParseHeader(b []byte) (h Header, n int, err error) {
	n = HeaderLen(b)
	if n == 0 || len(b) < n {
		return h, 0, nil
	}
	h.Fin = b[0]&0x80 != 0
	if b[0]&0x70 != 0 {
		return h, 0, protocolError("reserved bits set")
	}
	h.Op = b[0] & 0x0f
	switch h.Op {
	case OpContinuation, OpText, OpBinary, OpClose, OpPing, OpPong:
	default:
		return h, 0, protocolError("reserved opcode %d", h.Op)
	}
	h.Masked = b[1]&0x80 != 0
	if !h.Masked {
		return h, 0, protocolError("unmasked client frame")
	}
	i := 2
	switch l := b[1] & 0x7f; l {
	case 126:
		h.Len = uint64(binary.BigEndian.Uint16(b[2:4]))
		i = 4
	case 127:
		h.Len = binary.BigEndian.Uint64(b[2:10])
		i = 10
		if h.Len>>63 != 0 {
			return h, 0, protocolError("frame length with the top bit set")
		}
	default:
		h.Len = uint64(l)
	}
	copy(h.Key[:], b[i:i+4])
	if h.Op >= OpClose {
		if !h.Fin {
			return h, 0, protocolError("fragmented control frame")
		}
		if h.Len > MaxControlPayload {
			return h, 0, protocolError("control frame of %d bytes", h.Len)
		}
	}
	return h, n, nil
}

// Mask XORs b with key, b starting at offset pos of the payload (RFC 6455 section 5.3). Masking twice unmasks.
func Mask(key [4]byte, pos int, b []byte) {
	if len(b) >= 16 {
		// Eight bytes at a time: the key repeated, rotated to pos.
		var k [8]byte
		for i := range k {
			k[i] = key[(pos+i)&3]
		}
		k8 := binary.LittleEndian.Uint64(k[:])
		for len(b) >= 8 {
			binary.LittleEndian.PutUint64(b, binary.LittleEndian.Uint64(b)^k8)
			b = b[8:]
		}
	}
	for i := range b {
		b[i] ^= key[(pos+i)&3]
	}
}

// AppendHeader appends the header of an unmasked frame (as a server sends) with a payload of n bytes.
func AppendHeader(dst []byte, fin bool, op byte, n int) []byte {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	switch {
	case n < 126:
		return append(dst, b0, byte(n))
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(dst, b0, 126), uint16(n))
	default:
		return binary.BigEndian.AppendUint64(append(dst, b0, 127), uint64(n))
	}
}

// AppendClose appends a close frame with code and reason, cutting the reason to fit a control frame (without
// splitting a UTF-8 sequence). StatusNoStatus makes a close frame without a payload.
func AppendClose(dst []byte, code StatusCode, reason string) []byte {
	if code == StatusNoStatus {
		return AppendHeader(dst, true, OpClose, 0)
	}
	if len(reason) > MaxControlPayload-2 {
		n := MaxControlPayload - 2
		for n > 0 && reason[n]&0xC0 == 0x80 {
			n--
		}
		reason = reason[:n]
	}
	dst = AppendHeader(dst, true, OpClose, 2+len(reason))
	return append(binary.BigEndian.AppendUint16(dst, uint16(code)), reason...)
}

// ParseClose parses a close frame's payload. An empty payload is StatusNoStatus. A payload of one byte, or a code
// that may not be sent, is a protocol error; a reason that is not UTF-8, invalid payload data (section 7.4.1).
func ParseClose(p []byte) (*CloseError, error) {
	switch {
	case len(p) == 0:
		return &CloseError{Code: StatusNoStatus}, nil
	case len(p) == 1:
		return nil, protocolError("close frame of one byte")
	}
	ce := &CloseError{Code: StatusCode(binary.BigEndian.Uint16(p)), Reason: string(p[2:])}
	if !ValidCloseCode(ce.Code) {
		return nil, protocolError("close code %d", ce.Code)
	}
	if !utf8.ValidString(ce.Reason) {
		return nil, &CloseError{Code: StatusInvalidPayload, Reason: "close reason is not UTF-8"}
	}
	return ce, nil
}

// ValidCloseCode reports whether a close frame may carry code (RFC 6455 section 7.4; 1012-1014 as registered).
func ValidCloseCode(code StatusCode) bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1014:
		return true
	case code >= 3000 && code <= 4999:
		return true
	}
	return false
}

// Event is what Decoder.Next found.
type Event uint8

const (
	EventNone    Event = iota // more bytes are needed, or a fragment was absorbed into the message in progress
	EventMessage              // a complete data message
	EventPing
	EventPong
	EventClose
)

// Frame is a decoded message or control frame. Payload aliases the bytes given to Next (unmasked in place), or the
// decoder's buffer of a fragmented message; it is valid until the next call.
type Frame struct {
	Event   Event
	Op      byte // of a message: OpText or OpBinary
	Payload []byte
	Close   *CloseError // of EventClose
}

// Decoder decodes the frames of one client connection, fed as bytes arrive. The zero value, with MaxMessage set,
// is ready. It holds memory only while a fragmented message is in progress.
type Decoder struct {
	// MaxMessage is the largest message payload allowed (the frames of a fragmented message together); a header
	// that announces more fails at once with 1009, before its payload arrives. 0 means no limit.
	MaxMessage uint64

	msgOp  byte   // of the fragmented message in progress; 0 when none
	msgLen uint64 // payload announced so far by its frames
	msg    []byte // its payload so far
}

// InMessage reports whether a fragmented message is in progress.
func (d *Decoder) InMessage() bool { return d.msgOp != 0 }

// Next decodes the frame at the start of b. It returns the bytes consumed: 0 when b holds less than a whole frame,
// with need the length of b that would (as far as the bytes so far tell: at least the header; the whole frame once
// the header is known). Masked payloads are unmasked in place. An error is a *CloseError to close the connection
// with: 1002 for a frame the protocol forbids, 1007 for text or a close reason that is not UTF-8, 1009 for a
// message over MaxMessage. Binary messages are returned as such; the caller decides.
func (d *Decoder) Next(b []byte) (f Frame, n, need int, err error) {
	h, hn, err := ParseHeader(b)
	if err != nil {
		return f, 0, 0, err
	}
	if hn == 0 {
		need = HeaderLen(b)
		if need == 0 {
			need = 2
		}
		return f, 0, need, nil
	}
	if h.Op < OpClose { // a data frame
		switch {
		case h.Op == OpContinuation && d.msgOp == 0:
			return f, 0, 0, protocolError("continuation frame without a message")
		case h.Op != OpContinuation && d.msgOp != 0:
			return f, 0, 0, protocolError("new message before the last one ended")
		}
		if d.MaxMessage > 0 && h.Len > d.MaxMessage-min(d.msgLen, d.MaxMessage) {
			return f, 0, 0, &CloseError{Code: StatusMessageTooBig, Reason: fmt.Sprintf("message over %d bytes", d.MaxMessage)}
		}
	}
	if uint64(len(b)-hn) < h.Len {
		return f, 0, hn + int(h.Len), nil // h.Len is at most MaxMessage or 125 here, so the sum fits
	}
	n = hn + int(h.Len)
	p := b[hn:n]
	Mask(h.Key, 0, p)
	switch h.Op {
	case OpPing:
		return Frame{Event: EventPing, Payload: p}, n, 0, nil
	case OpPong:
		return Frame{Event: EventPong, Payload: p}, n, 0, nil
	case OpClose:
		ce, err := ParseClose(p)
		if err != nil {
			return f, 0, 0, err
		}
		return Frame{Event: EventClose, Payload: p, Close: ce}, n, 0, nil
	}
	if h.Fin && d.msgOp == 0 { // the common case: a message in one frame
		if h.Op == OpText && !utf8.Valid(p) {
			return f, 0, 0, &CloseError{Code: StatusInvalidPayload, Reason: "text message is not UTF-8"}
		}
		return Frame{Event: EventMessage, Op: h.Op, Payload: p}, n, 0, nil
	}
	if d.msgOp == 0 {
		d.msgOp = h.Op
	}
	d.msgLen += h.Len
	d.msg = append(d.msg, p...)
	if !h.Fin {
		return f, n, 0, nil
	}
	f = Frame{Event: EventMessage, Op: d.msgOp, Payload: d.msg}
	d.msgOp, d.msgLen, d.msg = 0, 0, nil
	if f.Op == OpText && !utf8.Valid(f.Payload) {
		return Frame{}, 0, 0, &CloseError{Code: StatusInvalidPayload, Reason: "text message is not UTF-8"}
	}
	return f, n, 0, nil
}

// Reset forgets the message in progress.
func (d *Decoder) Reset() { d.msgOp, d.msgLen, d.msg = 0, 0, nil }

// CheckRequest checks an opening handshake request (RFC 6455 section 4.2.1) and returns the HTTP status to refuse
// it with, setting the response headers that go with that status on h, or 0 if it is good.
func CheckRequest(r *http.Request, h http.Header) (int, error) {
	if !r.ProtoAtLeast(1, 1) {
		return http.StatusUpgradeRequired, fmt.Errorf("websocket: handshake over %s", r.Proto)
	}
	if !headerHasToken(r.Header, "Connection", "upgrade") || !headerHasToken(r.Header, "Upgrade", "websocket") {
		h.Set("Connection", "Upgrade")
		h.Set("Upgrade", "websocket")
		return http.StatusUpgradeRequired, errors.New("websocket: not an upgrade request")
	}
	if r.Method != http.MethodGet {
		return http.StatusMethodNotAllowed, fmt.Errorf("websocket: handshake with method %s", r.Method)
	}
	if r.Header.Get("Sec-WebSocket-Version") != "13" {
		h.Set("Sec-WebSocket-Version", "13")
		return http.StatusBadRequest, errors.New("websocket: unsupported version")
	}
	keys := r.Header.Values("Sec-WebSocket-Key")
	if len(keys) != 1 {
		return http.StatusBadRequest, errors.New("websocket: missing or repeated Sec-WebSocket-Key")
	}
	if k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(keys[0])); err != nil || len(k) != 16 {
		return http.StatusBadRequest, errors.New("websocket: malformed Sec-WebSocket-Key")
	}
	return 0, nil
}

func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// AppendAccept appends the 101 response to a request CheckRequest accepted.
func AppendAccept(dst []byte, r *http.Request) []byte {
	dst = append(dst, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "...)
	dst = append(dst, AcceptKey(strings.TrimSpace(r.Header.Get("Sec-WebSocket-Key")))...)
	return append(dst, "\r\n\r\n"...)
}

// AcceptKey computes Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 section 4.2.2).
func AcceptKey(key string) string {
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h[:])
}
