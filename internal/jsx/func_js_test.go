//go:build js

package jsx

import (
	"errors"
	"fmt"
	"syscall/js"
	"testing"
)

func TestFuncOf(t *testing.T) {
	if !getTrampoline().ok {
		t.Fatal("no trampoline: new Function failed")
	}
	// call calls f from JavaScript as obj.f(...args), and describes what
	// came back, or what was caught, as JavaScript sees it.
	const call = `(f, ...args) => {
		const obj = { name: "obj", f };
		try {
			const v = obj.f(...args);
			return "returned " + (typeof v === "object" ? JSON.stringify(v) : String(v));
		} catch (e) {
			const kind = e instanceof TypeError ? "TypeError" : e instanceof Error ? "Error" : typeof e;
			return "threw " + kind + " name=" + e.name + " message=" + e.message +
				(e.code ? " code=" + e.code : "");
		}
	}`
	thrower := jsFunc(t, `() => { throw { name: "Custom", message: "plain object" } }`)
	tests := []struct {
		name string
		f    func(this js.Value, args []js.Value) (any, error)
		args []any
		want string
	}{
		{"value", func(this js.Value, args []js.Value) (any, error) {
			return map[string]any{"sum": args[0].Int() + args[1].Int(), "this": this.Get("name").String()}, nil
		}, []any{2, 3}, `returned {"sum":5,"this":"obj"}`},
		{"nil", func(js.Value, []js.Value) (any, error) { return nil, nil }, nil, "returned undefined"},
		{"error", func(js.Value, []js.Value) (any, error) {
			return nil, fmt.Errorf("node: closed: %w", errors.New("eof"))
		}, nil, "threw Error name=Error message=node: closed: eof"},
		{"named error", func(js.Value, []js.Value) (any, error) {
			return nil, &Error{Name: "TypeError", Message: "port must be a number", Code: "ERR_INVALID_ARG_TYPE"}
		}, nil, "threw TypeError name=TypeError message=port must be a number code=ERR_INVALID_ARG_TYPE"},
		{"unconvertible", func(js.Value, []js.Value) (any, error) { return make(chan int), nil },
			nil, "threw Error name=Error message=jsx: cannot convert chan int to a JavaScript value"},
		{"panic", func(js.Value, []js.Value) (any, error) { panic(fmt.Sprint("bad state ", 3)) },
			nil, "threw Error name=Error message=panic: bad state 3"},
		{"JS throw passes through", func(js.Value, []js.Value) (any, error) {
			thrower.Invoke()
			return nil, nil
		}, nil, "threw object name=Custom message=plain object"},
		{"returned error value is not thrown", func(js.Value, []js.Value) (any, error) {
			// A value that merely looks like a failure, or is an Error,
			// is returned; only the private Failure class throws.
			return runJS(t, `() => ({ error: new Error("x") })`), nil
		}, nil, `returned {"error":{}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkLive(t)
			f := FuncOf(tt.f)
			defer f.Release()
			got := runJS(t, call, append([]any{f}, tt.args...)...).String()
			if got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}

	t.Run("new", func(t *testing.T) {
		checkLive(t)
		ctor := FuncOf(func(this js.Value, args []js.Value) (any, error) {
			this.Set("x", args[0])
			return nil, nil
		})
		defer ctor.Release()
		got := runJS(t, `(C) => { const o = new C(9); return o instanceof C && o.x }`, ctor)
		if got.Type() != js.TypeNumber || got.Int() != 9 {
			t.Errorf("new C(9) gave %v, want an instance with x 9", got)
		}
	})
	t.Run("release", func(t *testing.T) {
		base := liveCallbacks()
		f := FuncOf(func(js.Value, []js.Value) (any, error) { return 1, nil })
		if liveCallbacks() != base+1 {
			t.Fatalf("live %d, want %d", liveCallbacks(), base+1)
		}
		f.Release()
		f.Release()
		Func{}.Release()
		if liveCallbacks() != base {
			t.Fatalf("live %d after Release, want %d", liveCallbacks(), base)
		}
	})
}

func TestCallGetSetNew(t *testing.T) {
	checkLive(t)
	obj := runJS(t, `() => ({
		get bad() { throw new RangeError("getter") },
		set bad(v) { throw new RangeError("setter") },
		frozen: Object.freeze({ x: 1 }),
		add(a, b) { return a + b },
	})`)
	isJS := func(err error, name string) bool {
		var jerr *Error
		return errors.As(err, &jerr) && jerr.Name == name
	}

	if v, err := Call(obj, "add", 2, 3); err != nil || v.Int() != 5 {
		t.Errorf("Call add: %v, %v", v, err)
	}
	if _, err := Call(obj, "missing"); !isJS(err, "TypeError") {
		t.Errorf("Call missing method: %v, want a TypeError", err)
	}
	// Value.Call would read a failed method again with an unguarded
	// Value.Get, and this getter would then break the module.
	if _, err := Call(obj, "bad"); !isJS(err, "RangeError") {
		t.Errorf("Call a throwing getter: %v, want the RangeError", err)
	}
	if _, err := Call(js.Undefined(), "x"); !isJS(err, "TypeError") {
		t.Errorf("Call on undefined: %v, want a TypeError", err)
	}
	if _, err := Call(obj, "add", struct{}{}); err == nil {
		t.Error("Call with an unconvertible argument: no error")
	}
	if _, err := Get(obj, "bad"); !isJS(err, "RangeError") {
		t.Errorf("Get throwing getter: %v, want the RangeError", err)
	}
	if _, err := Get(js.Null(), "x"); !isJS(err, "TypeError") {
		t.Errorf("Get on null: %v, want a TypeError", err)
	}
	if err := Set(obj, "bad", 1); !isJS(err, "RangeError") {
		t.Errorf("Set throwing setter: %v, want the RangeError", err)
	}
	if err := Set(obj.Get("frozen"), "x", 2); !isJS(err, "TypeError") {
		t.Errorf("Set on frozen: %v, want a TypeError", err)
	}
	if err := Set(obj, "fresh", []byte{1, 2}); err != nil || obj.Get("fresh").Index(1).Int() != 2 {
		t.Errorf("Set []byte: %v", err)
	}
	if _, err := New(obj, 1); !isJS(err, "TypeError") {
		t.Errorf("New of a non-constructor: %v, want a TypeError", err)
	}
	if v, err := New(global.Get("Map")); err != nil || v.Get("size").Int() != 0 {
		t.Errorf("New Map: %v, %v", v, err)
	}
	if _, err := Invoke(jsFunc(t, `() => { throw new URIError("u") }`)); !isJS(err, "URIError") {
		t.Errorf("Invoke throwing: %v, want the URIError", err)
	}
}

func TestCallbackSafe(t *testing.T) {
	checkLive(t)
	got := runJS(t, `() => { const seen = []; return { seen, fn: (...a) => seen.push(a.join("+")) } }`)
	if err := CallbackSafe(got.Get("fn"), "a", 1, []byte{}); err != nil {
		t.Fatal(err)
	}
	if s := got.Get("seen").Index(0).String(); s != "a+1+" {
		t.Errorf("callback saw %q", s)
	}

	err := CallbackSafe(jsFunc(t, `(m) => { throw new TypeError("handler broke on " + m) }`), "hello")
	var jerr *Error
	if !errors.As(err, &jerr) || jerr.Name != "TypeError" || jerr.Message != "handler broke on hello" {
		t.Errorf("got %v, want the handler's TypeError", err)
	}
	if err := CallbackSafe(js.ValueOf(3)); err == nil {
		t.Error("calling a number: no error")
	}
	if err := CallbackSafe(jsFunc(t, `() => { throw undefined }`)); err == nil {
		t.Error("throw undefined: no error")
	}
}
