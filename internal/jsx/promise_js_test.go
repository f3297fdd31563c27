//go:build js

package jsx

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall/js"
	"testing"
	"time"
)

func TestAwait(t *testing.T) {
	t.Run("resolve", func(t *testing.T) {
		checkLive(t)
		v, err := Await(t.Context(), runJS(t, `() => new Promise(r => setTimeout(() => r(42), 1))`))
		if err != nil || v.Int() != 42 {
			t.Fatalf("got %v, %v; want 42, nil", v, err)
		}
	})
	t.Run("not a promise", func(t *testing.T) {
		checkLive(t)
		v, err := Await(t.Context(), js.ValueOf("plain"))
		if err != nil || v.String() != "plain" {
			t.Fatalf("got %v, %v; want plain, nil", v, err)
		}
	})
	t.Run("reject", func(t *testing.T) {
		checkLive(t)
		_, err := Await(t.Context(), runJS(t, `() => Promise.reject(new RangeError("too far"))`))
		var jerr *Error
		if !errors.As(err, &jerr) || jerr.Name != "RangeError" || jerr.Message != "too far" {
			t.Fatalf("got %#v, want *Error RangeError: too far", err)
		}
		if err.Error() != "RangeError: too far" {
			t.Errorf("Error() = %q", err.Error())
		}
	})
	t.Run("reject undefined", func(t *testing.T) {
		checkLive(t)
		_, err := Await(t.Context(), runJS(t, `() => Promise.reject()`))
		if err == nil {
			t.Fatal("a rejection with undefined must still be an error")
		}
	})
	t.Run("throwing then", func(t *testing.T) {
		checkLive(t)
		_, err := Await(t.Context(), runJS(t, `() => ({ get then() { throw new TypeError("bad thenable") } })`))
		var jerr *Error
		if !errors.As(err, &jerr) || jerr.Message != "bad thenable" {
			t.Fatalf("got %v, want the getter's TypeError", err)
		}
	})
	t.Run("ctx canceled then settled", func(t *testing.T) {
		checkLive(t)
		base := liveCallbacks()
		p, resolve, _ := deferred(t)
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(5*time.Millisecond, cancel)
		start := time.Now()
		_, err := Await(ctx, p)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want context.Canceled", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("Await returned %v after the cancel", d)
		}
		if n := liveCallbacks() - base; n != 2 {
			t.Errorf("%d callbacks live while the promise is pending, want 2", n)
		}
		// The late settle releases both callbacks, and its send does not
		// block although nobody receives it.
		_, _ = Invoke(resolve, 1)
		if err := waitLive(base); err != nil {
			t.Error(err)
		}
	})
	t.Run("ctx done before", func(t *testing.T) {
		checkLive(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		p, _, _ := deferred(t)
		if _, err := Await(ctx, p); !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want context.Canceled", err)
		}
	})
}

