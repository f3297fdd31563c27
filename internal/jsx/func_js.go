//go:build js

package jsx

import (
	"sync"
	"syscall/js"
)

// Func is a JavaScript function backed by Go, made by [FuncOf]. Hand out
// Value (the jsx conversions, such as [Set] and [ValueOf], accept the Func
// itself). Like js.Func, it must be released when JavaScript no longer
// needs it.
type Func struct {
	js.Value // the function to give to JavaScript
	cb       *callback
}

// Release frees the Go side of the function. Calling it from JavaScript
// afterwards does nothing but report "call to released function" on the
// console (the Go runtime does that) and return undefined. Releasing twice,
// or a zero Func, is harmless.
func (f Func) Release() {
	if f.cb != nil {
		f.cb.release()
	}
}

// FuncOf returns a synchronous JavaScript function that calls f with this
// and its arguments, and returns f's result converted by [ValueOf] (nil is
// undefined). When f returns an error, or its result cannot be converted,
// the JavaScript call throws [ErrorValue] of it; when f panics, it throws an
// Error that names the panic, and a JavaScript exception that f let escape
// from syscall/js is thrown again unchanged. Called with new, the function
// gets the new object as this, and the usual constructor rules apply.
//
// f runs inside the JavaScript call and must not block (see the package
// doc); return a [Promise] for work that may.
//
// How it throws: a js.FuncOf callback cannot throw, since wasm_exec.js only
// hands its return value back. So the function FuncOf returns is a small
// JavaScript trampoline, made once with new Function, that calls the Go
// callback and throws when the result is an instance of a private class
// that marks a failure. JavaScript code never sees that class, so no value
// a user passes can be mistaken for one. A page whose Content Security
// Policy forbids new Function (no 'unsafe-eval') cannot have the
// trampoline; there FuncOf returns the Go callback itself, and a failing
// call returns the Error instead of throwing it.
func FuncOf(f func(this js.Value, args []js.Value) (any, error)) Func {
	return funcOf(f, newCallback)
}

// permanentFuncOf is FuncOf for the few functions jsx makes once and never
// releases, which the live count leaves out.
func permanentFuncOf(f func(this js.Value, args []js.Value) (any, error)) Func {
	return funcOf(f, func(fn func(js.Value, []js.Value) any) *callback {
		return &callback{Func: js.FuncOf(fn)}
	})
}

func funcOf(f func(this js.Value, args []js.Value) (any, error), mk func(func(js.Value, []js.Value) any) *callback) Func {
	cb := mk(func(this js.Value, args []js.Value) (ret any) {
		defer func() {
			if r := recover(); r != nil {
				ret = thrown(recovered(r))
			}
		}()
		x, err := f(this, args)
		if err != nil {
			return thrown(err)
		}
		v, err := resultOf(x)
		if err != nil {
			return thrown(err)
		}
		return v
	})
	t := getTrampoline()
	if !t.ok {
		return Func{Value: cb.Value, cb: cb}
	}
	w, err := Invoke(t.wrap, cb.Func)
	if err != nil {
		return Func{Value: cb.Value, cb: cb}
	}
	return Func{Value: w, cb: cb}
}

// thrown returns what the Go callback of a Func returns for it to throw err.
func thrown(err error) js.Value {
	e := ErrorValue(err)
	t := getTrampoline()
	if !t.ok {
		return e
	}
	box, nerr := New(t.failure, e)
	if nerr != nil {
		return e
	}
	return box
}

// trampolineJS is the body of the function that makes the trampoline. It
// is strict, so that a plain call passes this as undefined, as a strict JS
// function would see it.
const trampolineJS = `"use strict";
class Failure { constructor(error) { this.error = error; } }
const wrap = (fn) => function (...args) {
	const result = Reflect.apply(fn, this, args);
	if (result instanceof Failure) throw result.error;
	return result;
};
return { wrap, Failure };`

type trampoline struct {
	wrap    js.Value // wrap(goFunc) returns the throwing JS function
	failure js.Value // the Failure class: new Failure(err) is thrown as err
	ok      bool     // false when new Function is forbidden (CSP)
}

var getTrampoline = sync.OnceValue(func() trampoline {
	mk, err := New(global.Get("Function"), trampolineJS)
	if err != nil {
		return trampoline{}
	}
	o, err := Invoke(mk)
	if err != nil {
		return trampoline{}
	}
	return trampoline{wrap: o.Get("wrap"), failure: o.Get("Failure"), ok: true}
})
