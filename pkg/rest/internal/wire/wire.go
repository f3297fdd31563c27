// Package wire is the codec of the rest protocol: the messages a client and a server exchange over one node socket.
// SPEC.md beside this file is the format; this file must stay in step with it. Decoders never panic, allocate no
// more than the message they are given, and reject anything SPEC.md §6 calls malformed.
package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/textproto"
)

// Message types (SPEC.md §2): the first byte of every message.
const (
	TypeRequest  byte = 0x01
	TypeResponse byte = 0x02
	TypeData     byte = 0x03
	TypeDemand   byte = 0x04
)

// Flags of request, response and data messages (SPEC.md §3).
const (
	// FlagEnd marks the last message of a body.
	FlagEnd byte = 0x01
	// FlagClose, on a response head only, says the server closes the socket after this response.
	FlagClose byte = 0x02
)

// Body kinds of a response head (SPEC.md §3.2).
const (
	KindBytes   byte = 0
	KindRecords byte = 1
	KindMedia   byte = 2
)

// MaxWindow bounds a record stream's window.
const MaxWindow = 1 << 16

// maxUvarint is the largest varint value allowed: JavaScript holds every integer up to it exactly.
const maxUvarint = 1<<53 - 1

// Errors of the decoders. Every decoding error wraps one of them.
var (
	ErrMalformed    = errors.New("malformed message")
	ErrHeadTooLarge = errors.New("head too large")
)

// RequestHead is what a request message says before its body.
type RequestHead struct {
	Method string
	Target string // origin form: path and query, "/a/b?c=d"
	Host   string
	// ContentLength is the request body's length, or -1 if unknown.
	ContentLength int64
	Header        Header
}

// ResponseHead is what a response message says before its body.
type ResponseHead struct {
	Status int
	Kind   byte
	// Window is how many records the server may send beyond the demand it was granted; records only.
	Window uint64
	// ContentLength is the response body's length, or -1 if unknown.
	ContentLength int64
	Header        Header
	// Close says the server closes the socket after this response (FlagClose).
	Close bool
}

// Type returns msg's type, or an error if it is empty or of no known type.
func Type(msg []byte) (byte, error) {
	if len(msg) == 0 {
		return 0, fmt.Errorf("%w: empty message", ErrMalformed)
	}
	if t := msg[0]; t < TypeRequest || t > TypeDemand {
		return 0, fmt.Errorf("%w: unknown message type 0x%02x", ErrMalformed, t)
	}
	return msg[0], nil
}

// AppendRequest appends a request message: h, then body, which is the whole body when end is set.
func AppendRequest(dst []byte, h *RequestHead, end bool, body []byte) []byte {
	dst = append(dst, TypeRequest, flags(end))
	dst = appendString(dst, h.Method)
	dst = appendString(dst, h.Target)
	dst = appendString(dst, h.Host)
	dst = appendLength(dst, h.ContentLength)
	dst = appendHeader(dst, h.Header)
	return append(dst, body...)
}

// AppendResponse appends a response message: h, then body, which is the whole body when end is set.
func AppendResponse(dst []byte, h *ResponseHead, end bool, body []byte) []byte {
	f := flags(end)
	if h.Close {
		f |= FlagClose
	}
	dst = append(dst, TypeResponse, f)
	dst = binary.AppendUvarint(dst, uint64(h.Status))
	dst = append(dst, h.Kind)
	if h.Kind == KindRecords {
		dst = binary.AppendUvarint(dst, h.Window)
	}
	dst = appendLength(dst, h.ContentLength)
	dst = appendHeader(dst, h.Header)
	return append(dst, body...)
}

// DataHeadLen is how long a data message is before its body bytes. A sender that keeps this much room in front of
// a chunk encodes the message in place, without copying the chunk: AppendData(buf[:0], end, nil), then send buf.
const DataHeadLen = 2

// AppendData appends a data message carrying body, the end of the body if end is set.
func AppendData(dst []byte, end bool, body []byte) []byte {
	return append(append(dst, TypeData, flags(end)), body...)
}

// AppendDemand appends a demand message granting n more records.
func AppendDemand(dst []byte, n uint64) []byte {
	return binary.AppendUvarint(append(dst, TypeDemand), n)
}

// DecodeRequest decodes a request message. The head (everything before the body) must be at most maxHead bytes;
// maxHead ≤ 0 means no limit. body aliases msg. The head's strings (method, target, host, header names and values)
// are parts of one string, allocated once.
func DecodeRequest(msg []byte, maxHead int) (h RequestHead, end bool, body []byte, err error) {
	d := decoder{msg: msg, max: maxHead}
	end = d.flags(TypeRequest, FlagEnd)
	method := d.token("method")
	target := d.target()
	host := d.host()
	h.ContentLength = d.length()
	var fieldsBuf [8]field
	fields := d.header(fieldsBuf[:0])
	if d.err != nil {
		return RequestHead{}, false, nil, d.err
	}
	body = msg[d.off:]
	if err := checkBody(end, h.ContentLength, body); err != nil {
		return RequestHead{}, false, nil, err
	}
	head := string(msg[:d.off])
	h.Method = method.of(head)
	h.Target = target.of(head)
	h.Host = host.of(head)
	h.Header = makeHeader(head, fields)
	return h, end, body, nil
}

