//go:build !js

package browser

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sync"

	"github.com/chromedp/chromedp"
)

// DefaultChromium is the browser that [Start] runs when $SMOKE_CHROMIUM is
// empty: the Debian package chromium.
const DefaultChromium = "/usr/bin/chromium"

// Browser is a headless Chromium process with a fresh profile directory.
//
// A Browser lives from [Start] until [Browser.Close]; the context given to
// Start bounds only the start. Its methods are safe for concurrent use.
type Browser struct {
	dir string // --user-data-dir, removed by Close

	// ctx is the chromedp context of the browser's first tab. It lives until
	// Close, because chromedp ties the life of the process to the context of
	// its first run. Pages are children of it.
	ctx context.Context
	// kill cancels the root of ctx, which kills the process; waitAlloc then
	// waits until it has exited.
	kill      context.CancelFunc
	waitAlloc context.CancelFunc

	mu     sync.Mutex
	pages  []*Page
	closed bool

	closeOnce sync.Once
	closeErr  error
}

// Start launches Chromium and waits until it answers on the DevTools pipe.
// ctx bounds the start only; call [Browser.Close] to end the browser.
//
// If the browser is missing, the error says how to install it.
func Start(ctx context.Context) (*Browser, error) {
	path, err := chromiumPath()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "smoke-browser-")
	if err != nil {
		return nil, fmt.Errorf("browser: %w", err)
	}
	opts := append(chromiumFlags(dir),
		chromedp.ExecPath(path),
		// Crashpad starts before Chromium reads --user-data-dir, and keeps
		// its database under $XDG_CONFIG_HOME/chromium, by default in the
		// user's home. Point it into the profile so a run leaves nothing
		// behind and reads nothing from an earlier one.
		chromedp.Env("XDG_CONFIG_HOME="+dir),
	)
	// The browser outlives ctx, which bounds only the start. The cancel func
	// of chromedp.NewContext is not needed: kill cancels its parent.
	root, kill := context.WithCancel(context.WithoutCancel(ctx))
	actx, waitAlloc := chromedp.NewExecAllocator(root, opts...)
	bctx, _ := chromedp.NewContext(actx)
	b := &Browser{dir: dir, ctx: bctx, kill: kill, waitAlloc: waitAlloc}

	stop := context.AfterFunc(ctx, kill)
	err = chromedp.Do(bctx) // no actions: start the process and attach to its first tab
	if !stop() {
		err = context.Cause(ctx)
	}
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("browser: starting %s: %w", path, err)
	}
	return b, nil
}

// chromiumPath returns the browser to run: $SMOKE_CHROMIUM or
// [DefaultChromium].
func chromiumPath() (string, error) {
	path := os.Getenv("SMOKE_CHROMIUM")
	if path == "" {
		path = DefaultChromium
	}
	found, err := exec.LookPath(path)
	if err != nil {
		return "", fmt.Errorf("browser: no Chromium at %s (install it with `apt-get install -y --no-install-recommends chromium`, or set SMOKE_CHROMIUM): %w", path, err)
	}
	return found, nil
}

// chromiumFlags is the whole command line of the browser, apart from what
// chromedp itself adds (--remote-debugging-pipe and the first URL,
// about:blank). It is built from scratch rather than from
// chromedp.DefaultExecAllocatorOptions so that every flag is one we chose.
func chromiumFlags(userDataDir string) []chromedp.ExecAllocatorOption {
	return []chromedp.ExecAllocatorOption{
		chromedp.Flag("headless", true),
		// Needed as root, and in containers without user namespaces.
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		// QUIC would open UDP sockets of its own next to WebRTC's.
		chromedp.Flag("disable-quic", true),

		// No first-run UI, and no traffic nobody asked for: the tests run
		// without a network, and must not depend on one.
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("user-data-dir", userDataDir),

		// WebRTC on a host with only lo: allow loopback candidates, and
		// grant the media permission, which is what makes Chrome hand out
		// raw 127.0.0.1 candidates instead of mDNS names.
		chromedp.Flag("allow-loopback-in-peer-connection", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.Flag("use-fake-device-for-media-stream", true),

		// Every page but one is in the background. Without these its timers
		// run late and its tests time out.
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
	}
}

// Close kills the browser, waits until it has exited, kills any child process
// that is left and removes the profile directory. Pages of the browser are
// closed with it, and their Console stays readable. Close is safe to call
// more than once; later calls return the first result.
//
// The profile is thrown away, so Close does not ask Chromium to shut down
// first: that only costs half a second for each browser.
func (b *Browser) Close() error {
	b.closeOnce.Do(func() {
		b.mu.Lock()
		b.closed = true
		pages := b.pages
		b.mu.Unlock()

		b.kill()
		b.waitAlloc()
		for _, p := range pages {
			p.Close() // its tab is gone; this ends its goroutines
		}
		killLeftovers(b.dir)
		if err := os.RemoveAll(b.dir); err != nil {
			b.closeErr = fmt.Errorf("browser: %w", err)
		}
	})
	return b.closeErr
}

// register adds p to the pages that Close closes. It fails once Close has
// begun.
func (b *Browser) register(p *Page) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return net.ErrClosed
	}
	p.id = len(b.pages) + 1
	b.pages = append(b.pages, p)
	return nil
}
