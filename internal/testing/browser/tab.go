//go:build !js

package browser

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/chromedp/chromedp"
)

// Tab is a page of either engine, [Page] in Chromium or [FirefoxPage] in
// Firefox, for tests that run the same steps in both.
type Tab interface {
	// Navigate loads url and waits for its load event.
	Navigate(ctx context.Context, url string) error
	// Reload reloads the page and waits for its load event.
	Reload(ctx context.Context) error
	// Evaluate evaluates a JavaScript expression, awaits it if it is a
	// promise, and decodes its value as JSON into out (nil: ignored). The
	// value crosses as JSON.stringify makes it in the page.
	Evaluate(ctx context.Context, expr string, out any) error
	// SetViewport sets the size of the viewport in CSS pixels.
	SetViewport(ctx context.Context, width, height int) error
	// Console returns the page's console so far, one entry per message, as
	// "log: text", "error: text", "warning: text" or "exception: text".
	Console() []string
	// Close closes the page; Console stays readable.
	Close()
}

// Engine is a browser of either kind, [Browser] or [Firefox].
type Engine interface {
	// Name is "chromium" or "firefox".
	Name() string
	// NewTab opens a blank page in a browser context of its own.
	NewTab(ctx context.Context) (Tab, error)
}

var (
	_ Tab    = (*Page)(nil)
	_ Tab    = (*FirefoxPage)(nil)
	_ Engine = (*Browser)(nil)
	_ Engine = (*Firefox)(nil)
)

// Name returns "chromium".
func (b *Browser) Name() string { return "chromium" }

// NewTab is [Browser.NewPage] as a [Tab].
func (b *Browser) NewTab(ctx context.Context) (Tab, error) { return b.NewPage(ctx) }

// Name returns "firefox".
func (f *Firefox) Name() string { return "firefox" }

// NewTab is [Firefox.NewPage] as a [Tab].
func (f *Firefox) NewTab(ctx context.Context) (Tab, error) { return f.NewPage(ctx) }

// Navigate loads url in the page and waits for its load event.
func (p *Page) Navigate(ctx context.Context, url string) error {
	return p.Run(ctx, chromedp.Navigate(url))
}

// Reload reloads the page and waits for its load event.
func (p *Page) Reload(ctx context.Context) error {
	return p.Run(ctx, chromedp.Reload())
}

// Evaluate evaluates the JavaScript expression expr in the page, awaits it if
// it is a promise, and decodes its value, as JSON, into out (nil: ignored).
// It is the same as [FirefoxPage.Evaluate], which is why the value crosses
// as JSON text made in the page.
func (p *Page) Evaluate(ctx context.Context, expr string, out any) error {
	text, err := Run(ctx, p, chromedp.Evaluate[*string](evaluateScript(expr), chromedp.EvalAwaitPromise))
	if err != nil {
		return err
	}
	v := json.RawMessage("null")
	if text != nil {
		b, err := json.Marshal(*text)
		if err != nil {
			return fmt.Errorf("browser: evaluate: %w", err)
		}
		v = b
	}
	return decodeEvaluated(v, out)
}

// SetViewport sets the size of the page's viewport in CSS pixels.
func (p *Page) SetViewport(ctx context.Context, width, height int) error {
	return p.Run(ctx, chromedp.EmulateViewport(int64(width), int64(height)))
}

// evaluateScript is the script that [Tab.Evaluate] runs in both engines for
// expr: expr is run as a classic script by indirect eval, so that it may be
// several statements (its value is the last one's, as in the console), then
// awaited, and its value made JSON in the page.
func evaluateScript(expr string) string {
	quoted, _ := json.Marshal(expr) // a string always marshals
	return `(async () => JSON.stringify(await (0, eval)(` + string(quoted) + `)))()`
}
