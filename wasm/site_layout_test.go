//go:build !js

package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/smokenet/smoke/internal/testing/browser"
)

// overlapsJS finds, in the network view's picture, every pair of things that overlap on the screen: a node's
// label (address or the line under it) with another label or with another node's circle, or two nodes' circles. It
// measures the DOM (getBoundingClientRect), so it sees what the browser drew. It evaluates to a list of pairs.
const overlapsJS = `(() => {
  const boxes = []
  for (const g of document.querySelectorAll('#graph g.node')) {
    const node = g.dataset.node
    for (const t of g.querySelectorAll('g.label text')) boxes.push({ node, what: 'label "' + t.textContent + '"', r: t.getBoundingClientRect() })
    boxes.push({ node, what: 'circle', r: g.querySelector('circle.body').getBoundingClientRect() })
  }
  const hit = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom
  const pairs = []
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const [a, b] = [boxes[i], boxes[j]]
      if (a.node === b.node) continue // a label stands by its own node
      if (hit(a.r, b.r)) pairs.push(a.node + ' ' + a.what + ' × ' + b.node + ' ' + b.what)
    }
  }
  return pairs
})()`

// overflowJS evaluates to how far the page is wider than its viewport (0: no horizontal overflow), and the
// elements that stick out on the right.
const overflowJS = `(() => {
  const width = document.documentElement.clientWidth
  const out = [...document.querySelectorAll('body *')].filter((el) => {
    const r = el.getBoundingClientRect()
    if (r.width === 0 || r.right <= width + 0.5) return false
    // Inside a box that scrolls sideways, sticking out is that box's business.
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(p).overflowX)) return false
    }
    return true
  }).slice(0, 5).map((el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className?.baseVal ?? el.className ? '.' + (el.className.baseVal ?? el.className) : ''))
  return { over: document.documentElement.scrollWidth - width, out }
})()`

// TestSiteNetworkViewLayout grows the network view to 30 nodes, then a node on the network hub, and checks, on a
// wide screen and on a phone's (390 CSS pixels), that no label overlaps another label or node and that the page
// does not scroll sideways. It checks the picture at 2 nodes too, after the others are removed, with a socket from
// a node to itself drawn as a loop.
func TestSiteNetworkViewLayout(t *testing.T) {
	t.Parallel()
	root := serveSite(t)
	engines := []browser.Engine{browser.New(t), browser.NewFirefox(t, &browser.FirefoxOptions{Origins: []string{root}})}
	for _, e := range engines {
		for _, width := range []int{1000, 390} {
			t.Run(fmt.Sprint(e.Name(), "/", width), func(t *testing.T) {
				t.Parallel()
				networkViewLayout(t, e, root, width)
			})
		}
	}
}

