//go:build !js

package browser

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

// DefaultFirefox is the browser that [StartFirefox] runs when $SMOKE_FIREFOX
// is empty: the Debian package firefox-esr.
const DefaultFirefox = "/usr/bin/firefox-esr"

// FirefoxOptions configures [StartFirefox]. A nil *FirefoxOptions means the
// defaults.
type FirefoxOptions struct {
	// Origins are the origins that pages will load from, each exactly as
	// "http://127.0.0.1:port". Each gets the camera and microphone
	// permissions from the start, which is what makes Firefox gather ICE
	// candidates on lo in a namespace that has nothing else: without them
	// (or a default route) it offers none, and WebRTC cannot connect. A page
	// of an origin not listed here can load, but not connect peer to peer
	// inside the loopback-only namespace. Firefox reads the permissions only
	// when it starts, so start the servers first.
	Origins []string
}

// Firefox is a headless Firefox (the Debian package firefox-esr) driven
// over WebDriver BiDi, the protocol Firefox speaks instead of the DevTools
// protocol that chromedp needs. A Node.js script (firefox/driver.mjs) drives
// it with npm puppeteer-core, installed from firefox/package-lock.json by
// `make firefox-rig` (part of `make test`); nothing is downloaded at run time.
//
// A Firefox lives from [StartFirefox] until [Firefox.Close]. Its methods are
// safe for concurrent use.
type Firefox struct {
	dir   string // the profile directory, removed by Close
	cmd   *exec.Cmd
	stdin io.WriteCloser
	wmu   sync.Mutex // serializes writes to stdin

	stderr  *lockedBuffer
	exited  chan struct{} // closed when the driver's stdout ends
	pid     int           // Firefox's main process, a process group leader
	readErr error         // why stdout ended; read after exited is closed

	mu     sync.Mutex
	nextID int
	calls  map[int]chan firefoxReply
	pages  map[int]*FirefoxPage
	all    []*FirefoxPage
	closed bool

	closeOnce sync.Once
	closeErr  error
}

// firefoxReply is one line of the driver's output: a reply to a command
// (ID, Value or Error) or an event.
type firefoxReply struct {
	ID    int             `json:"id"`
	Value json.RawMessage `json:"value"`
	Error *string         `json:"error"`

	Event string `json:"event"`
	Page  int    `json:"page"`
	Line  string `json:"line"`
	PID   int    `json:"pid"`
}

// firefoxPrefs are the preferences the rig adds to puppeteer-core's own
// (which already turn off updates, telemetry and first-run pages).
func firefoxPrefs(permissionsFile string) map[string]any {
	return map[string]any{
		// WebRTC on a host with only lo: gather loopback candidates, as raw
		// addresses rather than mDNS names (Chromium's
		// --allow-loopback-in-peer-connection and fake media UI do the same).
		"media.peerconnection.ice.loopback":                 true,
		"media.peerconnection.ice.obfuscate_host_addresses": false,
		// Firefox gathers candidates only on the interface of the default
		// route, unless the page holds a camera or microphone permission.
		// With only lo there is no default route: the permissions come from
		// this file, for the exact origins the tests use.
		"permissions.manager.defaultsUrl": "file://" + filepath.ToSlash(permissionsFile),
		// Each page is in a user context (container) of its own; the
		// permissions above must hold in all of them.
		"permissions.isolateBy.userContext": false,
		// performance.now() at full resolution, for timings below a
		// millisecond, as in Chromium.
		"privacy.reduceTimerPrecision": false,
		// Media without devices or prompts, as Chromium's
		// --use-fake-device-for-media-stream, and autoplay allowed.
		"media.navigator.streams.fake":        true,
		"media.navigator.permission.disabled": true,
		"media.autoplay.default":              0,
		// Web Audio may start without a user gesture, as with Chromium's
		// --autoplay-policy=no-user-gesture-required. (On a machine with no
		// audio output, Firefox's AudioContext stays suspended all the same.)
		"media.autoplay.block-webaudio": false,
		// Pages in the background must not run their timers late (Chromium's
		// --disable-background-timer-throttling).
		"dom.min_background_timeout_value":           4,
		"dom.timeout.enable_budget_timer_throttling": false,
	}
}

