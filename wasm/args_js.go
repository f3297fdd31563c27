package main

import (
	"syscall/js"
	"unicode/utf8"

	"github.com/smokenet/smoke/internal/jsx"
	"github.com/smokenet/smoke/pkg/node"
)

// messageArg converts what send() was given: a string is a text message (UTF-8), an ArrayBuffer or any
// ArrayBufferView (Uint8Array, DataView, ...) a binary one.
func messageArg(v js.Value) (node.MessageType, []byte, error) {
	if v.Type() == js.TypeString {
		return node.MessageText, []byte(v.String()), nil
	}
	b, err := jsx.Bytes(v)
	if err != nil {
		return 0, nil, typeError("send takes a string, an ArrayBuffer or a typed array, got %s", describe(v))
	}
	return node.MessageBinary, b, nil
}

// closeArgs checks close(code?, reason?) as WebSocket.close does: the code is 1000 or an application code
// 3000-4999, the reason at most 123 bytes of UTF-8. code and reason are the indexes of the int? and string?
// arguments.
func closeArgs(a args, code, reason int) (node.StatusCode, string, error) {
	c := node.StatusNormalClosure
	if a.has(code) {
		n := a.int(code)
		if n != 1000 && (n < 3000 || n > 4999) {
			return 0, "", rangeError("ERR_INVALID_CLOSE_CODE", "close code must be 1000 or 3000-4999, got %d", n)
		}
		c = node.StatusCode(n)
	}
	s := a.str(reason)
	if len(s) > 123 || !utf8.ValidString(s) {
		return 0, "", rangeError("ERR_INVALID_CLOSE_REASON", "close reason must be at most 123 bytes of UTF-8, got %d", len(s))
	}
	return c, s, nil
}

// describe names a JavaScript value's type for an error message.
func describe(v js.Value) string {
	if v.Type() != js.TypeObject {
		return v.Type().String()
	}
	if ctor, err := jsx.Get(v, "constructor"); err == nil && ctor.Type() == js.TypeFunction {
		if name, err := jsx.Get(ctor, "name"); err == nil && name.Type() == js.TypeString && name.String() != "" {
			return name.String()
		}
	}
	return "object"
}
