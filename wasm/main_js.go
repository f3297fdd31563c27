package main

import (
	"fmt"
	"os"
	"syscall/js"

	"github.com/smokenet/smoke/internal/jsx"
)

// main hands the native object to the loader (see the package doc) and parks: the program lives as long as the
// page, serving calls from JavaScript.
func main() {
	if err := handOff(); err != nil {
		fmt.Fprintln(os.Stderr, "smoke wasm:", err)
		os.Exit(2)
	}
	select {}
}

// handOff calls the one-shot function the loader left on globalThis under the name os.Args[1], after deleting it
// (so the page keeps no global of Smoke's), with the native object.
func handOff() error {
	if len(os.Args) < 2 || os.Args[1] == "" {
		return fmt.Errorf("no hand-off name in argv: load smoke.wasm through the npm package's loader")
	}
	key := os.Args[1]
	global := js.Global()
	receive, err := jsx.Get(global, key)
	if err != nil {
		return err
	}
	if receive.Type() != js.TypeFunction {
		return fmt.Errorf("globalThis[%q] is %s, not the loader's function", key, receive.Type())
	}
	if _, err := jsx.Call(global.Get("Reflect"), "deleteProperty", global, key); err != nil {
		return err
	}
	native, err := newNative(newRegistry())
	if err != nil {
		return err
	}
	_, err = jsx.Invoke(receive, native)
	return err
}

// newNative builds the native object: the fixed table of Go functions the loader's classes call. They are never
// released; they live as long as the page.
func newNative(r *registry) (js.Value, error) {
	rr := newRESTRegistry(r)
	fns := map[string]func(args []js.Value) (any, error){
		// Hubs.
		"pageHubNew": r.pageHubNew,
		// Nodes.
		"nodeNew":          r.nodeNew,
		"nodeStarted":      r.nodeStarted,
		"nodeAddress":      r.nodeAddress,
		"nodeDispose":      r.nodeDispose,
		"hubConfiguration": r.hubConfiguration,
		"hubRegister":      r.hubRegister,
		"hubUnregister":    r.hubUnregister,
		"hubLookup":        r.hubLookup,
		"netPeers":         r.netPeers,
		"netPorts":         r.netPorts,
		"netBind":          r.netBind,
		"netUnbind":        r.netUnbind,
		"netUnbindPort":    r.netUnbindPort,
		"sysNetstat":       r.sysNetstat,
		"sysStorage":       r.sysStorage,
		// Sockets.
		"socketConnect":  r.socketConnect,
		"socketSend":     r.socketSend,
		"socketClose":    r.socketClose,
		"socketState":    r.socketState,
		"socketBuffered": r.socketBuffered,
		// REST (rest_js.go, rest_body_js.go, rest_fetch_js.go).
		"restListen":  rr.restListen,
		"restClose":   rr.restClose,
		"restRespond": rr.restRespond,
		"restDrain":   rr.restDrain,
		"restAbort":   rr.restAbort,
		"restFetch":   rr.restFetch,
		"bodyRead":    rr.bodyRead,
		"bodyCancel":  rr.bodyCancel,
	}
	m := make(map[string]any, len(fns)+1)
	for name, f := range fns {
		m[name] = jsx.FuncOf(func(_ js.Value, args []js.Value) (any, error) { return f(args) })
	}
	m["maxMessageSize"] = maxMessageSize
	return jsx.Object(m)
}