// StartFirefox launches Firefox and waits until it answers. ctx bounds the
// start only; call [Firefox.Close] to end the browser.
//
// It needs Node.js (node on $PATH), the rig's node_modules and Firefox
// ($SMOKE_FIREFOX, or [DefaultFirefox]); if one is missing, the error says
// how to install it.
func StartFirefox(ctx context.Context, opts *FirefoxOptions) (*Firefox, error) {
	if opts == nil {
		opts = &FirefoxOptions{}
	}
	ffPath := os.Getenv("SMOKE_FIREFOX")
	if ffPath == "" {
		ffPath = DefaultFirefox
	}
	ffPath, err := exec.LookPath(ffPath)
	if err != nil {
		return nil, fmt.Errorf("browser: no Firefox (install it with `apt-get install -y --no-install-recommends firefox-esr`, or set SMOKE_FIREFOX): %w", err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("browser: Firefox is driven by a Node.js script, and there is no node (install Node.js): %w", err)
	}
	rig, err := firefoxRigDir()
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(rig, "node_modules", "puppeteer-core", "package.json")); err != nil {
		return nil, fmt.Errorf("browser: the Firefox rig's packages are not installed (run `make firefox-rig`, or `npm ci` in %s): %w", rig, err)
	}

	var perms strings.Builder
	for _, o := range opts.Origins {
		u, err := url.Parse(o)
		if err != nil || u.Scheme == "" || u.Host == "" || u.Path != "" && u.Path != "/" {
			return nil, fmt.Errorf("browser: Firefox origin %q: want scheme://host:port", o)
		}
		origin := u.Scheme + "://" + u.Host
		fmt.Fprintf(&perms, "origin\tcamera\t1\t%s\norigin\tmicrophone\t1\t%s\n", origin, origin)
	}
	dir, err := os.MkdirTemp("", "smoke-firefox-")
	if err != nil {
		return nil, fmt.Errorf("browser: %w", err)
	}
	// The profile is dir/profile; the permissions file lies beside it, where
	// Firefox never writes.
	permsFile := filepath.Join(dir, "permissions.txt")
	profile := filepath.Join(dir, "profile")
	if err := os.WriteFile(permsFile, []byte(perms.String()), 0o644); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("browser: %w", err)
	}
	if err := os.Mkdir(profile, 0o755); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("browser: %w", err)
	}
	config, err := json.Marshal(map[string]any{"executable": ffPath, "profile": profile, "prefs": firefoxPrefs(permsFile)})
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("browser: %w", err)
	}

	f := &Firefox{
		dir:    dir,
		stderr: &lockedBuffer{},
		exited: make(chan struct{}),
		calls:  make(map[int]chan firefoxReply),
		pages:  make(map[int]*FirefoxPage),
	}
	f.cmd = exec.Command(node, filepath.Join(rig, "driver.mjs"), string(config))
	f.cmd.Dir = rig
	// Firefox keeps its caches under $XDG_CACHE_HOME unless told otherwise;
	// keep them in dir, so a run leaves nothing behind.
	f.cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+filepath.Join(dir, "cache"), "XDG_CONFIG_HOME="+filepath.Join(dir, "config"))
	f.cmd.Stderr = f.stderr
	f.stdin, err = f.cmd.StdinPipe()
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("browser: %w", err)
	}
	stdout, err := f.cmd.StdoutPipe()
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("browser: %w", err)
	}
	if err := f.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("browser: starting the Firefox driver: %w", err)
	}
	ready := make(chan int, 1)
	go f.read(stdout, ready)

	select {
	case pid := <-ready:
		f.pid = pid
		return f, nil
	case <-f.exited:
		f.Close()
		return nil, fmt.Errorf("browser: starting %s: the driver ended: %v\n%s", ffPath, f.readErr, f.stderr.String())
	case <-ctx.Done():
		f.Close()
		return nil, fmt.Errorf("browser: starting %s: %w\n%s", ffPath, context.Cause(ctx), f.stderr.String())
	}
}

