//go:build js

package jsx

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func TestErrorFrom(t *testing.T) {
	tests := []struct {
		name        string
		throw       string // a function body that throws
		wantName    string
		wantMessage string
		wantCode    string
	}{
		{"TypeError", `null.x`, "TypeError", "Cannot read properties of null (reading 'x')", ""},
		{"DOMException", `atob("*")`, "InvalidCharacterError", "", ""},
		{"DOMException made", `throw new DOMException("no such key", "NotFoundError")`, "NotFoundError", "no such key", ""},
		{"string code", `throw Object.assign(new Error("gone"), { code: "ERR_GONE" })`, "Error", "gone", "ERR_GONE"},
		{"string", `throw "just text"`, "Error", "just text", ""},
		{"number", `throw 42`, "Error", "42", ""},
		{"undefined", `throw undefined`, "Error", "undefined", ""},
		{"plain object", `throw { a: 1 }`, "Error", "[object Object]", ""},
		{"no prototype", `throw Object.create(null)`, "Error", "object", ""},
		{"throwing getters", `throw { get name() { throw 1 }, get message() { throw 2 } }`, "Error", "[object Object]", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Invoke(jsFunc(t, "() => { "+tt.throw+" }"))
			var jerr *Error
			if !errors.As(err, &jerr) {
				t.Fatalf("got %T %v, want *Error", err, err)
			}
			if jerr.Name != tt.wantName || jerr.Code != tt.wantCode ||
				(tt.wantMessage != "" && jerr.Message != tt.wantMessage) || jerr.Message == "" {
				t.Errorf("got %+v, want name %q message %q code %q", jerr, tt.wantName, tt.wantMessage, tt.wantCode)
			}
			// And back: the very value that was thrown.
			if v := ErrorValue(err); !v.Equal(jerr.Value) && !(v.IsNaN() && jerr.Value.IsNaN()) {
				t.Error("ErrorValue did not give back the thrown value")
			}
		})
	}
	t.Run("DOMException message", func(t *testing.T) {
		_, err := Call(global, "atob", "*")
		var jerr *Error
		if !errors.As(err, &jerr) || jerr.Message == "" || !jerr.Value.InstanceOf(global.Get("DOMException")) {
			t.Errorf("got %+v", err)
		}
	})
}

func TestErrorValue(t *testing.T) {
	// code is DOMException's own legacy number for AbortError (20) and
	// TimeoutError (23).
	describe := jsFunc(t, `(e) => [e instanceof Error, e instanceof DOMException, e.name, e.message, e.code, e.cause && e.cause.message].join("|")`)
	fromJS := func() error {
		_, err := Invoke(jsFunc(t, `() => { throw new TypeError("Failed to fetch") }`))
		return err
	}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"go error", errors.New("hub: closed"), "true|false|Error|hub: closed||"},
		{"canceled", fmt.Errorf("rest: %w", context.Canceled), "true|true|AbortError|rest: context canceled|20|"},
		{"deadline", context.DeadlineExceeded, "true|true|TimeoutError|context deadline exceeded|23|"},
		{"go-made named", &Error{Name: "RangeError", Message: "port out of range"}, "true|false|RangeError|port out of range||"},
		{"go-made custom name", &Error{Name: "NotFoundError", Message: "no route"}, "true|false|NotFoundError|no route||"},
		{"wrapped JS error", fmt.Errorf("rest: fetch: %w", fromJS()), "true|false|TypeError|rest: fetch: TypeError: Failed to fetch||Failed to fetch"},
		{"code in chain", fmt.Errorf("x: %w", codeErr("E1")), "true|false|Error|x: code E1|E1|"},
		{"nil pointer Error method", (*nilErr)(nil), "true|false|Error|*jsx.nilErr (Error method panicked: runtime error: invalid memory address or nil pointer dereference)||"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Invoke(describe, ErrorValue(tt.err))
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != tt.want {
				t.Errorf("got  %s\nwant %s", got.String(), tt.want)
			}
		})
	}
	if !ErrorValue(nil).IsUndefined() {
		t.Error("ErrorValue(nil) is not undefined")
	}
}

type nilErr struct{ msg string }

func (e *nilErr) Error() string { return e.msg }
