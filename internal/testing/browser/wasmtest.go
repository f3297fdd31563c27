//go:build !js

package browser

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// WasmTest is one GOOS=js test running in Chromium while a native test works alongside it (the two halves of a
// browser ↔ native scenario). Start it with StartWasmTest.
type WasmTest struct {
	name   string
	exited chan error

	mu  sync.Mutex
	out bytes.Buffer
}

// StartWasmTest builds pkg's test binary for GOOS=js and runs the test named name (an exact name) in headless
// Chromium with env, in the background. Call Wait to collect it; Fatalf fails the native test with the browser's
// output attached.
func StartWasmTest(ctx context.Context, t testing.TB, pkg, name string, env map[string]string) *WasmTest {
	t.Helper()
	wasm := BuildWasmTest(t, pkg)
	w := &WasmTest{name: name, exited: make(chan error, 1)}
	go func() {
		code, err := RunWasm(ctx, wasm, []string{"-test.v", "-test.run=^" + name + "$"}, env, w)
		if err == nil && code != 0 {
			err = fmt.Errorf("exit code %d", code)
		}
		w.exited <- err
	}()
	return w
}

// Write collects the program's output.
func (w *WasmTest) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.out.Write(p)
}

// Output returns what the browser test printed so far.
func (w *WasmTest) Output() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.out.String()
}

// Exited returns a channel that yields the run's error (nil for a clean exit) once, when it ends.
func (w *WasmTest) Exited() <-chan error { return w.exited }

// Wait waits for the browser test to end and checks that it passed.
func (w *WasmTest) Wait() error {
	if err := <-w.exited; err != nil {
		return err
	}
	if !strings.Contains(w.Output(), "--- PASS: "+w.name) {
		return fmt.Errorf("%s did not pass", w.name)
	}
	return nil
}

// Fatalf fails t, with the browser's output in the log.
func (w *WasmTest) Fatalf(t testing.TB, format string, args ...any) {
	t.Helper()
	t.Logf("browser output:\n%s", w.Output())
	t.Fatalf(format, args...)
}