// firefoxRigDir returns the folder of driver.mjs and its node_modules: the
// firefox folder beside this file's source. The rig serves tests, which run
// from the source tree.
func firefoxRigDir() (string, error) {
	if dir := os.Getenv("SMOKE_FIREFOX_RIG"); dir != "" {
		return dir, nil
	}
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("browser: cannot find the Firefox rig's folder (set SMOKE_FIREFOX_RIG)")
	}
	return filepath.Join(filepath.Dir(file), "firefox"), nil
}

// read handles the driver's output until it ends: replies go to their
// callers, console lines to their pages. The first ready event's pid goes to
// ready.
func (f *Firefox) read(stdout io.Reader, ready chan<- int) {
	r := bufio.NewReaderSize(stdout, 1<<16)
	for {
		line, err := r.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			var m firefoxReply
			if jerr := json.Unmarshal(line, &m); jerr != nil {
				f.stderr.Write([]byte("unreadable driver output: " + string(line)))
			} else {
				f.dispatch(m, ready)
			}
		}
		if err != nil {
			f.mu.Lock()
			f.readErr = err
			calls := f.calls
			f.calls = nil
			f.mu.Unlock()
			close(f.exited)
			for _, c := range calls {
				close(c)
			}
			return
		}
	}
}

func (f *Firefox) dispatch(m firefoxReply, ready chan<- int) {
	switch m.Event {
	case "ready":
		select {
		case ready <- m.PID:
		default:
		}
	case "console":
		f.mu.Lock()
		p := f.pages[m.Page]
		f.mu.Unlock()
		if p != nil {
			p.mu.Lock()
			p.console = append(p.console, m.Line)
			p.mu.Unlock()
		}
	case "":
		f.mu.Lock()
		c := f.calls[m.ID]
		delete(f.calls, m.ID)
		f.mu.Unlock()
		if c != nil {
			c <- m
		}
	}
}

// call sends a command to the driver and waits for its reply, or for ctx.
func (f *Firefox) call(ctx context.Context, op string, args map[string]any) (json.RawMessage, error) {
	c := make(chan firefoxReply, 1)
	f.mu.Lock()
	if f.calls == nil || f.closed {
		f.mu.Unlock()
		return nil, fmt.Errorf("browser: firefox %s: %w", op, net.ErrClosed)
	}
	f.nextID++
	id := f.nextID
	f.calls[id] = c
	f.mu.Unlock()

	cmd := map[string]any{"id": id, "op": op}
	for k, v := range args {
		cmd[k] = v
	}
	b, err := json.Marshal(cmd)
	if err != nil {
		return nil, fmt.Errorf("browser: firefox %s: %w", op, err)
	}
	f.wmu.Lock()
	_, err = f.stdin.Write(append(b, '\n'))
	f.wmu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("browser: firefox %s: %w", op, err)
	}

	select {
	case m, ok := <-c:
		if !ok {
			return nil, fmt.Errorf("browser: firefox %s: the driver ended: %v\n%s", op, f.readErr, f.stderr.String())
		}
		if m.Error != nil {
			return nil, fmt.Errorf("browser: firefox %s: %s", op, *m.Error)
		}
		return m.Value, nil
	case <-ctx.Done():
		f.mu.Lock()
		delete(f.calls, id)
		f.mu.Unlock()
		return nil, fmt.Errorf("browser: firefox %s: %w", op, context.Cause(ctx))
	}
}

// Close closes the browser, waits until it has exited, kills any process
// that is left and removes the profile. Pages are closed with it, and their
// Console stays readable. Close is safe to call more than once; later calls
// return the first result.
func (f *Firefox) Close() error {
	f.closeOnce.Do(func() {
		f.mu.Lock()
		f.closed = true
		pages := f.all
		f.mu.Unlock()
		for _, p := range pages {
			p.markClosed()
		}

		// The profile is thrown away, so there is nothing to shut down
		// cleanly: kill Firefox (puppeteer starts it as the leader of a
		// process group of its own, which holds its content processes too),
		// then end the driver by the end of its stdin. A graceful close
		// costs seconds for each browser.
		killGroup(f.pid)
		f.stdin.Close()
		waited := make(chan struct{})
		go func() {
			f.cmd.Wait()
			close(waited)
		}()
		select {
		case <-waited:
		case <-time.After(15 * time.Second):
			f.cmd.Process.Kill()
			<-waited
		}
		<-f.exited
		killGroup(f.pid) // in case the driver started it after all
		killLeftovers(f.dir)
		if err := os.RemoveAll(f.dir); err != nil {
			f.closeErr = fmt.Errorf("browser: %w", err)
		}
	})
	return f.closeErr
}

