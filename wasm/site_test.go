//go:build !js

package main

// The demo site (web/), served the way `make run` serves it: a real smoke-hub process with --web pointing at a
// folder that holds web/ and the package unpacked into node_modules/ (from getSite's build and `npm pack`).

import (
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/smokenet/smoke/internal/testing/browser"
	"github.com/smokenet/smoke/internal/testing/hubtest"
)

// stageSite copies web/ and the built package into a new folder, as `make site` stages bin/site.
func stageSite(t *testing.T) string {
	t.Helper()
	s := getSite(t)
	dir := t.TempDir()
	copyTree := func(from, to string) {
		err := filepath.WalkDir(from, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, err := filepath.Rel(from, path)
			if err != nil {
				return err
			}
			return copyFile(path, filepath.Join(to, rel))
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	copyTree(filepath.Join("..", "web"), dir)
	copyTree(s.pkg, filepath.Join(dir, "node_modules", filepath.FromSlash(pkgName)))
	return dir
}

// serveSite stages the site and runs a smoke-hub that serves it and is its hub; it returns the http:// root (no
// trailing slash).
func serveSite(t *testing.T) string {
	t.Helper()
	ws := hubtest.Start(t, "--web", stageSite(t))
	return "http://" + strings.TrimSuffix(strings.TrimPrefix(ws, "ws://"), "/")
}

// openPage opens url in a new browser context of b.
func openPage(t *testing.T, b *browser.Browser, url string) *browser.Page {
	t.Helper()
	p, err := b.NewPage(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	if err := p.Run(t.Context(), chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	return p
}

// waitJS polls the JS expression cond (a boolean) in the page until it holds; what says what the test waits for.
// An exception or error on the page's console ends the wait at once: the demo pages have none.
func waitJS(t *testing.T, p *browser.Page, timeout time.Duration, what, cond string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if slices.ContainsFunc(p.Console(), func(c string) bool {
			return strings.HasPrefix(c, "exception:") || strings.HasPrefix(c, "error:")
		}) {
			t.Fatalf("waiting for %s: the page has problems; console:\n%s", what, strings.Join(p.Console(), "\n"))
		}
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		ok, err := browser.Run(ctx, p, chromedp.Evaluate[bool](`!!(`+cond+`)`))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s (%s; last error %v); console:\n%s", timeout, what, cond, err,
				strings.Join(p.Console(), "\n"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// do runs a JS statement in the page.
func do(t *testing.T, p *browser.Page, js string) {
	t.Helper()
	evaluate[bool](t, p, 30*time.Second, `(() => { `+js+`; return true })()`)
}

// attr reads an attribute of the first element that selector matches ("" if none).
func attr(t *testing.T, p *browser.Page, selector, name string) string {
	t.Helper()
	return evaluate[string](t, p, 30*time.Second,
		fmt.Sprintf(`document.querySelector(%q)?.getAttribute(%q) ?? ''`, selector, name))
}

// TestSitePages loads each demo page through smoke-hub and checks that it does what it shows, with nothing on the
// console that should not be there. It also checks the types smoke-hub serves the package with.
func TestSitePages(t *testing.T) {
	t.Parallel()
	root := serveSite(t)
	b := browser.New(t)

	for file, want := range map[string]string{
		"/node_modules/" + pkgName + "/dist/smoke.wasm": "application/wasm",
		"/node_modules/" + pkgName + "/index.js":        "text/javascript",
		"/network.js":                                   "text/javascript",
		"/":                                             "text/html",
	} {
		res, err := http.Head(root + file)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if got := res.Header.Get("Content-Type"); res.StatusCode != 200 || !strings.HasPrefix(got, want) {
			t.Errorf("HEAD %s: %s, Content-Type %q; want 200, %s", file, res.Status, got, want)
		}
	}

	pages := []struct {
		name, ready, what string
		then              func(*testing.T, *browser.Page) // what else to check once ready, if anything
	}{
		{"index.html", `document.getElementById('status').textContent.startsWith('The hub is up')`, "the hub check", nil},
		// The example's four sockets: three open, socket2 (node1's own localhost) fails with 4404; node0 accepts three.
		{"sockets.html", `['socket0', 'socket1', 'socket3'].every(s => document.querySelector('[data-socket=' + s + ']')?.dataset.state === 'open')
			&& document.querySelector('[data-socket=socket2]')?.dataset.state === 'closed'
			&& document.querySelector('[data-socket=socket2] .events').textContent.includes('ERR_PORT_NOT_LISTENING')
			&& document.querySelector('[data-socket=socket2] .events').textContent.includes('close 4404')
			&& document.getElementById('accepted').dataset.count === '3'
			&& document.getElementById('addresses').textContent === 'node0 0.0.0.1, node1 0.0.0.2'`, "the example's sockets", nil},
		{"chat.html", `document.getElementById('address').dataset.address !== ''
			&& !document.querySelector('#connect button').disabled`, "an address from the hub", nil},
		{"network.html", `document.getElementById('summary').dataset.nodes === '3'
			&& document.querySelector('#sockets [data-socket="1"]')?.dataset.state === 'open'`, "three nodes and a socket", nil},
		// The original smoke README's two REST examples show what they fetched (hello world; the host's page by its address, as
		// text/html), and the playground's nodes have their addresses; then the playground takes a few requests.
		{"rest.html", `document.getElementById('hello-result').dataset.state === 'done'
			&& document.getElementById('hello').textContent === 'hello world'
			&& document.getElementById('addresses-result').dataset.state === 'done'
			&& document.getElementById('addresses-content').textContent === '<h1>hello world</h1>'
			&& document.getElementById('addresses-type').textContent.startsWith('text/html')
			&& document.getElementById('addresses-status').textContent === '200'
			&& document.querySelector('#addresses-rendered h1')?.textContent === 'hello world'
			&& !document.getElementById('send').disabled`, "the REST examples' results and the playground", restPlayground},
		// The README's database example logs the users in order; the host has an address, and queries itself.
		{"database.html", `document.getElementById('example').dataset.state === 'done'
			&& [...document.querySelectorAll('#example-log li')].map(li => li.textContent).join() === 'alice,dave,jones'
			&& document.getElementById('host-address').dataset.address
			&& !document.querySelector('#query button').disabled`, "the database example and the host", databaseSelf},
	}
	for _, pg := range pages {
		t.Run(pg.name, func(t *testing.T) {
			t.Parallel()
			p := openPage(t, b, root+"/"+pg.name)
			waitJS(t, p, 2*time.Minute, pg.what, pg.ready)
			if pg.then != nil {
				pg.then(t, p)
			}
			time.Sleep(time.Second) // an error that comes late would come now
			noProblems(t, p.Console())
		})
	}
}

// restPlayground makes requests with the REST page's playground form and checks what it shows: a route with a
// parameter and a query, a JSON body echoed, a streamed body, a big body with its progress, and a 404.
func restPlayground(t *testing.T, p *browser.Page) {
	t.Helper()
	host := attr(t, p, "#host-address", "data-address")
	request := func(method, path, body string) {
		t.Helper()
		do(t, p, fmt.Sprintf(`document.getElementById('method').value = %q; document.getElementById('path').value = %q;
			document.getElementById('body').value = %q; document.getElementById('send').click()`, method, path, body))
	}
	response := func(what, status, cond string) {
		t.Helper()
		waitJS(t, p, 2*time.Minute, what, `(d => d.state === 'done' && d.status === '`+status+`')(document.getElementById('response').dataset)
			&& !document.getElementById('send').disabled && (`+cond+`)`)
	}
	shown := `document.getElementById('response-body').textContent`
	header := func(name, prefix string) string {
		return fmt.Sprintf(`[...document.querySelectorAll('#response-headers tr')].some(tr => tr.cells[0].textContent === %q && tr.cells[1].textContent.startsWith(%q))`, name, prefix)
	}

	request("GET", "/hello/smoke?greeting=hi", "")
	response("GET /hello/smoke?greeting=hi", "200", shown+` === 'hi, smoke!'
		&& document.getElementById('response').dataset.url === 'rest://`+host+`/hello/smoke?greeting=hi'
		&& `+header("content-type", "text/plain"))
	if got := evaluate[string](t, p, 30*time.Second, `document.querySelector('#hostlog li')?.dataset.url ?? ''`); got != "/hello/smoke?greeting=hi" {
		t.Errorf("the host log's last request: %q, want /hello/smoke?greeting=hi", got)
	}

	request("POST", "/echo", `{"hello": "smoke", "n": 1}`)
	response("POST /echo", "200", `(() => { try { return JSON.stringify(JSON.parse(`+shown+`)) === '{"hello":"smoke","n":1}' } catch { return false } })()`)

	request("GET", "/stream", "")
	response("GET /stream", "200", shown+`.startsWith('line 1 of 10') && `+shown+`.endsWith('done\n')`)

	request("GET", "/big?mib=2", "")
	response("GET /big?mib=2", "200", `document.getElementById('response').dataset.bytes === '2097152'
		&& document.getElementById('progress').value === 2097152 && document.getElementById('progress').max === 2097152`)

	request("GET", "/missing", "")
	response("GET /missing", "404", "true")
}

// databaseSelf inserts a record in the database page's host and queries the page's own host for it.
func databaseSelf(t *testing.T, p *browser.Page) {
	t.Helper()
	do(t, p, `document.getElementById('name').value = 'grace'; document.querySelector('#insert button[type=submit]').click()`)
	waitJS(t, p, 2*time.Minute, "the insert", `document.getElementById('local-count').dataset.count === '1'`)
	do(t, p, `document.querySelector('#query button').click()`)
	waitJS(t, p, 2*time.Minute, "the query of the page's own host", `document.getElementById('results').dataset.state === 'done'
		&& document.getElementById('results').dataset.count === '1'
		&& document.querySelector('#results tr td').textContent === 'grace'`)
}

// TestSiteDatabaseAcrossTabs checks the database page across two tabs on the hub: one tab's host registers a
// hostname, the other tab queries it live, and records inserted in the host tab arrive in the other tab's table.
func TestSiteDatabaseAcrossTabs(t *testing.T) {
	t.Parallel()
	root := serveSite(t)
	b := browser.New(t)
	const wait = 2 * time.Minute
	ready := `!document.querySelector('#query button').disabled && document.getElementById('local-count').dataset.count === '0'`
	host := openPage(t, b, root+"/database.html")
	client := openPage(t, b, root+"/database.html")
	waitJS(t, host, wait, "the host tab", ready)
	waitJS(t, client, wait, "the client tab", ready)

	do(t, host, `document.getElementById('hostname').value = 'people-tab'; document.querySelector('#register button').click()`)
	waitJS(t, host, wait, "the hostname registered", `document.getElementById('registered').dataset.hostname === 'people-tab'`)
	do(t, host, `document.getElementById('bulk').click()`)
	waitJS(t, host, wait, "1,000 records in the host tab", `document.getElementById('local-count').dataset.count === '1000'`)
	do(t, client, `document.getElementById('target').value = 'people-tab'; document.getElementById('live').checked = true;
		document.querySelector('#query button').click()`)
	waitJS(t, client, wait, "the host tab's records in the client tab", `document.getElementById('results').dataset.count === '1000'
		&& document.getElementById('results').dataset.target === 'people-tab'`)
	do(t, host, `document.getElementById('name').value = 'zed'; document.getElementById('role').value = 'admin';
		document.querySelector('#insert button[type=submit]').click()`)
	waitJS(t, client, wait, "the new record, live", `document.getElementById('results').dataset.count === '1001'
		&& [...document.querySelectorAll('#results tr')].some(tr => tr.cells[0].textContent === 'zed' && tr.cells[1].textContent === 'admin')`)
	// A filtered query: only admins.
	do(t, client, `document.getElementById('live').checked = false; document.getElementById('filter').value = 'admin';
		document.querySelector('#query button').click()`)
	waitJS(t, client, wait, "the admins only", `document.getElementById('results').dataset.state === 'done'
		&& [...document.querySelectorAll('#results tr')].every(tr => tr.cells[1].textContent === 'admin')
		&& Number(document.getElementById('results').dataset.count) < 1001`)
	noProblems(t, host.Console())
	noProblems(t, client.Console())
}

// TestSiteRESTAcrossTabs checks the REST playground across two tabs on the hub: one tab's host registers a
// hostname, and the other tab's client fetches a route from it by that name.
func TestSiteRESTAcrossTabs(t *testing.T) {
	t.Parallel()
	root := serveSite(t)
	b := browser.New(t)
	const wait = 2 * time.Minute
	ready := `!document.getElementById('send').disabled`
	host := openPage(t, b, root+"/rest.html")
	client := openPage(t, b, root+"/rest.html")
	waitJS(t, host, wait, "the host tab's playground", ready)
	waitJS(t, client, wait, "the client tab's playground", ready)

	do(t, host, `document.getElementById('hostname').value = 'rest-tab'; document.querySelector('#register button').click()`)
	waitJS(t, host, wait, "the hostname registered", `document.getElementById('registered').dataset.hostname === 'rest-tab'`)
	do(t, client, `document.getElementById('method').value = 'GET'; document.getElementById('path').value = 'rest://rest-tab/hello/tab?greeting=hey';
		document.getElementById('send').click()`)
	waitJS(t, client, wait, "the other tab's answer", `(d => d.state === 'done' && d.status === '200')(document.getElementById('response').dataset)
		&& document.getElementById('response-body').textContent === 'hey, tab!'`)
	// The host tab's log shows the request, from the client tab's client node.
	from := attr(t, client, "#client-address", "data-address")
	waitJS(t, host, wait, "the request in the host tab's log", fmt.Sprintf(`[...document.querySelectorAll('#hostlog li')].some(li =>
		li.dataset.url === '/hello/tab?greeting=hey' && li.dataset.from === %q)`, from))

	noProblems(t, host.Console())
	noProblems(t, client.Console())
}

// TestSiteNetworkView checks the network view's picture against what its buttons did: the three nodes it starts
// with and their socket, a node added, a socket between other nodes, a socket closed, a node removed, and a node on
// the network hub dialling a chat tab (a remote node).
func TestSiteNetworkView(t *testing.T) {
	t.Parallel()
	root := serveSite(t)
	b := browser.New(t)
	p := openPage(t, b, root+"/network.html")
	const wait = 2 * time.Minute
	node := func(addr string) string { return fmt.Sprintf(`#graph g.node[data-node=%q]`, addr) }
	peer := func(a, b string) string { return fmt.Sprintf(`#graph g.peer[data-peer=%q]`, a+" "+b) }
	summary := func(nodes, peers, sockets int) string {
		return fmt.Sprintf(`(d => d.nodes === '%d' && d.peers === '%d' && d.sockets === '%d')(document.getElementById('summary').dataset)`,
			nodes, peers, sockets)
	}
	is := func(selector, attr, value string) string {
		return fmt.Sprintf(`document.querySelector(%q)?.getAttribute(%q) === %q`, selector, attr, value)
	}

	// At the start: 0.0.0.1-3 on the page hub, each listening on 7000, and socket 1 from 0.0.0.1 to 0.0.0.2 over a
	// connected peer connection; one socket end on each of the two nodes.
	waitJS(t, p, wait, "the starting picture",
		summary(3, 1, 2)+" && "+is(peer("0.0.0.1", "0.0.0.2"), "data-state", "connected")+" && "+
			is(peer("0.0.0.1", "0.0.0.2"), "data-sockets", "1"))
	for _, a := range []string{"0.0.0.1", "0.0.0.2", "0.0.0.3"} {
		if got := attr(t, p, node(a), "data-local") + " " + attr(t, p, node(a), "data-hub") + " " + attr(t, p, node(a), "data-ports"); got != "true page 7000" {
			t.Errorf("node %s: local, hub, ports = %q, want \"true page 7000\"", a, got)
		}
	}
	if s1, s2, s3 := attr(t, p, node("0.0.0.1"), "data-sockets"), attr(t, p, node("0.0.0.2"), "data-sockets"), attr(t, p, node("0.0.0.3"), "data-sockets"); s1 != "1" || s2 != "1" || s3 != "0" {
		t.Errorf("sockets of 0.0.0.1-3: %s %s %s, want 1 1 0", s1, s2, s3)
	}
	if n := evaluate[int](t, p, 30*time.Second, `document.querySelectorAll('#graph g.node').length`); n != 3 {
		t.Errorf("%d nodes drawn, want 3", n)
	}

	// Add a node: 0.0.0.4 appears, and the form suggests a socket from 0.0.0.3 to it. Open that socket.
	do(t, p, `document.getElementById('add').click()`)
	waitJS(t, p, wait, "node 0.0.0.4", summary(4, 1, 2)+" && "+is(node("0.0.0.4"), "data-local", "true")+
		" && document.getElementById('to').value === '0.0.0.4'")
	if from := evaluate[string](t, p, 30*time.Second, `document.getElementById('from').value`); from != "0.0.0.3" {
		t.Errorf("suggested socket from %s, want 0.0.0.3", from)
	}
	do(t, p, `document.getElementById('connect').requestSubmit()`)
	waitJS(t, p, wait, "a socket from 0.0.0.3 to 0.0.0.4",
		summary(4, 2, 4)+" && "+is(peer("0.0.0.3", "0.0.0.4"), "data-state", "connected")+" && "+
			is(peer("0.0.0.3", "0.0.0.4"), "data-sockets", "1")+" && "+is(`#sockets [data-socket="2"]`, "data-state", "open"))

	// Close socket 1: the peer connection stays, carrying no socket.
	do(t, p, `document.querySelector('#sockets [data-socket="1"] button').click()`)
	waitJS(t, p, wait, "socket 1 closed", is(`#sockets [data-socket="1"]`, "data-state", "closed")+" && "+
		is(peer("0.0.0.1", "0.0.0.2"), "data-sockets", "0")+" && "+is(node("0.0.0.1"), "data-sockets", "0"))

	// Remove the newest node, 0.0.0.4: the page no longer runs it, and socket 2 to it closes.
	do(t, p, `document.getElementById('remove').click()`)
	waitJS(t, p, wait, "0.0.0.4 removed", `!document.querySelector('#graph g.node[data-node="0.0.0.4"][data-local="true"]')`+
		" && "+is(`#sockets [data-socket="2"]`, "data-state", "closed")+" && "+is(node("0.0.0.3"), "data-sockets", "0"))

	// Join the network hub, and dial a chat tab (its own browser context) from the new node: the chat tab's node
	// shows as a remote node with a connected peer connection.
	chat := openPage(t, b, root+"/chat.html")
	waitJS(t, chat, wait, "the chat tab's address", `document.getElementById('address').dataset.address !== ''`)
	remote := attr(t, chat, "#address", "data-address")
	do(t, p, `document.getElementById('join').click()`)
	waitJS(t, p, wait, "a node on the network hub", `document.getElementById('joined').dataset.address`)
	mine := attr(t, p, "#joined", "data-address")
	waitJS(t, p, wait, "the network node drawn", is(node(mine), "data-hub", "network")+" && "+is(node(mine), "data-local", "true"))
	do(t, p, fmt.Sprintf(`document.getElementById('from').value = %q; document.getElementById('to').value = %q;
		document.getElementById('connect').requestSubmit()`, mine, remote))
	pair := []string{mine, remote}
	if remote < mine {
		pair = []string{remote, mine}
	}
	waitJS(t, p, wait, "the chat tab as a remote peer", is(node(remote), "data-local", "false")+" && "+
		is(peer(pair[0], pair[1]), "data-state", "connected")+" && "+is(`#sockets [data-socket="3"]`, "data-state", "open"))
	// The socket's first message, the network view's hello, shows in the chat tab.
	waitJS(t, chat, wait, "the hello in the chat tab", `[...document.querySelectorAll('.conv li[data-from="them"]')].some(li => li.textContent === 'hello 1 from `+mine+`')`)

	noProblems(t, p.Console())
	noProblems(t, chat.Console())
}

// TestSiteLinks checks the pages' own links and scripts all exist in the staged site (no dead links) and that the
// site refers to nothing outside it (no CDNs: it must work offline).
func TestSiteLinks(t *testing.T) {
	dir := stageSite(t)
	ref := regexp.MustCompile(`(?:href|src)="([^"]*)"|"(/node_modules/[^"]*)"|from '(\./[^']*)'`)
	web, err := os.ReadDir(filepath.Join("..", "web"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range web {
		b, err := os.ReadFile(filepath.Join("..", "web", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		text := strings.NewReplacer(`"http://www.w3.org/2000/svg"`, "", `'http://www.w3.org/2000/svg'`, "").Replace(string(b))
		if strings.Contains(text, "http://") || strings.Contains(text, "https://") || strings.Contains(text, "//cdn") {
			t.Errorf("web/%s refers to an outside URL", e.Name())
		}
		for _, m := range ref.FindAllStringSubmatch(text, -1) {
			link := m[1] + m[2] + m[3]
			if link == "" || strings.HasPrefix(link, "data:") || strings.HasPrefix(link, "#") {
				continue
			}
			file := filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(link, "/")))
			if st, err := os.Stat(file); err == nil && st.IsDir() {
				file = filepath.Join(file, "index.html")
			}
			if _, err := os.Stat(file); err != nil {
				t.Errorf("web/%s: %s is not in the site", e.Name(), link)
			}
		}
	}
}
