//go:build js

package jsx

import (
	"fmt"
	"os"
	"strings"
	"syscall/js"
	"testing"
	"time"
)

// TestMain fails the run when a test left a callback unreleased: a js.Func
// that is never released is a leak no garbage collector can find.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if err := waitLive(0); err != nil {
			fmt.Println("jsx: leak check:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// waitLive waits for the live callback count to come back to want. Callbacks
// of settled promises are released in a microtask, after the test's last
// Go statement, so the count may lag a moment.
func waitLive(want int64) error {
	deadline := time.Now().Add(2 * time.Second)
	for liveCallbacks() != want {
		if time.Now().After(deadline) {
			return fmt.Errorf("%d live callbacks, want %d", liveCallbacks(), want)
		}
		time.Sleep(time.Millisecond)
	}
	return nil
}

// checkLive makes the test fail if it ends with more live callbacks than it
// started with.
func checkLive(t *testing.T) {
	t.Helper()
	base := liveCallbacks()
	t.Cleanup(func() {
		if err := waitLive(base); err != nil {
			t.Error(err)
		}
	})
}

// jsFunc returns the JavaScript function that src, a function expression,
// evaluates to.
func jsFunc(t *testing.T, src string) js.Value {
	t.Helper()
	f, err := Call(global, "eval", "("+src+")")
	if err != nil {
		t.Fatalf("eval %s: %v", src, err)
	}
	if f.Type() != js.TypeFunction {
		t.Fatalf("eval %s: got %s, want a function", src, f.Type())
	}
	return f
}

// runJS calls the function expression src with args, and fails the test if
// it throws.
func runJS(t *testing.T, src string, args ...any) js.Value {
	t.Helper()
	v, err := Invoke(jsFunc(t, src), args...)
	if err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	return v
}

// deferred returns a promise with its resolve and reject functions.
func deferred(t *testing.T) (promise, resolve, reject js.Value) {
	t.Helper()
	d := runJS(t, `() => Promise.withResolvers()`)
	return d.Get("promise"), d.Get("resolve"), d.Get("reject")
}

// captureConsoleError replaces console.error for the rest of the test and
// returns a function that reports what was written to it, one string per
// call, its arguments joined by spaces (an Error as its toString).
func captureConsoleError(t *testing.T) func() []string {
	t.Helper()
	console := global.Get("console")
	orig := console.Get("error")
	rec := runJS(t, `() => {
		const calls = [];
		const error = (...args) => { calls.push(args.map(String).join(" ")); };
		return { error, calls };
	}`)
	console.Set("error", rec.Get("error"))
	t.Cleanup(func() { console.Set("error", orig) })
	return func() []string {
		calls := rec.Get("calls")
		out := make([]string, calls.Length())
		for i := range out {
			out[i] = calls.Index(i).String()
		}
		return out
	}
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
