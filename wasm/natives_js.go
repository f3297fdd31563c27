package main

import (
	"fmt"
	"math"
	"syscall/js"

	"github.com/smokenet/smoke/internal/jsx"
)

// natives declares every Go function of the native object (see the package doc), once: its name, its parameters
// and the method that implements it. The parameters are "name:kind" separated by spaces; a kind ending in "?" may
// be left out (undefined or null). Kinds:
//
//	string   a string
//	int      a number with no fraction
//	port     an int in 1-65535 (a RangeError with ERR_INVALID_PORT otherwise)
//	handle   an int: a handle of the registry
//	bool     a boolean
//	func     a function
//	any      anything; the method checks it
//
// A call is checked against its declaration before the method runs: too many arguments, or one of the wrong kind,
// throws a TypeError (RangeError for numbers out of range) naming the parameter. The npm package's JavaScript is
// checked against this table by TestNatives (natives_test.go), which reads this file: every function it calls is
// declared here, with an argument count the declaration allows, and every function declared here is called.
// So a new native function is one line here, and nothing else names it on the Go side.
var natives = []native{
	// Hubs and nodes (node_js.go, registry_js.go).
	{name: "pageHubNew", params: "", fn: (*registry).pageHubNew},
	{name: "nodeNew", params: "kind:string hub:any? token:string?", fn: (*registry).nodeNew},
	{name: "nodeStarted", params: "node:handle", fn: (*registry).nodeStarted},
	{name: "nodeAddress", params: "node:handle", fn: (*registry).nodeAddress},
	{name: "nodeDispose", params: "node:handle", fn: (*registry).nodeDispose},
	{name: "hubConfiguration", params: "node:handle", fn: (*registry).hubConfiguration},
	{name: "hubRegister", params: "node:handle hostname:string", fn: (*registry).hubRegister},
	{name: "hubUnregister", params: "node:handle hostname:string", fn: (*registry).hubUnregister},
	{name: "hubLookup", params: "node:handle hostname:string", fn: (*registry).hubLookup},
	{name: "netPeers", params: "node:handle", fn: (*registry).netPeers},
	{name: "netPorts", params: "node:handle", fn: (*registry).netPorts},
	{name: "sysNetstat", params: "node:handle", fn: (*registry).sysNetstat},
	{name: "sysStorage", params: "", fn: (*registry).sysStorage},

	// Socket servers and sockets (server_js.go, socket_js.go).
	{name: "netBind", params: "node:handle port:port newSocket:func onSocket:func", fn: (*registry).netBind},
	{name: "netUnbind", params: "binding:handle", fn: (*registry).netUnbind},
	{name: "netUnbindPort", params: "node:handle port:port", fn: (*registry).netUnbindPort},
	{name: "socketConnect", params: "node:handle address:string port:port socket:any", fn: (*registry).socketConnect},
	{name: "socketSend", params: "socket:handle data:any", fn: (*registry).socketSend},
	{name: "socketClose", params: "socket:handle code:int? reason:string?", fn: (*registry).socketClose},
	{name: "socketState", params: "socket:handle", fn: (*registry).socketState},
	{name: "socketBuffered", params: "socket:handle", fn: (*registry).socketBuffered},

	// REST (rest_js.go, rest_body_js.go, rest_fetch_js.go).
	{name: "restListen", params: "node:handle port:port dispatch:func done:func", fn: (*registry).restListen},
	{name: "restClose", params: "server:handle", fn: (*registry).restClose},
	{name: "restRespond", params: "exchange:handle status:int? headers:any? chunk:any? end:bool?", fn: (*registry).restRespond},
	{name: "restRecords", params: "exchange:handle status:int? headers:any? records:string? end:bool?", fn: (*registry).restRecords},
	{name: "restDrain", params: "exchange:handle resolve:func reject:func", fn: (*registry).restDrain},
	{name: "restAbort", params: "exchange:handle", fn: (*registry).restAbort},
	{name: "restMedia", params: "exchange:handle status:int headers:any descriptor:string", fn: (*registry).restMedia},

	// Media (media_js.go).
	{name: "mediaSend", params: "node:handle address:string tracks:any", fn: (*registry).mediaSend},
	{name: "mediaSenderDone", params: "sender:handle", fn: (*registry).mediaSenderDone},
	{name: "mediaSenderClose", params: "sender:handle", fn: (*registry).mediaSenderClose},
	{name: "mediaReceive", params: "node:handle address:string mids:any", fn: (*registry).mediaReceive},
	{name: "mediaReceiverDone", params: "receiver:handle", fn: (*registry).mediaReceiverDone},
	{name: "mediaReceiverClose", params: "receiver:handle", fn: (*registry).mediaReceiverClose},
	{name: "netStats", params: "node:handle address:string", fn: (*registry).netStats},
	{name: "restFetch", params: "node:handle request:any body:any? signal:any? timeout:int done:func", fn: (*registry).restFetch},
	{name: "bodyRead", params: "body:handle resolve:func? reject:func?", fn: (*registry).bodyRead},
	{name: "bodyCancel", params: "body:handle", fn: (*registry).bodyCancel},
	{name: "recordsRead", params: "records:handle resolve:func reject:func", fn: (*registry).recordsRead},

	// The database (db_js.go).
	{name: "dbOpen", params: "name:string durability:string?", fn: (*registry).dbOpen},
	{name: "dbKey", params: "", fn: (*registry).dbKey},
	{name: "dbCommit", params: "db:handle ops:any", fn: (*registry).dbCommit},
	{name: "dbGet", params: "db:handle store:string key:string", fn: (*registry).dbGet},
	{name: "dbExists", params: "db:handle store:string key:string", fn: (*registry).dbExists},
	{name: "dbCount", params: "db:handle store:string", fn: (*registry).dbCount},
	{name: "dbKeys", params: "db:handle store:string", fn: (*registry).dbKeys},
	{name: "dbBatch", params: "db:handle store:string after:string n:int", fn: (*registry).dbBatch},
	{name: "dbDrop", params: "db:handle store:string", fn: (*registry).dbDrop},
	{name: "dbClose", params: "db:handle", fn: (*registry).dbClose},
	{name: "dbDeleteDatabase", params: "name:string", fn: (*registry).dbDeleteDatabase},

	// The file bucket (bucket_js.go).
	{name: "bucketOpen", params: "name:string", fn: (*registry).bucketOpen},
	{name: "bucketWrite", params: "bucket:handle key:string append:bool", fn: (*registry).bucketWrite},
	{name: "bucketPut", params: "write:handle chunks:any", fn: (*registry).bucketPut},
	{name: "bucketCommit", params: "write:handle", fn: (*registry).bucketCommit},
	{name: "bucketAbort", params: "write:handle", fn: (*registry).bucketAbort},
	{name: "bucketInfo", params: "bucket:handle keys:any", fn: (*registry).bucketInfo},
	{name: "bucketList", params: "bucket:handle prefix:string delimiter:string", fn: (*registry).bucketList},
	{name: "bucketPlan", params: "bucket:handle key:string start:int end:int", fn: (*registry).bucketPlan},
	{name: "bucketChunks", params: "bucket:handle chunks:any", fn: (*registry).bucketChunks},
	{name: "bucketDelete", params: "bucket:handle key:string", fn: (*registry).bucketDelete},
	{name: "bucketClose", params: "bucket:handle", fn: (*registry).bucketClose},
	{name: "bucketDrop", params: "name:string", fn: (*registry).bucketDrop},
}

