//go:build js

package jsx

import (
	"fmt"
	"slices"
	"sync"
	"syscall/js"
)

// AddEventListener calls target.addEventListener(event, ...) with a function
// that calls f with the event, and returns remove, which undoes it and
// releases the function. remove is safe to call more than once, and from
// inside f. When target cannot take the listener (it is not an EventTarget),
// AddEventListener returns the error and a remove that does nothing.
//
// f runs inside the event dispatch and must not block (see the package
// doc): copy what it needs out of the event and hand it to a goroutine or a
// buffered channel. A panic in f is recovered and reported on console.error,
// so that one bad event does not kill the module.
func AddEventListener(target js.Value, event string, f func(event js.Value)) (remove func(), err error) {
	cb := newCallback(func(_ js.Value, args []js.Value) any {
		defer func() {
			if r := recover(); r != nil {
				consoleError(fmt.Sprintf("jsx: %q listener:", event), ErrorValue(recovered(r)))
			}
		}()
		f(arg(args, 0))
		return nil
	})
	if _, err := Call(target, "addEventListener", event, cb.Func); err != nil {
		cb.release()
		return func() {}, err
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			_, _ = Call(target, "removeEventListener", event, cb.Func)
			cb.release()
		})
	}, nil
}

// Events is a small Node-style event emitter for JavaScript objects that Go
// implements (a socket's on('message', fn)). [NewEvents] gives the object
// four methods:
//
//	on(name, fn)         add fn; returns the object, for chaining
//	once(name, fn)       add fn for the next emit only
//	off(name, fn)        remove the most recently added fn for name
//	emit(name, ...args)  call the listeners; true if there were any
//
// Listeners run in the order they were added, with this set to the object,
// and each through [CallbackSafe]: a listener that throws is reported on
// console.error and the others still run. An emit calls the listeners that
// were registered when it started, as Node's does. Names are strings.
//
// The methods are four Go functions shared by every emitter, found through
// a WeakMap from the object, so an emitter costs no js.Func of its own and
// cannot leak one; [Events.Release] only lets go of the listeners.
// Events is safe for concurrent use.
type Events struct {
	target js.Value
	id     int

	mu        sync.Mutex
	listeners map[string][]listener
}

type listener struct {
	fn   js.Value
	once bool
}

func isOnce(l listener) bool { return l.once }

// NewEvents makes target an event emitter, setting its on, once, off and
// emit properties; an undefined target is a new plain object. Go code emits
// with [Events.Emit].
func NewEvents(target js.Value) (*Events, error) {
	if target.IsUndefined() {
		target = objectCtor.New()
	}
	if t := target.Type(); t != js.TypeObject && t != js.TypeFunction {
		return nil, &Error{Name: "TypeError", Message: "jsx: event emitter target is " + t.String()}
	}
	m := getEventMethods()
	for _, name := range []string{"on", "once", "off", "emit"} {
		if err := Set(target, name, m.funcs[name]); err != nil {
			return nil, err
		}
	}

	emitters.Lock()
	emitters.next++
	e := &Events{target: target, id: emitters.next, listeners: make(map[string][]listener)}
	emitters.byID[e.id] = e
	emitters.Unlock()
	if _, err := Call(m.ids, "set", target, e.id); err != nil {
		e.Release()
		return nil, err
	}
	return e, nil
}

// Value returns the JavaScript object the methods are on.
func (e *Events) Value() js.Value { return e.target }

// Emit calls the listeners for name with args, as emit(name, ...args) does
// from JavaScript, and reports whether there were any. Like any call into
// user JavaScript it runs the listeners before it returns; it does not
// block on anything else.
func (e *Events) Emit(name string, args ...js.Value) bool {
	jargs := make([]any, len(args))
	for i, a := range args {
		jargs[i] = a
	}
	return e.emit(name, jargs)
}

// ListenerCount returns how many listeners name has.
func (e *Events) ListenerCount(name string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.listeners[name])
}

// Release drops every listener and detaches the emitter from its object.
// Afterwards the object's methods do nothing (emit returns false), which is
// what a closed socket's on('message') should do.
func (e *Events) Release() {
	emitters.Lock()
	delete(emitters.byID, e.id)
	emitters.Unlock()
	e.mu.Lock()
	clear(e.listeners)
	e.mu.Unlock()
}

func (e *Events) add(name string, fn js.Value, once bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.listeners[name] = append(e.listeners[name], listener{fn: fn, once: once})
}

