//go:build js

package jsx

import (
	"errors"
	"strings"
	"syscall/js"
	"testing"
)

func TestEvents(t *testing.T) {
	checkLive(t)
	errs := captureConsoleError(t)
	e, err := NewEvents(js.Undefined())
	if err != nil {
		t.Fatal(err)
	}
	defer e.Release()
	em := e.Value()

	got := runJS(t, `(em) => {
		const seen = [];
		const bad = () => { throw new Error("bad listener") };
		const b = (x) => seen.push("b" + x);
		const chained = em
			.on("x", (x) => seen.push("a" + x))
			.once("x", (x) => seen.push("once" + x))
			.on("x", bad)
			.on("x", b)
			.on("x", function (x) { seen.push("this " + (this === em)) });
		seen.push(chained === em);
		seen.push(em.emit("x", 1));
		em.off("x", bad).off("x", b);
		em.emit("x", 2);
		seen.push(em.emit("nobody"));
		return seen.join(",");
	}`, em).String()
	want := "true,a1,once1,b1,this true,true,a2,this true,false"
	if got != want {
		t.Errorf("listeners saw\n%s\nwant\n%s", got, want)
	}
	if c := errs(); len(c) != 1 || !containsAll(c[0], `"x" listener threw`, "Error: bad listener") {
		t.Errorf("console.error got %q, want one report of the bad listener", c)
	}

	t.Run("emit from Go", func(t *testing.T) {
		seen := runJS(t, `(em) => { const seen = []; em.on("msg", (a, b) => seen.push(a + b)); return seen }`, em)
		if !e.Emit("msg", js.ValueOf("he"), js.ValueOf("llo")) {
			t.Error("Emit reported no listeners")
		}
		if seen.Index(0).String() != "hello" {
			t.Errorf("listener saw %v", seen.Index(0))
		}
		if n := e.ListenerCount("msg"); n != 1 {
			t.Errorf("ListenerCount = %d, want 1", n)
		}
	})
	t.Run("once that emits again", func(t *testing.T) {
		got := runJS(t, `(em) => {
			let n = 0;
			em.once("re", () => { n++; em.emit("re") });
			em.emit("re");
			return n;
		}`, em)
		if got.Int() != 1 {
			t.Errorf("once listener ran %d times", got.Int())
		}
	})
	t.Run("off during emit", func(t *testing.T) {
		// Like Node: an emit calls the listeners it started with.
		got := runJS(t, `(em) => {
			const seen = [];
			const second = () => seen.push("second");
			em.on("o", () => { seen.push("first"); em.off("o", second) });
			em.on("o", second);
			em.emit("o");
			em.emit("o");
			return seen.join(",");
		}`, em).String()
		if got != "first,second,first" {
			t.Errorf("got %s", got)
		}
	})
	t.Run("bad arguments throw", func(t *testing.T) {
		got := runJS(t, `(em) => {
			try { em.on("x", 5); return "no throw" }
			catch (err) { return err instanceof TypeError && err.code }
		}`, em)
		if got.String() != "ERR_INVALID_ARG_TYPE" {
			t.Errorf("on with a number: %v", got)
		}
		got = runJS(t, `(em) => {
			try { em.on.call({}, "x", () => {}); return "no throw" }
			catch (err) { return err.message }
		}`, em)
		if !strings.Contains(got.String(), "not an event emitter") {
			t.Errorf("on with a foreign this: %v", got)
		}
	})
	t.Run("released", func(t *testing.T) {
		e2, err := NewEvents(js.Undefined())
		if err != nil {
			t.Fatal(err)
		}
		em2 := e2.Value()
		runJS(t, `(em) => em.on("x", () => { throw new Error("must not run") })`, em2)
		e2.Release()
		got := runJS(t, `(em) => em.on("y", () => {}) === em && em.emit("x") === false`, em2)
		if !got.Truthy() {
			t.Error("a released emitter must ignore calls")
		}
		if e2.Emit("x") {
			t.Error("Emit on a released emitter reported listeners")
		}
	})
	t.Run("target must be an object", func(t *testing.T) {
		_, err := NewEvents(js.ValueOf(1))
		var jerr *Error
		if !errors.As(err, &jerr) || jerr.Name != "TypeError" {
			t.Errorf("got %v, want a TypeError", err)
		}
	})
}

func TestAddEventListener(t *testing.T) {
	checkLive(t)
	target := global.Get("EventTarget").New()
	var got []string
	remove, err := AddEventListener(target, "ping", func(ev js.Value) {
		got = append(got, ev.Get("type").String())
	})
	if err != nil {
		t.Fatal(err)
	}
	dispatch := func() { target.Call("dispatchEvent", global.Get("Event").New("ping")) }
	dispatch()
	dispatch()
	remove()
	remove()
	dispatch()
	if strings.Join(got, ",") != "ping,ping" {
		t.Errorf("listener saw %q, want two pings", got)
	}

	t.Run("panic", func(t *testing.T) {
		checkLive(t)
		errs := captureConsoleError(t)
		remove, err := AddEventListener(target, "boom", func(js.Value) { panic("listener bug") })
		if err != nil {
			t.Fatal(err)
		}
		defer remove()
		target.Call("dispatchEvent", global.Get("Event").New("boom"))
		if c := errs(); len(c) != 1 || !containsAll(c[0], `"boom" listener`, "panic: listener bug") {
			t.Errorf("console.error got %q", c)
		}
	})
	t.Run("remove inside the listener", func(t *testing.T) {
		checkLive(t)
		n := 0
		var remove func()
		remove, err := AddEventListener(target, "one", func(js.Value) { n++; remove() })
		if err != nil {
			t.Fatal(err)
		}
		target.Call("dispatchEvent", global.Get("Event").New("one"))
		target.Call("dispatchEvent", global.Get("Event").New("one"))
		if n != 1 {
			t.Errorf("listener ran %d times", n)
		}
	})
	t.Run("not a target", func(t *testing.T) {
		checkLive(t)
		remove, err := AddEventListener(js.ValueOf(map[string]any{}), "x", func(js.Value) {})
		if err == nil {
			t.Error("no error")
		}
		remove()
	})
}
