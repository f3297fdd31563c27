//go:build js

package jsx

import (
	"fmt"
	"runtime/debug"
	"syscall/js"
)

// Constructors and namespaces that every JavaScript realm has. Reading a
// global data property cannot throw, so these are safe package variables
// (net/http's roundtrip_js.go does the same for Uint8Array).
var (
	global         = js.Global()
	reflectNS      = global.Get("Reflect")
	objectCtor     = global.Get("Object")
	arrayCtor      = global.Get("Array")
	errorCtor      = global.Get("Error")
	promiseCtor    = global.Get("Promise")
	uint8ArrayCtor = global.Get("Uint8Array")
	arrayBufferNS  = global.Get("ArrayBuffer")
	reflectGet     = reflectNS.Get("get")
	reflectSet     = reflectNS.Get("set")
	reflectDefine  = reflectNS.Get("defineProperty")
	fnCall         = global.Get("Function").Get("prototype").Get("call")
	// callFn(fn, this, ...args) is fn.call(this, ...args).
	callFn = fnCall.Call("bind", fnCall)
)

// Call calls v[method](args...) and returns what it returns, or the
// exception it throws as an error (a [*Error]). It is Value.Call without the
// panic. The arguments are converted with [ValueOf], so []byte, Func and
// error are accepted, and a Go value with no JavaScript form is an error.
//
// Call looks the method up with [Get] and calls it with
// Function.prototype.call, two steps where Value.Call takes one: when a call
// fails, Value.Call reads v[method] again with Value.Get to word its panic,
// and a throwing getter there would unwind through the Go stack.
func Call(v js.Value, method string, args ...any) (js.Value, error) {
	fn, err := Get(v, method)
	if err != nil {
		return js.Undefined(), err
	}
	if fn.Type() != js.TypeFunction {
		return js.Undefined(), &Error{Name: "TypeError", Message: fmt.Sprintf("%s is not a function (it is %s)", method, fn.Type())}
	}
	return apply(fn, v, args)
}

// apply calls fn with this and args. It invokes Function.prototype.call
// itself, uncurried, because Value.Invoke is the one syscall/js call whose
// failure path reads no property.
func apply(fn, this js.Value, args []any) (js.Value, error) {
	jargs, err := valuesOf(args)
	if err != nil {
		return js.Undefined(), err
	}
	all := make([]any, 0, 2+len(jargs))
	all = append(all, fn, this)
	all = append(all, jargs...)
	return try(func() js.Value { return callFn.Invoke(all...) })
}

// Invoke calls the function fn with this set to undefined, and returns its
// result, or its exception as an error. It is Value.Invoke without the panic.
func Invoke(fn js.Value, args ...any) (js.Value, error) {
	jargs, err := valuesOf(args)
	if err != nil {
		return js.Undefined(), err
	}
	return try(func() js.Value { return fn.Invoke(jargs...) })
}

// New calls new ctor(args...), and returns the new object, or the exception
// as an error. It is Value.New without the panic.
func New(ctor js.Value, args ...any) (js.Value, error) {
	jargs, err := valuesOf(args)
	if err != nil {
		return js.Undefined(), err
	}
	return try(func() js.Value { return ctor.New(jargs...) })
}

// Get returns v[prop], or an error when v is not an object or a getter
// throws. Value.Get cannot be made safe with recover: wasm_exec.js does not
// catch an exception from a getter, which then unwinds through the Go stack
// and breaks the module. So Get calls Reflect.get, where the exception is
// caught. Use plain Value.Get for data properties of objects you made or
// know (event.data, a plain object's field); use Get for anything a user or
// the platform may have defined as a throwing accessor, or when v may be
// undefined.
func Get(v js.Value, prop string) (js.Value, error) {
	return try(func() js.Value { return reflectGet.Invoke(v, prop) })
}

// Set sets v[prop] = x, and returns an error when v is not an object, a
// setter throws, or the property is read-only (where strict JavaScript would
// throw a TypeError). Like [Get], it goes through Reflect, for the same
// reason.
func Set(v js.Value, prop string, x any) error {
	jx, err := ValueOf(x)
	if err != nil {
		return err
	}
	ok, err := try(func() js.Value { return reflectSet.Invoke(v, prop, jx) })
	if err != nil {
		return err
	}
	if !ok.Truthy() {
		return &Error{Name: "TypeError", Message: fmt.Sprintf("cannot assign to read only property %q", prop)}
	}
	return nil
}

// CallbackSafe calls the user function fn with args and this undefined, and
// returns what it throws as an error instead of letting it unwind into the
// Go code that called it. Use it for every call of a function a JS user
// handed in (socket 'message' handlers, router callbacks): a throwing user
// handler must not break the connection or loop that called it. The
// function's return value is dropped; a Promise it returns is not awaited.
func CallbackSafe(fn js.Value, args ...any) error {
	_, err := Invoke(fn, args...)
	return err
}

// callbackSafe is CallbackSafe with this set, as Node's EventEmitter calls a
// listener with this set to the emitter.
func callbackSafe(this, fn js.Value, args []any) error {
	_, err := apply(fn, this, args)
	return err
}

// try runs f, which must only call syscall/js, and turns its panic into an
// error: a js.Error is the JavaScript exception ([ErrorFrom]); anything else
// (a *js.ValueError for a value of the wrong type, the string panics of
// js.ValueOf and Value.Call) is syscall/js refusing what JavaScript would
// refuse with a TypeError.
func try(f func() js.Value) (v js.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			v = js.Undefined()
			if jerr, ok := r.(js.Error); ok {
				err = ErrorFrom(jerr.Value)
			} else {
				err = &Error{Name: "TypeError", Message: fmt.Sprint(r)}
			}
		}
	}()
	return f(), nil
}

// recovered turns a panic recovered from Go code (f of Promise or FuncOf,
// a listener) into an error. A js.Error is a JavaScript exception the code
// let escape from syscall/js: it becomes an [*Error] that keeps the thrown
// value, so that [ErrorValue] throws it again unchanged. Anything else is a
// Go panic, kept with its stack because a JS user cannot debug it otherwise.
func recovered(r any) error {
	if jerr, ok := r.(js.Error); ok {
		return ErrorFrom(jerr.Value)
	}
	return &panicError{value: r, stack: debug.Stack()}
}

// panicError is a Go panic that jsx recovered so that it would not kill the
// module. It becomes a JavaScript Error whose message names the panic and
// whose goStack property holds the Go stack.
type panicError struct {
	value any
	stack []byte
}

func (e *panicError) Error() string { return fmt.Sprintf("panic: %v", e.value) }

// consoleError reports to console.error what jsx had to swallow. It is the
// only logging in the package, and must never fail itself.
func consoleError(args ...any) {
	console, err := Get(global, "console")
	if err != nil {
		return
	}
	_, _ = Call(console, "error", args...)
}
