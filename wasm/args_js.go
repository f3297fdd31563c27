package main

import (
	"math"
	"syscall/js"
	"unicode/utf8"

	"github.com/smokenet/smoke/internal/jsx"
	"github.com/smokenet/smoke/pkg/node"
)

// arg returns args[i], or undefined when JavaScript passed fewer.
func arg(args []js.Value, i int) js.Value {
	if i < len(args) {
		return args[i]
	}
	return js.Undefined()
}

// intArg returns args[i] as an integer: it must be a number with no fraction.
func intArg(args []js.Value, i int, what string) (int, error) {
	v := arg(args, i)
	if v.Type() != js.TypeNumber {
		return 0, typeError("%s must be a number, got %s", what, v.Type())
	}
	f := v.Float()
	if f != math.Trunc(f) || math.IsInf(f, 0) || math.Abs(f) > 1<<53 {
		return 0, rangeError("", "%s must be an integer, got %v", what, f)
	}
	return int(f), nil
}

// portArg returns args[i] as a port, 1-65535.
func portArg(args []js.Value, i int) (int, error) {
	p, err := intArg(args, i, "port")
	if err != nil {
		return 0, err
	}
	if p < 1 || p > 65535 {
		return 0, rangeError("ERR_INVALID_PORT", "port must be 1-65535, got %d", p)
	}
	return p, nil
}

// stringArg returns args[i], which must be a string.
func stringArg(args []js.Value, i int, what string) (string, error) {
	v := arg(args, i)
	if v.Type() != js.TypeString {
		return "", typeError("%s must be a string, got %s", what, v.Type())
	}
	return v.String(), nil
}

// funcArg returns args[i], which must be a function.
func funcArg(args []js.Value, i int, what string) (js.Value, error) {
	v := arg(args, i)
	if v.Type() != js.TypeFunction {
		return js.Undefined(), typeError("%s must be a function, got %s", what, v.Type())
	}
	return v, nil
}

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
// 3000-4999, the reason at most 123 bytes of UTF-8.
func closeArgs(args []js.Value, first int) (node.StatusCode, string, error) {
	code := node.StatusNormalClosure
	if c := arg(args, first); !c.IsUndefined() {
		n, err := intArg(args, first, "close code")
		if err != nil {
			return 0, "", err
		}
		if n != 1000 && (n < 3000 || n > 4999) {
			return 0, "", rangeError("ERR_INVALID_CLOSE_CODE", "close code must be 1000 or 3000-4999, got %d", n)
		}
		code = node.StatusCode(n)
	}
	reason := ""
	if r := arg(args, first+1); !r.IsUndefined() {
		s, err := stringArg(args, first+1, "close reason")
		if err != nil {
			return 0, "", err
		}
		if len(s) > 123 || !utf8.ValidString(s) {
			return 0, "", rangeError("ERR_INVALID_CLOSE_REASON", "close reason must be at most 123 bytes of UTF-8, got %d", len(s))
		}
		reason = s
	}
	return code, reason, nil
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
