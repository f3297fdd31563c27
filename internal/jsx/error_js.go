//go:build js

package jsx

import (
	"context"
	"errors"
	"fmt"
	"syscall/js"
)

// Error is a JavaScript exception or Promise rejection seen from Go. Match
// it with errors.As and switch on Name, as JavaScript code switches on
// e.name: "TypeError", "AbortError", "NotFoundError" (a DOMException), ...
//
// A Go function may also return an *Error it makes itself, with Value left
// zero, to have [ErrorValue] throw a JavaScript error of that name: a
// TypeError for a bad argument, say.
type Error struct {
	Name    string // e.name, "Error" when the thrown value has none
	Message string // e.message, or the thrown value as a string
	Code    string // e.code when it is a string ("ERR_..."), else ""

	// Value is the value that was thrown, which may be any JavaScript
	// value, not only an Error. It is undefined for an Error made in Go.
	Value js.Value

	thrown bool // Value came from JavaScript (which can throw undefined)
}

func (e *Error) Error() string {
	if e.Message == "" {
		return e.Name
	}
	return e.Name + ": " + e.Message
}

// JSCode returns Code, so that the code survives the way back through
// [ErrorValue].
func (e *Error) JSCode() string { return e.Code }

// ErrorFrom returns the Go error for the thrown or rejected value v. It is
// never nil: JavaScript can throw undefined, a string or any object, and
// each of them is still a failure. An Error or DOMException keeps its name,
// message and string code; any other value becomes an Error whose message is
// String(v). Reading the fields cannot throw into Go, whatever getters v
// has.
func ErrorFrom(v js.Value) error {
	e := &Error{Name: "Error", Value: v, thrown: true}
	switch v.Type() {
	case js.TypeObject, js.TypeFunction:
		if s, ok := stringProp(v, "name"); ok && s != "" {
			e.Name = s
		}
		if s, ok := stringProp(v, "code"); ok {
			e.Code = s
		}
		if s, ok := stringProp(v, "message"); ok {
			e.Message = s
			return e
		}
	case js.TypeString:
		e.Message = v.String()
		return e
	}
	// String throws for an object without toString (Object.create(null)).
	s, err := Invoke(global.Get("String"), v)
	if err == nil {
		e.Message = s.String()
	} else {
		e.Message = v.Type().String()
	}
	return e
}

// stringProp returns v[prop] when it is a string.
func stringProp(v js.Value, prop string) (string, bool) {
	s, err := Get(v, prop)
	if err != nil || s.Type() != js.TypeString {
		return "", false
	}
	return s.String(), true
}

// jsCoder is an error that carries a code for JavaScript, like Node's
// err.code: ErrorValue sets the JS error's code property from the first error
// in the chain that has one.
type jsCoder interface{ JSCode() string }

// errorClasses are the standard JavaScript error constructors, by name.
var errorClasses = map[string]bool{
	"TypeError": true, "RangeError": true, "SyntaxError": true,
	"ReferenceError": true, "EvalError": true, "URIError": true,
}

// ErrorValue returns a JavaScript value to throw, or reject a Promise with,
// for err (undefined for nil):
//
//   - err itself an [*Error] that came from JavaScript: the very value that
//     was thrown, so a JS exception crosses Go unchanged;
//   - otherwise a new Error whose message is err's Go text. Its name is the
//     Name of the first [*Error] in err's chain, else "AbortError" for
//     context.Canceled and "TimeoutError" for context.DeadlineExceeded (the
//     names fetch uses, both DOMExceptions), else "Error". A standard name
//     (TypeError, RangeError, ...) makes an instance of that class, so
//     instanceof works. An error in the chain with a method JSCode() string
//     that returns non-empty sets the code property; an [*Error] from
//     JavaScript in the chain becomes the cause. A recovered panic gets a
//     goStack property with the Go stack.
func ErrorValue(err error) js.Value {
	if err == nil {
		return js.Undefined()
	}
	var jerr *Error
	hasJS := errors.As(err, &jerr)
	if hasJS && jerr == err && jerr.thrown {
		return jerr.Value
	}

	name, msg := "Error", text(err)
	switch {
	case hasJS:
		name = jerr.Name
		if jerr == err {
			msg = jerr.Message
		}
	case errors.Is(err, context.Canceled):
		name = "AbortError"
	case errors.Is(err, context.DeadlineExceeded):
		name = "TimeoutError"
	}
	e := newError(name, msg)

	if hasJS && jerr != err && jerr.thrown {
		e.Set("cause", jerr.Value)
	}
	var c jsCoder
	if errors.As(err, &c) {
		if code := c.JSCode(); code != "" {
			// DOMException.prototype has a code getter and no setter, so
			// e.code = code would do nothing there.
			_ = defineData(e, "code", js.ValueOf(code))
		}
	}
	var p *panicError
	if errors.As(err, &p) {
		e.Set("goStack", string(p.stack))
	}
	return e
}

// newError makes a new JavaScript error with the name and message.
func newError(name, msg string) js.Value {
	switch {
	case name == "" || name == "Error":
		return errorCtor.New(msg)
	case errorClasses[name]:
		return global.Get(name).New(msg)
	case name == "AbortError" || name == "TimeoutError":
		if d := global.Get("DOMException"); d.Type() == js.TypeFunction {
			return d.New(msg, name)
		}
	}
	e := errorCtor.New(msg)
	e.Set("name", name)
	return e
}

// text returns err.Error(), which must not panic here: ErrorValue runs where
// a panic would kill the module, and a method on a nil pointer inside an
// interface is a classic way to panic in Error.
func text(err error) (s string) {
	defer func() {
		if r := recover(); r != nil {
			s = fmt.Sprintf("%T (Error method panicked: %v)", err, r)
		}
	}()
	return err.Error()
}
