//go:build js

package jsx

import (
	"fmt"
	"maps"
	"slices"
	"syscall/js"
)

// ValueOf converts a Go value to JavaScript. It is js.ValueOf with the Go
// types Smoke hands to JavaScript added, and an error instead of a panic for
// a type it cannot convert:
//
//   - js.Value, js.Func, Func: as they are;
//   - nil: null; bool, string and every numeric type: as js.ValueOf does;
//   - []byte: a new Uint8Array holding a copy ([Uint8Array]);
//   - error: a JavaScript Error ([ErrorValue]);
//   - []any, []string, []js.Value: a new Array, elements converted;
//   - map[string]any, map[string]string: a new plain object ([Object]).
func ValueOf(x any) (js.Value, error) {
	switch x := x.(type) {
	case js.Value:
		return x, nil
	case js.Func:
		return x.Value, nil
	case Func:
		return x.Value, nil
	case []byte:
		return Uint8Array(x), nil
	case error:
		return ErrorValue(x), nil
	case []any:
		return arrayOf(x)
	case []string:
		return arrayOf(x)
	case []js.Value:
		return arrayOf(x)
	case map[string]any:
		return Object(x)
	case map[string]string:
		return Object(x)
	case nil, bool, string,
		int, int8, int16, int32, int64,
		uint, uint8, uint16, uint32, uint64, uintptr,
		float32, float64:
		return js.ValueOf(x), nil
	default:
		return js.Undefined(), fmt.Errorf("jsx: cannot convert %T to a JavaScript value", x)
	}
}

// Object returns a new plain JavaScript object with m's entries, the values
// converted with [ValueOf]. The keys are set in sorted order, so that the
// object (and JSON.stringify of it) does not depend on Go's map order. A key
// "__proto__" becomes an own property rather than the object's prototype:
// keys may come from a peer, and must not reach Object.prototype's setter.
func Object[V any](m map[string]V) (js.Value, error) {
	o := objectCtor.New()
	for _, k := range slices.Sorted(maps.Keys(m)) {
		v, err := ValueOf(m[k])
		if err != nil {
			return js.Undefined(), fmt.Errorf("jsx: key %q: %w", k, err)
		}
		if k == "__proto__" {
			if err := defineData(o, k, v); err != nil {
				return js.Undefined(), err
			}
			continue
		}
		// A plain new object has no setters but __proto__'s, so Set
		// cannot throw here.
		o.Set(k, v)
	}
	return o, nil
}

func arrayOf[E any](xs []E) (js.Value, error) {
	a := arrayCtor.New(len(xs))
	for i, x := range xs {
		v, err := ValueOf(x)
		if err != nil {
			return js.Undefined(), fmt.Errorf("jsx: index %d: %w", i, err)
		}
		a.SetIndex(i, v)
	}
	return a, nil
}

// defineData makes o[k] = v an own, enumerable, writable data property, as
// an object literal would, whatever setter o or its prototypes have for k.
func defineData(o js.Value, k string, v js.Value) error {
	desc := objectCtor.New()
	desc.Set("value", v)
	desc.Set("writable", true)
	desc.Set("enumerable", true)
	desc.Set("configurable", true)
	ok, err := try(func() js.Value { return reflectDefine.Invoke(o, k, desc) })
	if err == nil && !ok.Truthy() {
		err = &Error{Name: "TypeError", Message: fmt.Sprintf("cannot define property %q", k)}
	}
	return err
}

// Uint8Array returns a new Uint8Array holding a copy of b. Go's memory is
// the wasm instance's memory, which moves when it grows, so JavaScript must
// never keep a view of it: the copy is what makes the bytes safe to hand
// out. Like make, it fails (panics) only when JavaScript cannot allocate
// len(b) bytes.
func Uint8Array(b []byte) js.Value {
	u := uint8ArrayCtor.New(len(b))
	js.CopyBytesToJS(u, b)
	return u
}

// Bytes returns a copy of the bytes of v, which may be a Uint8Array, any
// other typed array or DataView (its bytes, not its elements), an
// ArrayBuffer or a SharedArrayBuffer. It works across realms (an iframe's
// Uint8Array), which instanceof would not. Anything else is an error.
func Bytes(v js.Value) ([]byte, error) {
	var u js.Value
	switch {
	case v.Type() != js.TypeObject:
		return nil, fmt.Errorf("jsx: want bytes, got %s", v.Type())
	case arrayBufferNS.Call("isView", v).Bool():
		if v.InstanceOf(uint8ArrayCtor) {
			u = v
			break
		}
		// The getters of a DataView throw once its buffer is detached.
		var err error
		if u, err = viewBytes(v); err != nil {
			return nil, err
		}
	default:
		tag, err := Call(objectCtor.Get("prototype").Get("toString"), "call", v)
		if err != nil {
			return nil, err
		}
		switch tag.String() {
		case "[object ArrayBuffer]", "[object SharedArrayBuffer]":
			u = uint8ArrayCtor.New(v)
		default:
			return nil, fmt.Errorf("jsx: want bytes, got %s", tag.String())
		}
	}
	b := make([]byte, u.Length())
	js.CopyBytesToGo(b, u)
	return b, nil
}

// viewBytes returns a Uint8Array over the bytes of the ArrayBufferView v.
func viewBytes(v js.Value) (js.Value, error) {
	var parts [3]js.Value
	for i, p := range []string{"buffer", "byteOffset", "byteLength"} {
		x, err := Get(v, p)
		if err != nil {
			return js.Undefined(), err
		}
		parts[i] = x
	}
	return New(uint8ArrayCtor, parts[0], parts[1], parts[2])
}

// valuesOf converts Go arguments with ValueOf, for syscall/js's ...any.
func valuesOf(args []any) ([]any, error) {
	out := make([]any, len(args))
	for i, a := range args {
		v, err := ValueOf(a)
		if err != nil {
			return nil, fmt.Errorf("jsx: argument %d: %w", i, err)
		}
		out[i] = v
	}
	return out, nil
}