// native is one function of the native object.
type native struct {
	name   string
	params string
	fn     func(r *registry, a args) (any, error)
}

// args are the arguments of a call, checked against the declaration: as many as it has parameters (undefined for
// those JavaScript left out), each of its kind or absent when optional.
type args []js.Value

// val returns argument i as it is.
func (a args) val(i int) js.Value { return a[i] }

// has says whether argument i was given (not undefined or null).
func (a args) has(i int) bool { return !a[i].IsUndefined() && !a[i].IsNull() }

// str returns string argument i, "" when absent.
func (a args) str(i int) string {
	if !a.has(i) {
		return ""
	}
	return a[i].String()
}

// int returns int, port or handle argument i, 0 when absent.
func (a args) int(i int) int {
	if !a.has(i) {
		return 0
	}
	return int(a[i].Float())
}

// bool returns bool argument i, false when absent.
func (a args) bool(i int) bool { return a.has(i) && a[i].Bool() }

// check returns the arguments of a call of f, or the error it throws.
func check(f *native, ps []param, v []js.Value) (args, error) {
	if len(v) > len(ps) {
		return nil, typeError("smoke: native %s takes %d arguments, got %d", f.name, len(ps), len(v))
	}
	if len(v) < len(ps) {
		padded := make([]js.Value, len(ps))
		copy(padded, v)
		for i := len(v); i < len(ps); i++ {
			padded[i] = js.Undefined()
		}
		v = padded
	}
	for i, p := range ps {
		x := v[i]
		if p.kind == kindAny {
			continue
		}
		if x.IsUndefined() || x.IsNull() {
			if p.optional {
				continue
			}
			return nil, typeError("%s must be %s, got %s", p.name, kindName[p.kind], x.Type())
		}
		switch p.kind {
		case kindString:
			if x.Type() != js.TypeString {
				return nil, typeError("%s must be a string, got %s", p.name, x.Type())
			}
		case kindBool:
			if x.Type() != js.TypeBoolean {
				return nil, typeError("%s must be a boolean, got %s", p.name, x.Type())
			}
		case kindFunc:
			if x.Type() != js.TypeFunction {
				return nil, typeError("%s must be a function, got %s", p.name, x.Type())
			}
		case kindInt, kindPort, kindHandle:
			if x.Type() != js.TypeNumber {
				return nil, typeError("%s must be a number, got %s", p.name, x.Type())
			}
			n := x.Float()
			if n != math.Trunc(n) || math.IsInf(n, 0) || math.Abs(n) > 1<<53 {
				return nil, rangeError("", "%s must be an integer, got %v", p.name, n)
			}
			if p.kind == kindPort && (n < 1 || n > 65535) {
				return nil, rangeError("ERR_INVALID_PORT", "port must be 1-65535, got %v", n)
			}
		}
	}
	return args(v), nil
}

var kindName = map[kind]string{
	kindString: "a string", kindInt: "a number", kindPort: "a number", kindHandle: "a number", kindBool: "a boolean",
	kindFunc: "a function",
}

// newNative builds the native object from natives. Its functions are never released; they live as long as the page.
func newNative(r *registry) (js.Value, error) {
	m := make(map[string]any, len(natives))
	for i := range natives {
		f := &natives[i]
		ps, err := parseParams(f.params)
		if err != nil {
			return js.Undefined(), fmt.Errorf("native %s: %w", f.name, err)
		}
		if _, dup := m[f.name]; dup {
			return js.Undefined(), fmt.Errorf("native %s is declared twice", f.name)
		}
		m[f.name] = jsx.FuncOf(func(_ js.Value, v []js.Value) (any, error) {
			a, err := check(f, ps, v)
			if err != nil {
				return nil, err
			}
			return f.fn(r, a)
		})
	}
	return jsx.Object(m)
}
