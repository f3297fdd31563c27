//go:build !js

package browser

import (
	"context"
	"fmt"
	"iter"
	"strings"
	"sync"

	"github.com/chromedp/chromedp"
)

// Page is a tab of a [Browser], in a browser context of its own: two pages
// are separate profiles as far as the web platform can tell (cookies,
// storage, IndexedDB, service workers), even on the same origin.
//
// A page records its console from the start; see [Page.Console]. It lives
// until [Page.Close] or [Browser.Close]. Its methods are safe for concurrent
// use, but actions on one page run in one tab, so concurrent actions can
// interleave (two Navigates race, for example).
type Page struct {
	id int // 1-based, in the order of NewPage

	// ctx is the chromedp context of the tab. It lives until Close, because
	// chromedp ties the tab to the context of its first run.
	ctx    context.Context
	cancel context.CancelFunc

	consoleDone chan struct{} // closed when collectConsole returns
	mu          sync.Mutex
	console     []string

	closeOnce sync.Once
}

// NewPage opens a blank page in a new browser context. ctx bounds the
// opening only; the page lives until [Page.Close] or [Browser.Close].
func (b *Browser) NewPage(ctx context.Context) (*Page, error) {
	pctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	p := &Page{ctx: pctx, cancel: cancel, consoleDone: make(chan struct{})}
	if err := b.register(p); err != nil {
		cancel()
		return nil, fmt.Errorf("browser: new page: %w", err)
	}

	stop := context.AfterFunc(ctx, cancel)
	err := chromedp.Do(pctx) // no actions: create the tab and attach to it
	if !stop() {
		err = context.Cause(ctx)
	}
	if err != nil {
		close(p.consoleDone)
		p.Close()
		return nil, fmt.Errorf("browser: new page: %w", err)
	}
	// Subscribe before NewPage returns, so the console of everything the
	// caller does next is recorded.
	go p.collectConsole(chromedp.Console(pctx))
	return p, nil
}

// NewTab opens a blank page in p's browser context: the two share storage (IndexedDB, cookies) as two tabs of one
// profile do. ctx bounds the opening only; the tab lives until its own Close or [Browser.Close], and closing p
// closes it too.
func (p *Page) NewTab(ctx context.Context, b *Browser) (*Page, error) {
	tctx, cancel := chromedp.NewContext(p.ctx) // a new tab in the parent tab's browser context
	t := &Page{ctx: tctx, cancel: cancel, consoleDone: make(chan struct{})}
	if err := b.register(t); err != nil {
		cancel()
		return nil, fmt.Errorf("browser: new tab: %w", err)
	}
	stop := context.AfterFunc(ctx, cancel)
	err := chromedp.Do(tctx)
	if !stop() {
		err = context.Cause(ctx)
	}
	if err != nil {
		close(t.consoleDone)
		t.Close()
		return nil, fmt.Errorf("browser: new tab: %w", err)
	}
	go t.collectConsole(chromedp.Console(tctx))
	return t, nil
}

// firstPage returns the tab that Chromium opens at start as a Page. It is in
// the default browser context, and closes only with the browser: its Close
// waits for [Browser.Close]. Opening a tab of its own costs a run of
// [RunWasm] about half a second.
func (b *Browser) firstPage() *Page {
	p := &Page{ctx: b.ctx, cancel: func() {}, consoleDone: make(chan struct{})}
	go p.collectConsole(chromedp.Console(b.ctx))
	return p
}

// collectConsole records each message of the page's console until the page
// is closed.
func (p *Page) collectConsole(messages iter.Seq2[chromedp.ConsoleMessage, error]) {
	defer close(p.consoleDone)
	for m, err := range messages {
		if err != nil {
			return // the page is closed
		}
		line := formatConsole(m)
		p.mu.Lock()
		p.console = append(p.console, line)
		p.mu.Unlock()
	}
}

// formatConsole renders m as one entry of [Page.Console].
func formatConsole(m chromedp.ConsoleMessage) string {
	var b strings.Builder
	b.WriteString(m.String())
	// The stack is the point of an exception or an error; for a log line
	// it is noise.
	if m.Stack != nil && (m.IsException() || m.Type == chromedp.ConsoleError) {
		for _, f := range m.Stack.CallFrames {
			name := f.FunctionName
			if name == "" {
				name = "<anonymous>"
			}
			// The protocol counts lines and columns from 0; editors and
			// DevTools count from 1.
			fmt.Fprintf(&b, "\n    at %s (%s:%d:%d)", name, f.URL, f.LineNumber+1, f.ColumnNumber+1)
		}
	}
	return b.String()
}

// Console returns what the page has written to its console so far, one entry
// per message: calls of the console API as "log: text", "error: text" and so
// on, uncaught exceptions and unhandled rejections as "exception: text"
// followed by the stack, and the browser's own log entries (failed loads,
// for example). Entries arrive asynchronously, so a message logged just now
// can be missing.
func (p *Page) Console() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.console...)
}

// Run runs actions on the page, in order, and stops at the first error. ctx
// bounds this call only.
//
// To get a value out of the page, use the function [Run].
func (p *Page) Run(ctx context.Context, actions ...chromedp.Action[chromedp.Void]) error {
	_, err := Run(ctx, p, chromedp.Steps(actions...))
	return err
}

// Run runs one action on page p and returns its value, for example
//
//	n, err := browser.Run(ctx, p, chromedp.Evaluate[int](`1 + 2`))
//
// ctx bounds this call only.
func Run[T any](ctx context.Context, p *Page, action chromedp.Action[T]) (T, error) {
	// chromedp binds the tab to the context of its first run, so every later
	// run must use a child of p.ctx. Bring the caller's ctx into it.
	rctx, cancel := context.WithCancelCause(p.ctx)
	defer cancel(nil)
	stop := context.AfterFunc(ctx, func() { cancel(context.Cause(ctx)) })
	defer stop()

	v, err := chromedp.Run(rctx, action)
	if err != nil && ctx.Err() != nil {
		// chromedp saw a canceled context; say why it was canceled.
		return v, fmt.Errorf("browser: %w", context.Cause(ctx))
	}
	if err != nil {
		return v, fmt.Errorf("browser: %w", err)
	}
	return v, nil
}

// Close closes the tab and disposes of its browser context. The console
// recorded so far stays readable. Close is safe to call more than once.
func (p *Page) Close() {
	p.closeOnce.Do(func() {
		p.cancel() // waits until the tab is closed
		<-p.consoleDone
	})
}
