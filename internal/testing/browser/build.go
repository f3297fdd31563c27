//go:build !js

package browser

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

// WasmExecJS returns the path of wasm_exec.js, the JavaScript half of the Go
// wasm runtime, from the Go installation that the go command on $PATH uses.
// It must come from the toolchain that built the program: the two halves
// change together.
//
// Under go test and go run, the go command puts its own bin directory first
// on $PATH, so this is the toolchain that runs the test.
func WasmExecJS() (string, error) {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return "", fmt.Errorf("browser: go env GOROOT: %w", err)
	}
	goroot := strings.TrimSpace(string(out))
	// Go 1.24 moved the file from misc/wasm to lib/wasm.
	for _, rel := range []string{"lib/wasm/wasm_exec.js", "misc/wasm/wasm_exec.js"} {
		file := filepath.Join(goroot, filepath.FromSlash(rel))
		if _, err := os.Stat(file); err == nil {
			return file, nil
		}
	}
	return "", fmt.Errorf("browser: no wasm_exec.js in GOROOT %s", goroot)
}

// BuildWasm builds the main package pkg for GOOS=js GOARCH=wasm into a
// temporary directory of the test, and returns the path of the binary. pkg is
// anything go build accepts: an import path, or a path relative to the
// directory of the test, such as "./testdata/app". It fails the test if the
// build fails.
func BuildWasm(t testing.TB, pkg string) string {
	t.Helper()
	return buildWasm(t, pkg, "build")
}

// BuildWasmTest is [BuildWasm] for the test binary of pkg (go test -c). Run it
// with [RunWasm] and -test.* arguments.
func BuildWasmTest(t testing.TB, pkg string) string {
	t.Helper()
	return buildWasm(t, pkg, "test", "-c")
}

func buildWasm(t testing.TB, pkg string, goArgs ...string) string {
	t.Helper()
	name := path.Base(filepath.ToSlash(pkg))
	if name == "." || name == ".." || name == "/" {
		name = "main"
	}
	out := filepath.Join(t.TempDir(), name+".wasm")
	cmd := exec.Command("go", append(goArgs, "-o", out, pkg)...)
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Run(); err != nil {
		t.Fatalf("GOOS=js GOARCH=wasm go %s: %v\n%s", strings.Join(cmd.Args[1:], " "), err, output.Bytes())
	}
	return out
}
