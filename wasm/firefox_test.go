//go:build !js

package main

// The browser end-to-end suite in Firefox ESR: the original smoke README's socket and REST examples (the pages that
// examples_test.go and rest_test.go run in Chromium), the socket and REST cases of testdata/api.js and
// testdata/rest.js, the chat demo in two pages over smoke-hub, and every demo page. The checks are those of the
// Chromium tests.

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/smokenet/smoke/internal/testing/browser"
)

// TestFirefoxExamples runs in Firefox the original README's examples that examples_test.go runs in Chromium, with
// the same checks: "Sockets and Loopback" and the node2 → node3 example of "Nodes", through the ESM entry and
// through the <script> build.
func TestFirefoxExamples(t *testing.T) {
	t.Parallel()
	r := newFirefoxRig(t)
	for _, mode := range []string{"esm", "script"} {
		t.Run("SocketsAndLoopback/"+mode, func(t *testing.T) {
			t.Parallel()
			p := r.page(t, fmt.Sprintf("loopback-%s-firefox.html", mode), examplePage(t, mode, "sockets-loopback"))
			want := []string{
				"log: watch: socket0 open", "log: watch: socket1 open", "log: watch: socket3 open",
				"log: watch: socket2 error ERR_PORT_NOT_LISTENING true", "log: watch: socket2 close 4404",
			}
			tabConsole(t, p, 2*time.Minute, func(c []string) bool {
				for _, w := range want {
					if index(c, w) < 0 {
						return false
					}
				}
				return count(c, "log: have socket") == 3
			})
			time.Sleep(300 * time.Millisecond) // anything that should not come, would come now
			console := p.Console()
			if n := count(console, "log: have socket"); n != 3 {
				t.Errorf("%d × have socket, want 3", n)
			}
			if index(console, "log: watch: socket2 error ERR_PORT_NOT_LISTENING true") > index(console, "log: watch: socket2 close 4404") {
				t.Error("socket2: close came before error")
			}
			// socket2.on('error', console.log): the Error itself is logged; Firefox renders it as "Error: message".
			if !slices.ContainsFunc(console, func(c string) bool {
				return strings.HasPrefix(c, "log: Error: smoke: cannot connect to localhost:7000") && strings.Contains(c, "nothing listens")
			}) {
				t.Errorf("socket2's error was not logged by console.log; console:\n%s", strings.Join(console, "\n"))
			}
			for _, bad := range []string{"socket0 error", "socket1 error", "socket3 error", "socket2 open", "socket0 close", "socket1 close", "socket3 close"} {
				for _, c := range console {
					if strings.Contains(c, "watch: "+bad) {
						t.Errorf("unexpected: %s", c)
					}
				}
			}
			noProblems(t, console)
		})

		t.Run("Nodes/"+mode, func(t *testing.T) {
			t.Parallel()
			p := r.page(t, fmt.Sprintf("nodes-%s-firefox.html", mode), examplePage(t, mode, "nodes"))
			console := tabConsole(t, p, 2*time.Minute, func(c []string) bool {
				return index(c, "log: watch: socket close 1000 true") >= 0
			})
			open, hello, closed := index(console, "log: watch: socket open"), index(console, "log: hello"), index(console, "log: watch: socket close 1000 true")
			if open < 0 || hello < 0 || !(open < hello && hello < closed) {
				t.Errorf("want open, hello, close in that order; console:\n%s", strings.Join(console, "\n"))
			}
			noProblems(t, console)
		})
	}
}

// TestFirefoxRESTExamples runs in Firefox the original README's REST examples that rest_test.go runs in Chromium:
// the hello world and "Rest Server and Addresses".
func TestFirefoxRESTExamples(t *testing.T) {
	t.Parallel()
	r := newFirefoxRig(t)
	for _, mode := range []string{"esm", "script"} {
		t.Run("Hello/"+mode, func(t *testing.T) {
			t.Parallel()
			p := r.page(t, fmt.Sprintf("rest-hello-%s-firefox.html", mode), restExamplePage(t, mode, "rest-hello"))
			console := tabConsole(t, p, 2*time.Minute, func(c []string) bool { return index(c, "log: watch: text hello world") >= 0 })
			noProblems(t, console)
		})
		t.Run("RestServerAndAddresses/"+mode, func(t *testing.T) {
			t.Parallel()
			p := r.page(t, fmt.Sprintf("rest-addresses-%s-firefox.html", mode), restExamplePage(t, mode, "rest-addresses"))
			console := tabConsole(t, p, 2*time.Minute, func(c []string) bool { return index(c, "log: <h1>hello world</h1>") >= 0 })
			noProblems(t, console)
		})
	}
}