// DecodeResponse decodes a response message, as DecodeRequest does a request.
func DecodeResponse(msg []byte, maxHead int) (h ResponseHead, end bool, body []byte, err error) {
	d := decoder{msg: msg, max: maxHead}
	end = d.flags(TypeResponse, FlagEnd|FlagClose)
	h.Close = d.err == nil && msg[1]&FlagClose != 0
	status := d.uvarint("status")
	if d.err == nil && (status < 100 || status > 999) {
		d.fail(ErrMalformed, "status %d out of 100-999", status)
	}
	h.Status = int(status)
	h.Kind = d.byte("kind")
	if d.err == nil && h.Kind > KindMedia {
		d.fail(ErrMalformed, "unknown body kind %d", h.Kind)
	}
	if d.err == nil && h.Kind == KindRecords {
		h.Window = d.uvarint("window")
		if d.err == nil && (h.Window < 1 || h.Window > MaxWindow) {
			d.fail(ErrMalformed, "record window %d out of 1-%d", h.Window, MaxWindow)
		}
	}
	h.ContentLength = d.length()
	var fieldsBuf [8]field
	fields := d.header(fieldsBuf[:0])
	if d.err != nil {
		return ResponseHead{}, false, nil, d.err
	}
	body = msg[d.off:]
	if err := checkBody(end, h.ContentLength, body); err != nil {
		return ResponseHead{}, false, nil, err
	}
	h.Header = makeHeader(string(msg[:d.off]), fields)
	return h, end, body, nil
}

// DecodeData decodes a data message. body aliases msg.
func DecodeData(msg []byte) (end bool, body []byte, err error) {
	d := decoder{msg: msg}
	end = d.flags(TypeData, FlagEnd)
	if d.err != nil {
		return false, nil, d.err
	}
	return end, msg[d.off:], nil
}

// DecodeDemand decodes a demand message.
func DecodeDemand(msg []byte) (uint64, error) {
	d := decoder{msg: msg}
	if len(msg) == 0 || msg[0] != TypeDemand {
		return 0, fmt.Errorf("%w: not a demand message", ErrMalformed)
	}
	d.off = 1
	n := d.uvarint("demand")
	if d.err == nil && (n < 1 || n > MaxWindow) {
		d.fail(ErrMalformed, "demand %d out of 1-%d", n, MaxWindow)
	}
	if d.err == nil && d.off != len(msg) {
		d.fail(ErrMalformed, "%d bytes after demand", len(msg)-d.off)
	}
	return n, d.err
}

func flags(end bool) byte {
	if end {
		return FlagEnd
	}
	return 0
}

// checkBody: an ended body must have the length its head declared.
func checkBody(end bool, length int64, body []byte) error {
	if end && length >= 0 && int64(len(body)) != length {
		return fmt.Errorf("%w: body of %d bytes ends a message that declared %d", ErrMalformed, len(body), length)
	}
	if length >= 0 && int64(len(body)) > length {
		return fmt.Errorf("%w: body of %d bytes is over its declared %d", ErrMalformed, len(body), length)
	}
	return nil
}

func appendString(dst []byte, s string) []byte {
	return append(binary.AppendUvarint(dst, uint64(len(s))), s...)
}

// appendLength encodes a content length as length+1, so that 0 means unknown.
func appendLength(dst []byte, n int64) []byte {
	if n < 0 {
		return append(dst, 0)
	}
	return binary.AppendUvarint(dst, uint64(n)+1)
}

func appendHeader(dst []byte, h Header) []byte {
	n := 0
	for _, vs := range h {
		n += len(vs)
	}
	dst = binary.AppendUvarint(dst, uint64(n))
	for k, vs := range h {
		for _, v := range vs {
			dst = appendString(dst, k)
			dst = appendString(dst, v)
		}
	}
	return dst
}

// decoder reads fields in order; the first error sticks and later reads return zero values.
type decoder struct {
	msg []byte
	off int
	max int // head size limit, ≤ 0 for none
	err error
}

func (d *decoder) fail(base error, format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: "+format, append([]any{base}, args...)...)
	}
}

// need checks that n more bytes exist and fit in the head limit.
func (d *decoder) need(n uint64, what string) bool {
	if d.err != nil {
		return false
	}
	if n > uint64(len(d.msg)-d.off) {
		d.fail(ErrMalformed, "%s cut short", what)
		return false
	}
	if d.max > 0 && uint64(d.off)+n > uint64(d.max) {
		d.fail(ErrHeadTooLarge, "over %d bytes", d.max)
		return false
	}
	return true
}

