//go:build !js

// Command wasmbrowser runs a GOOS=js GOARCH=wasm program in headless
// Chromium and exits with the program's exit code. It is meant for go test
// -exec:
//
//	go build -o bin/wasmbrowser ./internal/cmd/wasmbrowser
//	GOOS=js GOARCH=wasm go test -exec=$PWD/bin/wasmbrowser ./pkg/...
//
// go test then runs "wasmbrowser /tmp/go-build.../pkg.test -test.v ...", and
// wasmbrowser passes the arguments after the program to it as os.Args[1:].
// The program's stdout and stderr come out on stdout byte for byte, so go
// test, -v and -json read them as they would a native test binary's.
//
// The program gets only the environment variables whose names start with
// SMOKE_, so that a native harness can hand it addresses (SMOKE_HUB_URL,
// say). Not the whole environment: wasm_exec.js fits arguments and
// environment into 8 KiB.
//
// A run that has not ended after SMOKE_WASM_TIMEOUT (a Go duration) is
// stopped. Without it the limit is 10 minutes, or a minute more than a longer
// -test.timeout=d in the arguments, so that the test binary's own timeout,
// which names the tests that still run, fires first. See package
// github.com/smokenet/smoke/internal/testing/browser for the browser it starts.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/smokenet/smoke/internal/testing/browser"
)

const defaultTimeout = 10 * time.Minute

func main() {
	os.Exit(run())
}

func run() int {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: wasmbrowser program.wasm [arg...]")
		return 2
	}
	program, args := os.Args[1], os.Args[2:]
	timeout, err := runTimeout(os.Getenv("SMOKE_WASM_TIMEOUT"), args)
	if err != nil {
		fmt.Fprintln(os.Stderr, "wasmbrowser:", err)
		return 2
	}

	// go test sends SIGQUIT to a test that outlives its timeout; the
	// goroutines of a wasm program cannot be dumped from here, so treat it
	// like an interrupt, and still close the browser.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGQUIT)
	defer stop()
	ctx, cancel := context.WithTimeoutCause(ctx, timeout,
		fmt.Errorf("no exit after %v (SMOKE_WASM_TIMEOUT)", timeout))
	defer cancel()

	code, err := browser.RunWasm(ctx, program, args, smokeEnv(os.Environ()), os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "wasmbrowser:", err)
		return 1
	}
	return code
}

// smokeEnv returns the variables of environ whose names start with SMOKE_.
func smokeEnv(environ []string) map[string]string {
	env := make(map[string]string)
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "SMOKE_") {
			env[k] = v
		}
	}
	return env
}

// runTimeout returns how long a run may take: setting (SMOKE_WASM_TIMEOUT) if
// it is not empty, else 10 minutes or a minute more than a longer
// -test.timeout in args.
func runTimeout(setting string, args []string) (time.Duration, error) {
	if setting != "" {
		d, err := time.ParseDuration(setting)
		if err != nil || d <= 0 {
			return 0, fmt.Errorf("SMOKE_WASM_TIMEOUT=%q is not a positive duration", setting)
		}
		return d, nil
	}
	timeout := defaultTimeout
	// go test always passes the flag in this one form.
	for _, arg := range args {
		v, ok := strings.CutPrefix(arg, "-test.timeout=")
		if !ok {
			continue
		}
		if d, err := time.ParseDuration(v); err == nil && d > 0 && d+time.Minute > timeout {
			timeout = d + time.Minute
		}
	}
	return timeout, nil
}
