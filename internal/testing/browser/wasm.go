//go:build !js

package browser

import (
	"context"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/inspector"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// runner is the page that runs a program: index.html and run.js.
//
//go:embed runwasm
var runner embed.FS

// hostBinding is the function through which run.js reports to RunWasm.
const hostBinding = "smokeWasmHost"

// errPageCrashed is the cause of a run that ends because the renderer died.
var errPageCrashed = errors.New("the page crashed")

// RunWasm runs the GOOS=js GOARCH=wasm program wasmFile in a new headless
// Chromium, and returns its exit code. It is [Page.RunWasm] in the first tab
// of a browser of its own, which it closes before it returns.
func RunWasm(ctx context.Context, wasmFile string, args []string, env map[string]string, stdout io.Writer) (exitCode int, err error) {
	b, err := Start(ctx)
	if err != nil {
		return -1, err
	}
	p := b.firstPage()
	defer p.Close() // after b.Close, which ends the tab
	defer b.Close()
	return p.RunWasm(ctx, wasmFile, args, env, stdout)
}

// RunWasm runs the GOOS=js GOARCH=wasm program wasmFile in the page, with args
// as its command-line arguments (without the program name) and env as its
// whole environment, and returns its exit code. Everything the program
// writes to stdout and stderr goes to stdout, in order and byte for byte, as
// it is written.
//
// The page loads the program from a new server on 127.0.0.1 (a new origin),
// next to wasm_exec.js of the go command on $PATH (see [WasmExecJS]). The
// server closes when RunWasm returns.
//
// RunWasm returns an error, and the exit code -1, when the program does not
// exit by itself: an uncaught JavaScript exception kills the wasm instance,
// the page crashes, or ctx ends. RunWasm cannot tell a program that waits for
// an event from one that hangs, so give ctx a deadline. When the program
// fails, exits with a code other than 0 or does not exit, RunWasm writes the
// page's console so far to stdout after the program's output, since it is
// often the only trace of what went wrong on the JavaScript side.
func (p *Page) RunWasm(ctx context.Context, wasmFile string, args []string, env map[string]string, stdout io.Writer) (exitCode int, err error) {
	if _, err := os.Stat(wasmFile); err != nil {
		return -1, fmt.Errorf("browser: %w", err)
	}
	execJS, err := WasmExecJS()
	if err != nil {
		return -1, err
	}
	page, err := fs.Sub(runner, "runwasm")
	if err != nil {
		return -1, fmt.Errorf("browser: %w", err)
	}
	// Serve the program under a .wasm name: the name sets the Content-Type,
	// and a test binary is named pkg.test.
	name := strings.TrimSuffix(filepath.Base(wasmFile), filepath.Ext(wasmFile)) + ".wasm"
	srv, err := NewServer(page, map[string]string{
		"wasm_exec.js": execJS,
		name:           wasmFile,
	})
	if err != nil {
		return -1, err
	}
	defer srv.Close()

	cfg := wasmConfig{
		URL:  "/" + name,
		Argv: append([]string{name}, args...),
		Env:  env,
	}
	if cfg.Env == nil {
		cfg.Env = map[string]string{} // wasm_exec.js needs an object
	}
	code, err := p.runWasm(ctx, srv.URL+"/", cfg, stdout)
	if err != nil || code != 0 {
		writeConsole(stdout, p.Console())
	}
	return code, err
}

// wasmConfig is the argument of smokeRunWasm in run.js.
type wasmConfig struct {
	URL  string            `json:"wasm"`
	Argv []string          `json:"argv"`
	Env  map[string]string `json:"env"`
}

// hostMessage is one report of run.js; exactly one field is set.
type hostMessage struct {
	Out   *string `json:"out"` // base64
	Exit  *int    `json:"exit"`
	Fatal *string `json:"fatal"`
}

// runWasm loads the runner page from url, starts the program and copies its
// output to stdout until it exits.
func (p *Page) runWasm(ctx context.Context, url string, cfg wasmConfig, stdout io.Writer) (int, error) {
	start, err := json.Marshal(cfg)
	if err != nil {
		return -1, fmt.Errorf("browser: %w", err)
	}
	rctx, cancel := context.WithCancelCause(p.ctx)
	defer cancel(nil)
	stop := context.AfterFunc(ctx, func() { cancel(context.Cause(ctx)) })
	defer stop()

	// Subscribe before anything can report. Events end when rctx does.
	reports := chromedp.Events(rctx, runtime.BindingCalled)
	if err := chromedp.Listen(rctx, func(ev any) {
		if _, ok := ev.(*inspector.EventTargetCrashed); ok {
			cancel(errPageCrashed)
		}
	}); err != nil {
		return -1, fmt.Errorf("browser: %w", err)
	}
	if err := chromedp.Do(rctx,
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, runtime.AddBinding, runtime.AddBindingParams{Name: hostBinding})
			return err
		}),
		chromedp.Navigate(url),
		// Start the program, and do not wait for the promise: it settles
		// when the program exits, and the reports say when that is.
		chromedp.Evaluate[chromedp.Void]("smokeRunWasm("+string(start)+")"),
	); err != nil {
		return -1, fmt.Errorf("browser: loading %s: %w", url, runErr(rctx, err))
	}

	for ev, err := range reports {
		if err != nil {
			return -1, fmt.Errorf("browser: the program did not exit: %w", runErr(rctx, err))
		}
		if ev.Name != hostBinding {
			continue
		}
		var m hostMessage
		if err := json.Unmarshal([]byte(ev.Payload), &m); err != nil {
			return -1, fmt.Errorf("browser: bad report from the page: %w", err)
		}
		switch {
		case m.Out != nil:
			b, err := base64.StdEncoding.DecodeString(*m.Out)
			if err != nil {
				return -1, fmt.Errorf("browser: bad output from the page: %w", err)
			}
			if _, err := stdout.Write(b); err != nil {
				return -1, fmt.Errorf("browser: writing the output: %w", err)
			}
		case m.Exit != nil:
			return *m.Exit, nil
		case m.Fatal != nil:
			return -1, fmt.Errorf("browser: an uncaught JavaScript exception killed the program: %s", *m.Fatal)
		}
	}
	// The subscription ends without an error only when the tab goes away.
	return -1, fmt.Errorf("browser: the program did not exit: %w", runErr(rctx, errors.New("the page went away")))
}

// runErr returns why rctx ended, if it did, instead of err: chromedp reports
// only that its context was canceled.
func runErr(rctx context.Context, err error) error {
	if cause := context.Cause(rctx); cause != nil {
		return cause
	}
	return err
}

// writeConsole writes the console of a failed run after the program's
// output.
func writeConsole(w io.Writer, console []string) {
	if len(console) == 0 {
		return
	}
	var b strings.Builder
	b.WriteString("\n--- browser console ---\n")
	for _, line := range console {
		b.WriteString(line)
		b.WriteByte('\n')
	}
	io.WriteString(w, b.String())
}
