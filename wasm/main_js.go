package main

import (
	"fmt"
	"log"
	"os"
	"strings"
	"syscall/js"

	"github.com/smokenet/smoke/internal/jsx"
)

// main hands the native object to the loader (see the package doc) and parks: the program lives as long as the
// page, serving calls from JavaScript.
func main() {
	// Libraries that log through the standard logger (go-indexeddb, when another tab upgrades a database: "Version
	// change detected, closing DB...") would write to stderr, which wasm_exec.js shows as console.error; to a page's
	// developer that reads as a failure. They go to console.debug instead.
	log.SetFlags(0)
	log.SetOutput(consoleDebug{})
	if err := handOff(); err != nil {
		fmt.Fprintln(os.Stderr, "smoke wasm:", err)
		os.Exit(2)
	}
	select {}
}

// consoleDebug writes each log line to console.debug.
type consoleDebug struct{}

func (consoleDebug) Write(p []byte) (int, error) {
	if console, err := jsx.Get(js.Global(), "console"); err == nil {
		_, _ = jsx.Call(console, "debug", strings.TrimSuffix(string(p), "\n"))
	}
	return len(p), nil
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
