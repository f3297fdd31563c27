//go:build !js

package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/smokenet/smoke/internal/testing/hubtest"
	"github.com/smokenet/smoke/pkg/hub"
	"github.com/smokenet/smoke/pkg/node"
	"github.com/smokenet/smoke/pkg/rest"
)

// TestREST runs the browser-side cases of testdata/rest.js: node.rest.createServer() and node.rest.fetch() between
// two nodes of a page (verbs, routing, headers, status, errors, bodies of 1 MB and 16 MiB both ways, streaming,
// middleware, abort, timeout, progress).
func TestREST(t *testing.T) {
	t.Parallel()
	p := runCases(t, "rest", 8*time.Minute)
	// Handlers that threw or rejected were reported on console.error; nothing else went wrong.
	console := p.Console()
	for _, want := range []string{"rest handler boom", "rest async boom", "rest late boom"} {
		if !slices.ContainsFunc(console, func(c string) bool { return strings.HasPrefix(c, "error:") && strings.Contains(c, want) }) {
			t.Errorf("console.error does not report %q", want)
		}
	}
	noProblems(t, console, "rest handler boom", "rest async boom", "rest late boom", "status must be")
}

// restExamplePage is examplePage for the REST examples, whose code uses await at the top level: through the script
// build it runs in an async function.
func restExamplePage(t *testing.T, mode, name string) string {
	t.Helper()
	page := examplePage(t, mode, name)
	if mode == "script" {
		page = strings.Replace(page, "Smoke.ready.then(() => {", "Smoke.ready.then(async () => {", 1)
	}
	return page
}

// TestRESTOriginalExamples runs the original smoke README's REST examples, verbatim apart from the import line: the hello world at
// its top, and "Rest Server and Addresses" (with the call its code lacks added; see the testdata file).
func TestRESTOriginalExamples(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	for _, mode := range []string{"esm", "script"} {
		t.Run("Hello/"+mode, func(t *testing.T) {
			t.Parallel()
			p := r.page(t, fmt.Sprintf("rest-hello-%s.html", mode), restExamplePage(t, mode, "rest-hello"))
			console := waitConsole(t, p, 60*time.Second, func(c []string) bool { return index(c, "log: watch: text hello world") >= 0 })
			noProblems(t, console)
		})
		t.Run("RestServerAndAddresses/"+mode, func(t *testing.T) {
			t.Parallel()
			p := r.page(t, fmt.Sprintf("rest-addresses-%s.html", mode), restExamplePage(t, mode, "rest-addresses"))
			console := waitConsole(t, p, 60*time.Second, func(c []string) bool { return index(c, "log: <h1>hello world</h1>") >= 0 })
			noProblems(t, console)
		})
	}
}

// TestRESTNativeInterop runs a native Go node and a page on one smoke-hub process. The native node serves a
// stdlib ServeMux through rest.Server, which the page calls with node.rest.fetch; the page serves a RestServer,
// which the native node calls with rest.NewClient.
func TestRESTNativeInterop(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	url := hubtest.Start(t)

	n := node.New(&node.Options{Hub: hub.NewNetworkHub(url, nil)})
	defer n.Close()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello/{name}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Native", "yes")
		fmt.Fprintf(w, "hello %s from %s, you are %s", r.PathValue("name"), r.Host, r.RemoteAddr)
	})
	mux.HandleFunc("POST /sum", func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		sum := 0
		for _, c := range b {
			sum += int(c)
		}
		fmt.Fprintf(w, "%d bytes, sum %d", len(b), sum)
	})
	l, err := n.Listen(80)
	if err != nil {
		t.Fatal(err)
	}
	srv := &rest.Server{Handler: mux}
	go srv.Serve(l)
	defer srv.Close()
	if err := n.Hub().Register(ctx, "native-rest"); err != nil {
		t.Fatal(err)
	}
	nativeAddr, err := n.Address(ctx)
	if err != nil {
		t.Fatal(err)
	}

	r := newRig(t)
	p := r.page(t, "rest-interop.html", pageHead+importMap+`
<script type="module">
import { Node, NetworkHub } from '`+pkgName+`'
window.result = (async () => {
  const node = new Node({ hub: new NetworkHub(`+strconv.Quote(url)+`) })
  const address = await node.address()
  node.rest.createServer().get('/hi', (req, res) => res.json({ from: address, caller: req.address, q: req.query.q })).listen(8080)
  await node.hub.register('browser-rest')
  const hello = await node.rest.fetch('rest://native-rest/hello/page')
  const data = new Uint8Array(300000).map((_, i) => i % 251)
  const sum = await node.rest.fetch('rest://native-rest/sum', { method: 'POST', body: data })
  const missing = await node.rest.fetch('rest://native-rest/missing')
  return { address, status: hello.status, header: hello.headers.get('x-native'), hello: await hello.text(),
           sum: await sum.text(), missing: missing.status }
})()
</script>
`)
	type result struct {
		Address, Header, Hello, Sum string
		Status, Missing             int
	}
	v := evaluate[result](t, p, 3*time.Minute,
		`(async () => { while (!window.result) await new Promise(r => setTimeout(r, 20)); return await window.result })()`)
	if v.Status != 200 || v.Header != "yes" {
		t.Errorf("GET /hello: status %d, X-Native %q", v.Status, v.Header)
	}
	if want := fmt.Sprintf("hello page from native-rest, you are %s", v.Address); !strings.HasPrefix(v.Hello, want) {
		t.Errorf("GET /hello: %q, want it to start with %q", v.Hello, want)
	}
	sum := 0
	for i := range 300000 {
		sum += i % 251
	}
	if want := fmt.Sprintf("300000 bytes, sum %d", sum); v.Sum != want {
		t.Errorf("POST /sum: %q, want %q", v.Sum, want)
	}
	if v.Missing != http.StatusNotFound {
		t.Errorf("GET /missing: status %d, want 404", v.Missing)
	}

	// And the other way: the native node calls the page's server by its hostname.
	resp, err := rest.NewClient(n).Get("rest://browser-rest:8080/hi?q=native")
	if err != nil {
		t.Fatalf("native → page: %v\nconsole:\n%s", err, strings.Join(p.Console(), "\n"))
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf(`{"from":%q,"caller":%q,"q":"native"}`, v.Address, nativeAddr); resp.StatusCode != 200 || string(b) != want {
		t.Errorf("native → page: %d %s, want 200 %s", resp.StatusCode, b, want)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("native → page: Content-Type %q", ct)
	}
	noProblems(t, p.Console())
}
