//go:build !js

package main

import (
	"fmt"
	"os"
)

// main exists so that the package builds (and its native end-to-end tests run) outside the browser; the program
// itself is the GOOS=js build.
func main() {
	fmt.Fprintln(os.Stderr, "smoke wasm: this is the browser build of Smoke; build it with GOOS=js GOARCH=wasm (make npm)")
	os.Exit(2)
}
