//go:build !js

package browser

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

const wasmPrelude = "env \"hello\"\npartial\xff\xfe"

var wasmEnv = map[string]string{"SMOKE_TEST_ENV": "hello"}

func TestRunWasm(t *testing.T) {
	t.Parallel()
	wasm := BuildWasm(t, "./testdata/wasmexit")
	var out bytes.Buffer
	code, err := RunWasm(t.Context(), wasm, []string{"exit", "3"}, wasmEnv, &out)
	if code != 3 || err != nil {
		t.Errorf("RunWasm = %d, %v; want 3, nil", code, err)
	}
	if want := "args [\"exit\" \"3\"]\n" + wasmPrelude; out.String() != want {
		t.Errorf("output = %q, want %q", out.Bytes(), want)
	}
}

// TestPageRunWasm shares one browser between its subtests: a start costs
// more than a run.
func TestPageRunWasm(t *testing.T) {
	t.Parallel()
	wasm := BuildWasm(t, "./testdata/wasmexit")
	testBinary := BuildWasmTest(t, "./testdata/wasmtest")
	b := New(t)

	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string   // the whole output, or
		wantSub  []string // parts of it
		wantErr  string
	}{
		{name: "exit0", args: []string{"exit", "0"}, wantOut: "args [\"exit\" \"0\"]\n" + wasmPrelude},
		{name: "panic", args: []string{"panic"}, wantCode: 2, wantSub: []string{wasmPrelude, "panic: wasmexit panics", "goroutine 1 [running]:"}},
		{name: "trap", args: []string{"trap"}, wantCode: -1, wantSub: []string{wasmPrelude}, wantErr: "uncaught JavaScript exception killed the program: RuntimeError: unreachable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := b.NewPage(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			code, err := p.RunWasm(t.Context(), wasm, tt.args, wasmEnv, &out)
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d", code, tt.wantCode)
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("err = %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("err = %v, want one with %q", err, tt.wantErr)
			}
			if tt.wantSub == nil && out.String() != tt.wantOut {
				t.Errorf("output = %q, want %q", out.Bytes(), tt.wantOut)
			}
			for _, sub := range tt.wantSub {
				if !strings.Contains(out.String(), sub) {
					t.Errorf("output has no %q; output:\n%s", sub, out.Bytes())
				}
			}
		})
	}

	t.Run("test", func(t *testing.T) {
		t.Parallel()
		p, err := b.NewPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		code, err := p.RunWasm(t.Context(), testBinary, []string{"-test.v"}, wasmEnv, &out)
		want := "=== RUN   TestEnv\n    wasm_test.go:10: SMOKE_TEST_ENV=hello\n--- PASS: TestEnv"
		if code != 0 || err != nil || !strings.HasPrefix(out.String(), want) {
			t.Errorf("RunWasm of a test binary = %d, %v, output\n%s\nwant 0, nil and output that starts\n%s", code, err, out.Bytes(), want)
		}
	})

	// A program that never exits runs until ctx ends; here, as soon as it
	// has written its first bytes.
	t.Run("hang", func(t *testing.T) {
		t.Parallel()
		p, err := b.NewPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		w := &cancelOnWrite{cancel: cancel, after: "partial"}
		code, err := p.RunWasm(ctx, wasm, []string{"hang"}, wasmEnv, w)
		if code != -1 || !errors.Is(err, context.Canceled) {
			t.Errorf("RunWasm = %d, %v; want -1 and %v", code, err, context.Canceled)
		}
	})

	// A crash of the page ends the run at once.
	t.Run("crash", func(t *testing.T) {
		t.Parallel()
		p, err := b.NewPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		crash := func() {
			go Run(t.Context(), p, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
				_, err := cdp.Call(ctx, t, page.Crash, cdp.Empty{})
				return err
			}))
		}
		w := &cancelOnWrite{cancel: crash, after: "partial"}
		code, err := p.RunWasm(t.Context(), wasm, []string{"hang"}, wasmEnv, w)
		if code != -1 || !errors.Is(err, errPageCrashed) {
			t.Errorf("RunWasm = %d, %v; want -1 and %v", code, err, errPageCrashed)
		}
	})
}

// cancelOnWrite calls cancel once the output holds after.
type cancelOnWrite struct {
	cancel func()
	after  string
	mu     sync.Mutex
	buf    bytes.Buffer
}

func (w *cancelOnWrite) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if w.cancel != nil && strings.Contains(w.buf.String(), w.after) {
		w.cancel()
		w.cancel = nil
	}
	return len(p), nil
}