func (d *decoder) flags(typ, allowed byte) (end bool) {
	if len(d.msg) < 2 || d.msg[0] != typ {
		d.fail(ErrMalformed, "not a message of type 0x%02x with flags", typ)
		return false
	}
	f := d.msg[1]
	if f&^allowed != 0 {
		d.fail(ErrMalformed, "unknown flags 0x%02x", f)
		return false
	}
	d.off = 2
	return f&FlagEnd != 0
}

func (d *decoder) byte(what string) byte {
	if !d.need(1, what) {
		return 0
	}
	b := d.msg[d.off]
	d.off++
	return b
}

func (d *decoder) uvarint(what string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.msg[d.off:])
	switch {
	case n == 0:
		d.fail(ErrMalformed, "%s cut short", what)
		return 0
	case n < 0 || n > 8 || v > maxUvarint:
		d.fail(ErrMalformed, "%s: varint too large", what)
		return 0
	case n > 1 && d.msg[d.off+n-1] == 0:
		d.fail(ErrMalformed, "%s: varint not minimal", what)
		return 0
	}
	if !d.need(uint64(n), what) {
		return 0
	}
	d.off += n
	return v
}

// span is where a string field lies in the message (and in the head string made from it).
type span struct{ off, end int }

func (sp span) of(head string) string { return head[sp.off:sp.end] }

// field is a header field's name and value.
type field struct{ name, value span }

// bytes returns the next length-prefixed string's bytes, aliasing msg, and where they lie.
func (d *decoder) bytes(what string) ([]byte, span) {
	n := d.uvarint(what)
	if !d.need(n, what) {
		return nil, span{}
	}
	sp := span{d.off, d.off + int(n)}
	d.off = sp.end
	return d.msg[sp.off:sp.end], sp
}

func (d *decoder) length() int64 {
	v := d.uvarint("content length")
	return int64(v) - 1
}

func (d *decoder) token(what string) span {
	b, sp := d.bytes(what)
	if d.err != nil {
		return span{}
	}
	if len(b) == 0 {
		d.fail(ErrMalformed, "empty %s", what)
		return span{}
	}
	for _, c := range b {
		if !isTokenChar(c) {
			d.fail(ErrMalformed, "%s has invalid byte 0x%02x", what, c)
			return span{}
		}
	}
	return sp
}

func (d *decoder) target() span {
	b, sp := d.bytes("target")
	if d.err != nil {
		return span{}
	}
	if len(b) == 0 || b[0] != '/' {
		d.fail(ErrMalformed, "target does not start with /")
		return span{}
	}
	if !visible(b) {
		d.fail(ErrMalformed, "target has a control byte or space")
		return span{}
	}
	return sp
}

func (d *decoder) host() span {
	b, sp := d.bytes("host")
	if d.err == nil && !visible(b) {
		d.fail(ErrMalformed, "host has a control byte or space")
		return span{}
	}
	return sp
}

// header reads the header fields, checked, appending them to fields.
func (d *decoder) header(fields []field) []field {
	n := d.uvarint("header count")
	if d.err != nil {
		return nil
	}
	// Every field takes at least two bytes (two empty strings' lengths), so a count the message cannot hold is
	// refused before anything is allocated for it.
	if n > uint64(len(d.msg)-d.off)/2 {
		d.fail(ErrMalformed, "header count %d cut short", n)
		return nil
	}
	for range n {
		kb, k := d.bytes("header name")
		vb, v := d.bytes("header value")
		if d.err != nil {
			return nil
		}
		if len(kb) == 0 {
			d.fail(ErrMalformed, "empty header name")
			return nil
		}
		for _, c := range kb {
			if !isTokenChar(c) {
				d.fail(ErrMalformed, "header name has invalid byte 0x%02x", c)
				return nil
			}
		}
		for _, c := range vb {
			if c < ' ' && c != '\t' || c == 0x7f {
				d.fail(ErrMalformed, "header value has control byte 0x%02x", c)
				return nil
			}
		}
		fields = append(fields, field{k, v})
	}
	return fields
}

// makeHeader builds the header of checked fields whose strings lie in head. Three allocations whatever the number
// of fields (the map, its table, one slice for every value) besides names that are not canonical already.
func makeHeader(head string, fields []field) Header {
	h := make(Header, len(fields))
	if len(fields) == 0 {
		return h
	}
	values := make([]string, len(fields))
	for i, f := range fields {
		k := textproto.CanonicalMIMEHeaderKey(f.name.of(head))
		values[i] = f.value.of(head)
		if vs, ok := h[k]; ok {
			h[k] = append(vs, values[i]) // a repeated name: vs has no room, so this copies
		} else {
			h[k] = values[i : i+1 : i+1]
		}
	}
	return h
}

// visible reports whether b has no control bytes and no spaces.
func visible(b []byte) bool {
	for _, c := range b {
		if c <= ' ' || c == 0x7f {
			return false
		}
	}
	return true
}

// isTokenChar reports whether c may appear in an HTTP token (RFC 9110 §5.6.2).
func isTokenChar(c byte) bool {
	return c < 0x80 && tokenTable[c]
}

var tokenTable = func() (t [128]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()