func (e *Events) remove(name string, fn js.Value) {
	e.mu.Lock()
	defer e.mu.Unlock()
	ls := e.listeners[name]
	for i := len(ls) - 1; i >= 0; i-- {
		if ls[i].fn.Equal(fn) {
			// Copy on write: an emit may be calling the old slice.
			ls = slices.Delete(slices.Clone(ls), i, i+1)
			break
		}
	}
	if len(ls) == 0 {
		delete(e.listeners, name)
	} else {
		e.listeners[name] = ls
	}
}

func (e *Events) emit(name string, args []any) bool {
	// Never hold mu while a listener runs: it may call on or off.
	e.mu.Lock()
	ls := e.listeners[name]
	if len(ls) == 0 {
		e.mu.Unlock()
		return false
	}
	// ls is this emit's snapshot: remove and this filter never change a
	// listener slice in place, and add's append writes only past len(ls).
	// once listeners go before any listener runs, so that one that emits
	// the same event again does not run twice.
	if slices.ContainsFunc(ls, isOnce) {
		kept := slices.DeleteFunc(slices.Clone(ls), isOnce)
		if len(kept) == 0 {
			delete(e.listeners, name)
		} else {
			e.listeners[name] = kept
		}
	}
	e.mu.Unlock()

	for _, l := range ls {
		if err := callbackSafe(e.target, l.fn, args); err != nil {
			consoleError(fmt.Sprintf("jsx: %q listener threw:", name), ErrorValue(err))
		}
	}
	return true
}

// emitters maps the ids in eventMethods.ids to live emitters.
var emitters = struct {
	sync.Mutex
	byID map[int]*Events
	next int
}{byID: make(map[int]*Events)}

type eventMethods struct {
	ids   js.Value        // WeakMap: target object → emitter id
	funcs map[string]Func // on, once, off, emit; never released
}

var getEventMethods = sync.OnceValue(func() eventMethods {
	m := eventMethods{ids: global.Get("WeakMap").New(), funcs: make(map[string]Func)}
	// lookup returns the emitter of this; nil and no error for one that was
	// released, which then ignores calls.
	lookup := func(this js.Value, method string) (*Events, error) {
		id, err := Call(m.ids, "get", this)
		if err != nil {
			return nil, err
		}
		if id.Type() != js.TypeNumber {
			return nil, &Error{Name: "TypeError", Message: method + " called on an object that is not an event emitter"}
		}
		emitters.Lock()
		defer emitters.Unlock()
		return emitters.byID[id.Int()], nil
	}
	listen := func(once bool, method string) func(js.Value, []js.Value) (any, error) {
		return func(this js.Value, args []js.Value) (any, error) {
			name, fn, err := nameAndListener(args)
			if err != nil {
				return nil, err
			}
			e, err := lookup(this, method)
			if err != nil {
				return nil, err
			}
			if e != nil {
				e.add(name, fn, once)
			}
			return this, nil
		}
	}
	m.funcs["on"] = permanentFuncOf(listen(false, "on"))
	m.funcs["once"] = permanentFuncOf(listen(true, "once"))
	m.funcs["off"] = permanentFuncOf(func(this js.Value, args []js.Value) (any, error) {
		name, fn, err := nameAndListener(args)
		if err != nil {
			return nil, err
		}
		e, err := lookup(this, "off")
		if err != nil {
			return nil, err
		}
		if e != nil {
			e.remove(name, fn)
		}
		return this, nil
	})
	m.funcs["emit"] = permanentFuncOf(func(this js.Value, args []js.Value) (any, error) {
		name := arg(args, 0)
		if name.Type() != js.TypeString {
			return nil, invalidArg("event name", "a string", name)
		}
		e, err := lookup(this, "emit")
		if err != nil || e == nil {
			return false, err
		}
		rest := make([]any, 0, len(args))
		for _, a := range args[1:] {
			rest = append(rest, a)
		}
		return e.emit(name.String(), rest), nil
	})
	return m
})

func nameAndListener(args []js.Value) (string, js.Value, error) {
	name, fn := arg(args, 0), arg(args, 1)
	if name.Type() != js.TypeString {
		return "", fn, invalidArg("event name", "a string", name)
	}
	if fn.Type() != js.TypeFunction {
		return "", fn, invalidArg("listener", "a function", fn)
	}
	return name.String(), fn, nil
}

// invalidArg is the TypeError Node throws for a bad argument, code and all.
func invalidArg(what, want string, got js.Value) error {
	return &Error{
		Name:    "TypeError",
		Message: fmt.Sprintf("the %s must be %s, got %s", what, want, got.Type()),
		Code:    "ERR_INVALID_ARG_TYPE",
	}
}