// FirefoxPage is a tab of a [Firefox], in a window and a user context of its
// own: two pages share no cookies, storage or IndexedDB, even on one origin.
// It records its console from the start; see [FirefoxPage.Console]. Its
// methods are safe for concurrent use.
type FirefoxPage struct {
	f  *Firefox
	id int

	mu      sync.Mutex
	console []string
	closed  bool
}

// NewPage opens a blank page in a new user context. ctx bounds the opening
// only; the page lives until [FirefoxPage.Close] or [Firefox.Close].
func (f *Firefox) NewPage(ctx context.Context) (*FirefoxPage, error) {
	v, err := f.call(ctx, "newPage", nil)
	if err != nil {
		return nil, err
	}
	p := &FirefoxPage{f: f}
	if err := json.Unmarshal(v, &p.id); err != nil {
		return nil, fmt.Errorf("browser: firefox newPage: %w", err)
	}
	f.mu.Lock()
	f.pages[p.id] = p
	f.all = append(f.all, p)
	f.mu.Unlock()
	return p, nil
}

// Navigate loads url in the page and waits for its load event.
func (p *FirefoxPage) Navigate(ctx context.Context, url string) error {
	_, err := p.f.call(ctx, "navigate", map[string]any{"page": p.id, "url": url})
	return err
}

// Reload reloads the page and waits for its load event.
func (p *FirefoxPage) Reload(ctx context.Context) error {
	_, err := p.f.call(ctx, "reload", map[string]any{"page": p.id})
	return err
}

// Evaluate evaluates the JavaScript expression expr in the page, awaits it if
// it is a promise, and decodes its value, as JSON, into out (nil: ignored).
func (p *FirefoxPage) Evaluate(ctx context.Context, expr string, out any) error {
	v, err := p.f.call(ctx, "evaluate", map[string]any{"page": p.id, "expr": evaluateScript(expr)})
	if err != nil {
		return err
	}
	return decodeEvaluated(v, out)
}

// SetViewport sets the size of the page's viewport in CSS pixels.
func (p *FirefoxPage) SetViewport(ctx context.Context, width, height int) error {
	_, err := p.f.call(ctx, "viewport", map[string]any{"page": p.id, "width": width, "height": height})
	return err
}

// Console returns what the page has written to its console so far, in the
// form of [Page.Console]: "log: text", "error: text" (with its stack),
// "warning: text", and "exception: text" with its stack for uncaught
// exceptions and unhandled rejections. Firefox renders the arguments itself
// (an Error as "Error: message").
func (p *FirefoxPage) Console() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.console...)
}

// Close closes the page and its user context. The console recorded so far
// stays readable. Close is safe to call more than once.
func (p *FirefoxPage) Close() {
	p.mu.Lock()
	closed := p.closed
	p.closed = true
	p.mu.Unlock()
	if closed {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p.f.call(ctx, "closePage", map[string]any{"page": p.id}) // fails only if the browser is gone already
	p.f.mu.Lock()
	delete(p.f.pages, p.id)
	p.f.mu.Unlock()
}

func (p *FirefoxPage) markClosed() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
}

// decodeEvaluated decodes the JSON text that an evaluation made in the page
// (v is a JSON string holding it, or null for undefined) into out.
func decodeEvaluated(v json.RawMessage, out any) error {
	if out == nil {
		return nil
	}
	text := "null"
	if len(v) > 0 && string(v) != "null" {
		if err := json.Unmarshal(v, &text); err != nil {
			return fmt.Errorf("browser: evaluate: %w", err)
		}
	}
	if err := json.Unmarshal([]byte(text), out); err != nil {
		return fmt.Errorf("browser: evaluate: decoding %.200s: %w", text, err)
	}
	return nil
}

// lockedBuffer is a bytes.Buffer safe for concurrent use.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
