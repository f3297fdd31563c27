//go:build js

package jsx

import (
	"bytes"
	"errors"
	"syscall/js"
	"testing"
)

func TestBytes(t *testing.T) {
	b := []byte{0, 1, 2, 250, 255}
	u := Uint8Array(b)
	if !u.InstanceOf(uint8ArrayCtor) || u.Length() != len(b) {
		t.Fatalf("Uint8Array gave %v", u)
	}
	b[0] = 9 // a copy: JavaScript must not see Go's memory
	if u.Index(0).Int() != 0 {
		t.Error("Uint8Array shares memory with the Go slice")
	}

	tests := []struct {
		name string
		src  string // a function that returns the value
		want []byte
	}{
		{"Uint8Array", `() => new Uint8Array([1, 2, 3])`, []byte{1, 2, 3}},
		{"ArrayBuffer", `() => new Uint8Array([4, 5]).buffer`, []byte{4, 5}},
		{"view with offset", `() => new DataView(new Uint8Array([1, 2, 3, 4]).buffer, 1, 2)`, []byte{2, 3}},
		{"subarray", `() => new Uint8Array([1, 2, 3, 4]).subarray(2)`, []byte{3, 4}},
		{"Uint16Array bytes", `() => new Uint16Array([0x0201])`, []byte{1, 2}},
		{"empty", `() => new Uint8Array(0)`, []byte{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Bytes(runJS(t, tt.src))
			if err != nil || !bytes.Equal(got, tt.want) {
				t.Errorf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
	for _, src := range []string{`() => "text"`, `() => [1, 2]`, `() => undefined`, `() => ({ length: 2 })`} {
		if _, err := Bytes(runJS(t, src)); err == nil {
			t.Errorf("Bytes(%s): no error", src)
		}
	}
}

func TestValueOf(t *testing.T) {
	v, err := ValueOf(map[string]any{
		"b":         []byte("hi"),
		"list":      []string{"x", "y"},
		"nested":    []any{1, map[string]string{"k": "v"}, nil, true},
		"err":       errors.New("e"),
		"a":         1.5,
		"__proto__": "own",
	})
	if err != nil {
		t.Fatal(err)
	}
	got := runJS(t, `(v) => [
		Object.keys(v).join(","),
		new TextDecoder().decode(v.b),
		v.list.join("+"),
		JSON.stringify(v.nested),
		v.err instanceof Error && v.err.message,
		Object.getPrototypeOf(v) === Object.prototype,
		Object.getOwnPropertyDescriptor(v, "__proto__").value,
	].join("|")`, v).String()
	want := `__proto__,a,b,err,list,nested|hi|x+y|[1,{"k":"v"},null,true]|e|true|own`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}

	if _, err := ValueOf([]any{1, struct{}{}}); err == nil {
		t.Error("ValueOf with a struct inside: no error")
	}
	if _, err := ValueOf(map[string]any{"f": func() {}}); err == nil {
		t.Error("ValueOf with a func inside: no error")
	}
	if v, err := ValueOf(nil); err != nil || !v.IsNull() {
		t.Errorf("ValueOf(nil) = %v, %v; want null", v, err)
	}
	o, err := Object[int](nil)
	if err != nil || o.Type() != js.TypeObject {
		t.Errorf("Object(nil) = %v, %v", o, err)
	}
}