// TestFirefoxAPI is TestAPI in Firefox: the socket cases of testdata/api.js (error paths, send queueing, close
// codes, ports, hostnames, node.system and node.network).
func TestFirefoxAPI(t *testing.T) {
	t.Parallel()
	p := newFirefoxRig(t).runCases(t, "api", 12*time.Minute)
	console := p.Console()
	for _, want := range []string{"handler boom", "callback boom"} {
		if !slices.ContainsFunc(console, func(c string) bool { return strings.HasPrefix(c, "error:") && strings.Contains(c, want) }) {
			t.Errorf("console.error does not report %q", want)
		}
	}
	noProblems(t, console, "handler boom", "callback boom")
}

// TestFirefoxREST is TestREST in Firefox: the cases of testdata/rest.js (verbs, routing, headers, bodies of 1 MB
// and 16 MiB both ways, streaming, middleware, abort, timeout, progress).
func TestFirefoxREST(t *testing.T) {
	t.Parallel()
	p := newFirefoxRig(t).runCases(t, "rest", 10*time.Minute)
	console := p.Console()
	for _, want := range []string{"rest handler boom", "rest async boom", "rest late boom"} {
		if !slices.ContainsFunc(console, func(c string) bool { return strings.HasPrefix(c, "error:") && strings.Contains(c, want) }) {
			t.Errorf("console.error does not report %q", want)
		}
	}
	noProblems(t, console, "rest handler boom", "rest async boom", "rest late boom", "status must be")
}

// TestFirefoxTwoPageChat is TestTwoPageChat in Firefox: the chat demo in two pages (each in a user context of its
// own) on one smoke-hub that also serves the site. Page B dials page A by address and by hostname, messages go
// both ways on each socket, and when page A closes, both of B's sockets close.
func TestFirefoxTwoPageChat(t *testing.T) {
	t.Parallel()
	root := serveSite(t)
	f := browser.NewFirefox(t, &browser.FirefoxOptions{Origins: []string{root}})
	twoPageChat(t, f, f, root)
}

// twoPageChat runs the chat demo of the site at root in a page of engine ea (A) and a page of engine eb (B).
func twoPageChat(t *testing.T, ea, eb browser.Engine, root string) {
	t.Helper()
	const wait = 3 * time.Minute
	a := openTab(t, ea, root+"/chat.html")
	bp := openTab(t, eb, root+"/chat.html")
	ready := `document.getElementById('address').dataset.address !== '' && !document.querySelector('#connect button').disabled`
	tabWaitJS(t, a, wait, "page A's address", ready)
	tabWaitJS(t, bp, wait, "page B's address", ready)
	addrA, addrB := tabAttr(t, a, "#address", "data-address"), tabAttr(t, bp, "#address", "data-address")
	if addrA == addrB {
		t.Fatalf("both pages have address %s", addrA)
	}
	t.Logf("A (%s) is %s, B (%s) is %s", ea.Name(), addrA, eb.Name(), addrB)

	tabDo(t, a, `document.getElementById('hostname').value = 'alice'; document.getElementById('register').requestSubmit()`)
	tabWaitJS(t, a, wait, "the hostname registered", `document.getElementById('registered').dataset.hostname === 'alice'`)

	conv := func(id int) string { return fmt.Sprintf(`.conv[data-conv="%d"]`, id) }
	send := func(p browser.Tab, id int, text string) {
		t.Helper()
		tabDo(t, p, fmt.Sprintf(`const f = document.querySelector('%s form'); f.querySelector('input').value = %s; f.requestSubmit()`, conv(id), jsString(text)))
	}
	received := func(p browser.Tab, id int, text, what string) {
		t.Helper()
		tabWaitJS(t, p, wait, what, fmt.Sprintf(`[...document.querySelectorAll('%s li[data-from="them"]')].some(li => li.textContent === %s)`, conv(id), jsString(text)))
	}
	isOpen := func(id int, direction string) string {
		return fmt.Sprintf(`document.querySelector('%s')?.dataset.state === 'open' && document.querySelector('%s').dataset.direction === %q`,
			conv(id), conv(id), direction)
	}
	for i, target := range []string{addrA, "alice"} {
		id := i + 1
		tabDo(t, bp, fmt.Sprintf(`document.getElementById('target').value = %s; document.getElementById('connect').requestSubmit()`, jsString(target)))
		tabWaitJS(t, bp, wait, "B's socket to "+target+" open", isOpen(id, "out"))
		tabWaitJS(t, a, wait, "A's socket from B (dialled as "+target+") open", isOpen(id, "in"))
		if got := tabAttr(t, bp, conv(id), "data-remote"); got != addrA {
			t.Errorf("B's socket to %s reached %s, want %s", target, got, addrA)
		}
		if got := tabAttr(t, a, conv(id), "data-remote"); got != addrB {
			t.Errorf("A's socket %d comes from %s, want %s", id, got, addrB)
		}
		send(bp, id, "hello A, by "+target)
		received(a, id, "hello A, by "+target, "B's message on A's socket "+fmt.Sprint(id))
		send(a, id, "hello B, from A's socket "+fmt.Sprint(id))
		received(bp, id, "hello B, from A's socket "+fmt.Sprint(id), "A's reply on B's socket "+fmt.Sprint(id))
	}

	// Close page A: its node goes with it, and B's sockets close.
	start := time.Now()
	a.Close()
	tabWaitJS(t, bp, 3*time.Minute, "B's sockets closed after page A closed",
		`document.querySelector('`+conv(1)+`').dataset.state === 'closed' && document.querySelector('`+conv(2)+`').dataset.state === 'closed'`)
	t.Logf("B's sockets saw close %v after page A's close began", time.Since(start).Round(time.Millisecond))
	noProblems(t, bp.Console())
}