func TestPromise(t *testing.T) {
	t.Run("runs in a goroutine", func(t *testing.T) {
		checkLive(t)
		// f waits for something that happens only after Promise has
		// returned: were f run inside Promise, or inside the executor
		// callback, this would never finish.
		release := make(chan struct{})
		p := Promise(func(ctx context.Context) (any, error) {
			select {
			case <-release:
			case <-time.After(5 * time.Second):
				return nil, errors.New("f ran before Promise returned")
			}
			return map[string]any{"n": 7, "b": []byte("hi")}, nil
		})
		close(release)
		v, err := Await(t.Context(), p)
		if err != nil {
			t.Fatal(err)
		}
		if got := runJS(t, `(v) => v.n + ":" + new TextDecoder().decode(v.b)`, v).String(); got != "7:hi" {
			t.Errorf("resolved with %s, want 7:hi", got)
		}
	})
	t.Run("async method from JS", func(t *testing.T) {
		checkLive(t)
		// The shape of every async method of the JS face: a FuncOf that
		// returns Promise, awaited by JavaScript.
		double := FuncOf(func(_ js.Value, args []js.Value) (any, error) {
			n := arg(args, 0).Int()
			return Promise(func(ctx context.Context) (any, error) {
				time.Sleep(2 * time.Millisecond) // blocks, in its goroutine
				return n * 2, nil
			}), nil
		})
		defer double.Release()
		v, err := Await(t.Context(), runJS(t, `async (f) => [await f(21), await f(4)].join(",")`, double))
		if err != nil || v.String() != "42,8" {
			t.Fatalf("got %v, %v; want 42,8", v, err)
		}
	})
	t.Run("nil is undefined", func(t *testing.T) {
		checkLive(t)
		v, err := Await(t.Context(), Promise(func(context.Context) (any, error) { return nil, nil }))
		if err != nil || !v.IsUndefined() {
			t.Fatalf("got %v, %v; want undefined", v, err)
		}
	})

	reject := func(t *testing.T, f func(context.Context) (any, error)) js.Value {
		t.Helper()
		// Catch in JavaScript, to see what a JS caller sees.
		v, err := Await(t.Context(), runJS(t, `(p) => p.then(
			(v) => ({ resolved: v }),
			(e) => e)`, Promise(f)))
		if err != nil {
			t.Fatal(err)
		}
		if v.Get("resolved").Truthy() {
			t.Fatalf("resolved with %v, want a rejection", v.Get("resolved"))
		}
		return v
	}
	isError := func(e js.Value) bool { return e.InstanceOf(errorCtor) }

	t.Run("error", func(t *testing.T) {
		checkLive(t)
		e := reject(t, func(context.Context) (any, error) {
			return nil, fmt.Errorf("node: dial 0.0.0.9: %w", errors.New("no route"))
		})
		if !isError(e) || e.Get("name").String() != "Error" || e.Get("message").String() != "node: dial 0.0.0.9: no route" {
			t.Errorf("rejected with %v, want Error with the Go text", e)
		}
	})
	t.Run("typed error code", func(t *testing.T) {
		checkLive(t)
		e := reject(t, func(context.Context) (any, error) {
			return nil, fmt.Errorf("rest: %w", codeErr("ERR_NOT_FOUND"))
		})
		if e.Get("code").String() != "ERR_NOT_FOUND" {
			t.Errorf("code = %v, want ERR_NOT_FOUND", e.Get("code"))
		}
	})
	t.Run("context error", func(t *testing.T) {
		checkLive(t)
		e := reject(t, func(ctx context.Context) (any, error) {
			ctx, cancel := context.WithCancel(ctx)
			cancel()
			<-ctx.Done()
			return nil, fmt.Errorf("fetch: %w", ctx.Err())
		})
		if e.Get("name").String() != "AbortError" || !e.InstanceOf(global.Get("DOMException")) {
			t.Errorf("rejected with %v (name %v), want an AbortError DOMException", e, e.Get("name"))
		}
	})
	t.Run("unconvertible result", func(t *testing.T) {
		checkLive(t)
		e := reject(t, func(context.Context) (any, error) { return struct{}{}, nil })
		if !strings.Contains(e.Get("message").String(), "cannot convert struct {}") {
			t.Errorf("rejected with %v", e)
		}
	})
	t.Run("panic", func(t *testing.T) {
		checkLive(t)
		e := reject(t, func(context.Context) (any, error) { panic("boom") })
		if !isError(e) || e.Get("message").String() != "panic: boom" {
			t.Errorf("rejected with %v, want Error: panic: boom", e)
		}
		if s := e.Get("goStack").String(); !strings.Contains(s, "promise_js_test.go") {
			t.Errorf("goStack does not show the panic's place:\n%s", s)
		}
		e = reject(t, func(context.Context) (any, error) {
			var m map[string]int
			m["x"] = 1 // a runtime error
			return nil, nil
		})
		if !strings.Contains(e.Get("message").String(), "panic: assignment to entry in nil map") {
			t.Errorf("rejected with %v", e)
		}
		// Still alive: the panics did not reach the runtime.
		v, err := Await(t.Context(), Promise(func(context.Context) (any, error) { return "alive", nil }))
		if err != nil || v.String() != "alive" {
			t.Fatalf("after the panics: %v, %v", v, err)
		}
	})
	t.Run("JS exception passes through", func(t *testing.T) {
		checkLive(t)
		thrower := jsFunc(t, `() => { throw new SyntaxError("from js") }`)
		e := reject(t, func(context.Context) (any, error) {
			thrower.Invoke() // raw syscall/js: panics with js.Error
			return nil, nil
		})
		if !e.InstanceOf(global.Get("SyntaxError")) || e.Get("message").String() != "from js" {
			t.Errorf("rejected with %v, want the SyntaxError thrown in JS", e)
		}
	})
}

// codeErr is a typed error with a code for JavaScript.
type codeErr string

func (c codeErr) Error() string  { return "code " + string(c) }
func (c codeErr) JSCode() string { return string(c) }

func TestWithSignal(t *testing.T) {
	t.Run("abort with reason", func(t *testing.T) {
		checkLive(t)
		ac := global.Get("AbortController").New()
		ctx, cancel := WithSignal(t.Context(), ac.Get("signal"))
		defer cancel()
		if ctx.Err() != nil {
			t.Fatal("canceled before the abort")
		}
		ac.Call("abort", global.Get("Error").New("user left"))
		<-ctx.Done()
		var jerr *Error
		if !errors.As(context.Cause(ctx), &jerr) || jerr.Message != "user left" {
			t.Errorf("cause %v, want the abort reason", context.Cause(ctx))
		}
	})
	t.Run("already aborted", func(t *testing.T) {
		checkLive(t)
		signal := runJS(t, `() => AbortSignal.abort()`)
		ctx, cancel := WithSignal(t.Context(), signal)
		defer cancel()
		var jerr *Error
		if ctx.Err() == nil || !errors.As(context.Cause(ctx), &jerr) || jerr.Name != "AbortError" {
			t.Errorf("err %v cause %v, want canceled with an AbortError", ctx.Err(), context.Cause(ctx))
		}
	})
	t.Run("undefined", func(t *testing.T) {
		checkLive(t)
		ctx, cancel := WithSignal(t.Context(), js.Undefined())
		if ctx.Err() != nil {
			t.Fatal("canceled")
		}
		cancel()
		if ctx.Err() == nil {
			t.Fatal("cancel did not cancel")
		}
	})
	t.Run("not a signal", func(t *testing.T) {
		checkLive(t)
		ctx, cancel := WithSignal(t.Context(), js.ValueOf(map[string]any{}))
		defer cancel()
		if ctx.Err() == nil {
			t.Fatal("a bad signal must cancel at once")
		}
	})
	t.Run("cancel removes the listener", func(t *testing.T) {
		checkLive(t) // fails if the listener's callback stays
		ac := global.Get("AbortController").New()
		_, cancel := WithSignal(t.Context(), ac.Get("signal"))
		cancel()
		cancel()
	})
}