// networkViewLayout is TestSiteNetworkViewLayout in one engine at one width.
func networkViewLayout(t *testing.T, e browser.Engine, root string, width int) {
	p := openTab(t, e, "about:blank")
	if err := p.SetViewport(t.Context(), width, 800); err != nil {
		t.Fatal(err)
	}
	if err := p.Navigate(t.Context(), root+"/network.html"); err != nil {
		t.Fatal(err)
	}
	const wait = 3 * time.Minute
	nodes := func(n int) string {
		return fmt.Sprintf(`document.getElementById('summary').dataset.nodes === '%d' && document.querySelectorAll('#graph g.node').length === %d`, n, n)
	}
	tabWaitJS(t, p, wait, "the starting picture", nodes(3))
	check := func(what string) {
		t.Helper()
		// Nodes move to their places in an animation: measure where they come to rest.
		tabWaitJS(t, p, wait, what+": the picture at rest", `document.getAnimations().length === 0`)
		if pairs := tabEval[[]string](t, p, time.Minute, overlapsJS); len(pairs) > 0 {
			t.Errorf("%s: %d overlaps, e.g. %s", what, len(pairs), strings.Join(pairs[:min(5, len(pairs))], "; "))
		}
		type overflow struct {
			Over float64
			Out  []string
		}
		if o := tabEval[overflow](t, p, time.Minute, overflowJS); o.Over > 0 || len(o.Out) > 0 {
			t.Errorf("%s: the page is %.0f px wider than the %d px screen; sticking out: %q", what, o.Over, width, o.Out)
		}
		shot(t, p, fmt.Sprintf("%s-%d-%s", e.Name(), width, strings.ReplaceAll(what, " ", "-")))
	}

	// A socket from 0.0.0.1 to itself: a loop on the node.
	tabDo(t, p, `document.getElementById('from').value = '0.0.0.1'; document.getElementById('to').value = 'localhost';
		document.getElementById('connect').requestSubmit()`)
	tabWaitJS(t, p, wait, "the loopback socket drawn", `document.querySelector('#graph g.node[data-node="0.0.0.1"]')?.dataset.loopback === '1'
		&& document.querySelector('#graph g.node[data-node="0.0.0.1"] g.loopback')?.dataset.sockets === '1'`)
	check("3 nodes")

	tabDo(t, p, `for (let i = 0; i < 27; i++) document.getElementById('add').click()`)
	tabWaitJS(t, p, wait, "30 nodes", nodes(30))
	check("30 nodes")

	tabDo(t, p, `document.getElementById('join').click()`)
	tabWaitJS(t, p, wait, "a node on the network hub", `document.querySelector('#graph g.node[data-hub="network"]')`)
	if r := tabEval[float64](t, p, time.Minute, `(() => {
		const c = (sel) => { const r = document.querySelector(sel).getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2] }
		const centre = c('#graph g.node[data-node="0.0.0.1"] circle.body'), far = c('#graph g.node[data-node="0.0.0.16"] circle.body')
		const net = c('#graph g.node[data-hub="network"] circle.body')
		const mid = [(centre[0] + far[0]) / 2, (centre[1] + far[1]) / 2]
		const ring = Math.hypot(centre[0] - mid[0], centre[1] - mid[1])
		return Math.hypot(net[0] - mid[0], net[1] - mid[1]) / ring
	})()`); r < 1.1 {
		t.Errorf("the network hub's node is at %.2f times the page ring's radius from the centre, want it on a ring outside", r)
	}
	check("31 nodes")

	tabDo(t, p, `for (let i = 0; i < 29; i++) document.getElementById('remove').click()`)
	tabWaitJS(t, p, wait, "2 nodes", nodes(2))
	check("2 nodes")
}

// shot saves a screenshot of the page to $SMOKE_SHOTS/name.png, when that is set: a person can look at what the
// layout tests checked.
func shot(t *testing.T, p browser.Tab, name string) {
	t.Helper()
	dir := os.Getenv("SMOKE_SHOTS")
	page, ok := p.(*browser.Page)
	if dir == "" || !ok {
		return
	}
	for suffix, action := range map[string]chromedp.Action[[]byte]{
		"":       chromedp.FullScreenshot(100), // quality 100: PNG
		"-graph": chromedp.Screenshot(chromedp.CSS("#graph-wrap")),
	} {
		// A tab that is not in front may never paint the frame a screenshot waits for.
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		b, err := browser.Run(ctx, page, action)
		cancel()
		if err != nil {
			t.Logf("screenshot %s: %v", name, err)
			return
		}
		os.WriteFile(dir+"/"+name+suffix+".png", b, 0o644)
	}
}