// TestFirefoxSitePages loads each demo page in Firefox through smoke-hub, as TestSitePages does in Chromium, and
// waits until it shows what it does, with nothing on the console that should not be there.
func TestFirefoxSitePages(t *testing.T) {
	t.Parallel()
	root := serveSite(t)
	f := browser.NewFirefox(t, &browser.FirefoxOptions{Origins: []string{root}})
	for _, pg := range []struct{ name, ready string }{
		{"index.html", `document.getElementById('status').textContent.startsWith('The hub is up')`},
		{"sockets.html", `['socket0', 'socket1', 'socket3'].every(s => document.querySelector('[data-socket=' + s + ']')?.dataset.state === 'open')
			&& document.querySelector('[data-socket=socket2]')?.dataset.state === 'closed'
			&& document.querySelector('[data-socket=socket2] .events').textContent.includes('ERR_PORT_NOT_LISTENING')
			&& document.getElementById('accepted').dataset.count === '3'`},
		{"chat.html", `document.getElementById('address').dataset.address !== '' && !document.querySelector('#connect button').disabled`},
		{"network.html", `document.getElementById('summary').dataset.nodes === '3'
			&& document.querySelector('#sockets [data-socket="1"]')?.dataset.state === 'open'
			&& document.querySelector('#graph g.peer')?.dataset.state === 'connected'`},
		{"rest.html", `document.getElementById('hello').textContent === 'hello world'
			&& document.getElementById('addresses-content').textContent === '<h1>hello world</h1>'
			&& !document.getElementById('send').disabled`},
	} {
		t.Run(pg.name, func(t *testing.T) {
			t.Parallel()
			p := openTab(t, f, root+"/"+pg.name)
			tabWaitJS(t, p, 3*time.Minute, "the page working", pg.ready)
			if pg.name == "rest.html" {
				// The playground: a request to the host, streamed, and a big body with its progress.
				tabDo(t, p, `document.querySelector('#routes button[data-try="/stream"]').click()`)
				tabWaitJS(t, p, 3*time.Minute, "/stream", `(d => d.state === 'done' && d.status === '200')(document.getElementById('response').dataset)
					&& document.getElementById('response-body').textContent.endsWith('done\n')`)
				tabDo(t, p, `document.getElementById('method').value = 'GET'; document.getElementById('path').value = '/big?mib=4'; document.getElementById('send').click()`)
				tabWaitJS(t, p, 3*time.Minute, "/big?mib=4", `(d => d.state === 'done' && d.bytes === '4194304')(document.getElementById('response').dataset)
					&& document.getElementById('progress').value === 4194304`)
			}
			time.Sleep(time.Second) // an error that comes late would come now
			noProblems(t, p.Console())
		})
	}
}
