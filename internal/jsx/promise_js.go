//go:build js

package jsx

import (
	"context"
	"syscall/js"
)

// Await waits for promise to settle and returns its value, or its rejection
// as an error ([ErrorFrom]). Like JavaScript's await it takes any value: a
// thenable is followed, anything else is the result.
//
// When ctx is done first, Await returns ctx.Err() at once (and a rejection
// that comes later is not reported as unhandled). JavaScript has no
// way to cancel a Promise, so abort the work itself (an AbortController
// passed to it) if it should stop. The two callbacks Await attached are
// released when the promise settles, whether or not anyone still waits, and
// their one result goes into a buffered channel that nobody needs to read;
// a promise that never settles keeps them forever, as it would keep a
// JavaScript closure.
//
// Await blocks, so it must not be called inside a callback from JavaScript
// (FuncOf, an event listener): the promise can only settle after that
// callback has returned. Call it from a goroutine, such as the one [Promise]
// starts.
func Await(ctx context.Context, promise js.Value) (js.Value, error) {
	if err := ctx.Err(); err != nil {
		// Nobody will wait for it: its rejection, if it comes, must not count as unhandled.
		if p, err := Call(promiseCtor, "resolve", promise); err == nil {
			_, _ = Call(p, "catch", ignore)
		}
		return js.Undefined(), err
	}
	type result struct {
		v   js.Value
		err error
	}
	// Size 1: only one of the callbacks ever runs, and its send must never
	// block the event loop, even when Await has returned.
	done := make(chan result, 1)
	var onResolve, onReject *callback
	settle := func(r result) {
		onResolve.release()
		onReject.release()
		done <- r
	}
	onResolve = newCallback(func(_ js.Value, args []js.Value) any {
		settle(result{v: arg(args, 0)})
		return nil
	})
	onReject = newCallback(func(_ js.Value, args []js.Value) any {
		settle(result{v: js.Undefined(), err: ErrorFrom(arg(args, 0))})
		return nil
	})

	// Promise.resolve makes any value a real Promise, and catches a
	// thenable whose then throws.
	p, err := Call(promiseCtor, "resolve", promise)
	if err == nil {
		_, err = Call(p, "then", onResolve.Func, onReject.Func)
	}
	if err != nil {
		onResolve.release()
		onReject.release()
		return js.Undefined(), err
	}

	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		return js.Undefined(), ctx.Err()
	}
}

// ignore is a rejection handler that does nothing, for promises nobody waits for. It lives as long as the module.
var ignore = js.FuncOf(func(js.Value, []js.Value) any { return nil })

// Promise returns a JavaScript Promise for the work f, which runs in a new
// goroutine: the way to give JavaScript a method that may block. It is
// never run inside the callback that calls Promise, since blocking there
// would stop the event loop that f is waiting on and kill the module.
//
// The promise resolves with f's result converted by [ValueOf] (nil is
// undefined), and rejects with [ErrorValue] of f's error, or of a result
// that cannot be converted. A panic in f is recovered: a JavaScript
// exception that f let escape from syscall/js rejects the promise with the
// thrown value, and any other panic with an Error whose message names it.
//
// f gets context.Background(). To let JavaScript cancel it, take an
// AbortSignal argument and use [WithSignal].
func Promise(f func(ctx context.Context) (any, error)) js.Value {
	var resolve, reject js.Value
	// The executor runs synchronously inside new Promise, so it can be
	// released right after, and the goroutine started by Promise itself.
	executor := newCallback(func(_ js.Value, args []js.Value) any {
		resolve, reject = arg(args, 0), arg(args, 1)
		return nil
	})
	p, err := New(promiseCtor, executor.Func)
	executor.release()
	if err != nil {
		// new Promise(function) does not throw; should it ever, the
		// caller still gets a Promise, a rejected one.
		p, _ = Call(promiseCtor, "reject", ErrorValue(err))
		return p
	}
	go func() {
		v, err := run(f)
		if err != nil {
			_, _ = Invoke(reject, ErrorValue(err))
			return
		}
		_, _ = Invoke(resolve, v)
	}()
	return p
}

// run runs f and converts its result, turning a panic into an error.
func run(f func(ctx context.Context) (any, error)) (v js.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, err = js.Undefined(), recovered(r)
		}
	}()
	x, err := f(context.Background())
	if err != nil {
		return js.Undefined(), err
	}
	return resultOf(x)
}

// resultOf converts what a Go function returns to JavaScript. Unlike
// ValueOf, nil is undefined: a Go function that returns nothing is a JS
// function that returns nothing.
func resultOf(x any) (js.Value, error) {
	if x == nil {
		return js.Undefined(), nil
	}
	return ValueOf(x)
}

// WithSignal returns a copy of parent that is canceled when the AbortSignal
// signal aborts, with the signal's reason as the cause (context.Cause), or
// when the returned cancel is called. An undefined or null signal never
// aborts. A signal that is not an AbortSignal cancels the context at once
// with a TypeError cause, so that a bad argument fails the operation instead
// of making it impossible to abort. Call cancel when the work is done: it
// removes the listener from the signal.
func WithSignal(parent context.Context, signal js.Value) (ctx context.Context, cancel context.CancelFunc) {
	ctx, cancelCause := context.WithCancelCause(parent)
	cancel = func() { cancelCause(nil) }
	if signal.IsUndefined() || signal.IsNull() {
		return ctx, cancel
	}
	abort := func() {
		reason, err := Get(signal, "reason")
		if err == nil && reason.IsUndefined() {
			err = &Error{Name: "AbortError", Message: "signal is aborted without reason"}
		} else if err == nil {
			err = ErrorFrom(reason)
		}
		cancelCause(err)
	}
	aborted, err := Get(signal, "aborted")
	if err != nil {
		cancelCause(err)
		return ctx, cancel
	}
	if aborted.Truthy() {
		abort()
		return ctx, cancel
	}
	remove, err := AddEventListener(signal, "abort", func(js.Value) { abort() })
	if err != nil {
		cancelCause(err)
		return ctx, cancel
	}
	return ctx, func() {
		remove()
		cancelCause(nil)
	}
}