// TestSiteNetworkViewRows checks the network view's words and its sockets table: the summary's grammar, a failed
// socket's reason on its row (not only in a tooltip), and the button that clears closed rows and leaves open ones.
func TestSiteNetworkViewRows(t *testing.T) {
	t.Parallel()
	root := serveSite(t)
	p := openTab(t, browser.New(t), root+"/network.html")
	const wait = 3 * time.Minute
	tabWaitJS(t, p, wait, "the starting picture", `document.querySelector('#sockets [data-socket="1"]')?.dataset.state === 'open'
		&& (d => d.nodes === '3' && d.peers === '1' && d.sockets === '2')(document.getElementById('summary').dataset)
		&& document.querySelector('#graph g.peer')?.dataset.state === 'connected'`)
	if got := tabEval[string](t, p, time.Minute, `document.getElementById('summary').textContent`); !strings.Contains(got, "· 1 peer connection (1 connected) ·") || !strings.HasPrefix(got, "3 nodes (3 run by this page)") {
		t.Errorf("summary %q", got)
	}

	// A socket to an address nobody has: it fails, and its row says why.
	tabDo(t, p, `document.getElementById('from').value = '0.0.0.1'; document.getElementById('to').value = '0.0.0.99';
		document.getElementById('connect').requestSubmit()`)
	tabWaitJS(t, p, wait, "socket 2 failed", `document.querySelector('#sockets [data-socket="2"]')?.dataset.state === 'closed'`)
	reason := tabEval[string](t, p, time.Minute, `document.querySelector('#sockets [data-socket="2"] .reason').textContent`)
	code := tabAttr(t, p, `#sockets [data-socket="2"]`, "data-error")
	visible := tabEval[bool](t, p, time.Minute, `(() => { const r = document.querySelector('#sockets [data-socket="2"] .reason').getBoundingClientRect(); return r.width > 0 && r.height > 0 })()`)
	if code == "" || !strings.HasPrefix(reason, code+":") || !visible {
		t.Errorf("socket 2: error code %q, reason shown %q (visible %v); want the reason, starting with its code, on the row", code, reason, visible)
	}

	// Clear the closed rows: socket 2 goes, socket 1 (open) stays, and the button has nothing left to clear.
	if tabEval[bool](t, p, time.Minute, `document.getElementById('clear-closed').disabled`) {
		t.Fatal("the clear button is disabled with a closed row in the table")
	}
	tabDo(t, p, `document.getElementById('clear-closed').click()`)
	if got := tabEval[[]string](t, p, time.Minute, `[...document.querySelectorAll('#sockets tbody tr')].map((tr) => tr.dataset.socket + ' ' + tr.dataset.state)`); len(got) != 1 || got[0] != "1 open" {
		t.Errorf("rows after clearing: %q, want [1 open]", got)
	}
	if !tabEval[bool](t, p, time.Minute, `document.getElementById('clear-closed').disabled`) {
		t.Error("the clear button is enabled with no closed row")
	}
	noProblems(t, p.Console())
}

// TestSitePhoneWidth loads every demo page on a phone's screen (390 CSS pixels wide), in Chromium and in Firefox,
// and checks that none scrolls sideways once it shows what it does (for the REST page, with a response on show).
func TestSitePhoneWidth(t *testing.T) {
	t.Parallel()
	root := serveSite(t)
	engines := []browser.Engine{browser.New(t), browser.NewFirefox(t, &browser.FirefoxOptions{Origins: []string{root}})}
	for _, pg := range []struct{ name, ready, then string }{
		{"index.html", `document.getElementById('status').textContent.startsWith('The hub is up')`, ""},
		{"sockets.html", `document.getElementById('accepted').dataset.count === '3'`, ""},
		{"chat.html", `document.getElementById('address').dataset.address !== ''`,
			`document.getElementById('target').value = document.getElementById('address').dataset.address; document.getElementById('connect').requestSubmit()`},
		{"network.html", `document.querySelector('#sockets [data-socket="1"]')?.dataset.state === 'open'`, ""},
		{"rest.html", `!document.getElementById('send').disabled && document.getElementById('addresses-result').dataset.state === 'done'`,
			`document.querySelector('#routes button[data-try="/"]').click()`},
		{"media.html", `document.getElementById('chain-stats').dataset.state === 'playing'`, ""},
	} {
		for _, e := range engines {
			t.Run(e.Name()+"/"+pg.name, func(t *testing.T) {
				t.Parallel()
				p := openTab(t, e, "about:blank")
				if err := p.SetViewport(t.Context(), 390, 800); err != nil {
					t.Fatal(err)
				}
				if err := p.Navigate(t.Context(), root+"/"+pg.name); err != nil {
					t.Fatal(err)
				}
				tabWaitJS(t, p, 3*time.Minute, "the page ready", pg.ready)
				if pg.then != "" {
					tabDo(t, p, pg.then)
					time.Sleep(2 * time.Second) // what it shows next
				}
				type overflow struct {
					Over float64
					Out  []string
				}
				if o := tabEval[overflow](t, p, time.Minute, overflowJS); o.Over > 0 || len(o.Out) > 0 {
					t.Errorf("the page is %.0f px wider than the 390 px screen; sticking out: %q", o.Over, o.Out)
				}
				shot(t, p, "phone-"+e.Name()+"-"+pg.name)
				noProblems(t, p.Console())
			})
		}
	}
}
