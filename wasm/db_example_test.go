//go:build !js

package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/smokenet/smoke/internal/testing/hubtest"
	"github.com/smokenet/smoke/pkg/hub"
	"github.com/smokenet/smoke/pkg/idb/query"
	"github.com/smokenet/smoke/pkg/node"
	"github.com/smokenet/smoke/pkg/rest"
)

// transpile returns testdata/examples/name with its types stripped by the TypeScript compiler of npm/'s dev
// dependencies (transpileModule: types erased, nothing else changed), so that a README example, written in
// TypeScript, runs as it is written.
func transpile(t *testing.T, name string) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: the TypeScript example cannot be transpiled (install Node.js, then run make npm)")
	}
	ts, err := filepath.Abs(filepath.Join("..", "npm", "node_modules", "typescript"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(ts); err != nil {
		t.Fatalf("TypeScript is not installed in npm/: run make npm (it runs npm ci there): %v", err)
	}
	cmd := exec.Command(node, "-e", `const ts = require(process.argv[1]); let src = ''
process.stdin.on('data', (d) => { src += d }).on('end', () => {
  process.stdout.write(ts.transpileModule(src, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } }).outputText)
})`, ts)
	in, err := os.Open(filepath.Join("testdata", "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	cmd.Stdin = in
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("transpiling: %v", err)
	}
	return string(out)
}

// TestDatabaseReadmeExample runs the original smoke README's "Database and Network Query" example, verbatim apart from the
// import line (testdata/examples/database.ts, TypeScript, its types erased by the TypeScript compiler), through the
// ESM entry and the <script> build, each in a browser of its own (the example's database has a fixed name): it
// writes five users to IndexedDB, serves a filtered query over REST, and the client orders and projects it.
func TestDatabaseReadmeExample(t *testing.T) {
	t.Parallel()
	code := transpile(t, "database.ts")
	for _, mode := range []string{"esm", "script"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			r := newRig(t)
			var page string
			if mode == "esm" {
				page = pageHead + importMap + "\n<script type=\"module\">\nimport { Node, Database } from '" + pkgName + "'\n\n" +
					code + "</script>\n"
			} else {
				page = pageHead + "<script src=\"/node_modules/" + pkgName + "/dist/smoke.js\"></script>\n<script>\n" +
					"Smoke.ready.then(() => {\nconst { Node, Database } = Smoke\n\n" + code + "\n})\n</script>\n"
			}
			p := r.page(t, "database-"+mode+".html", page)
			want := []string{"log: alice", "log: dave", "log: jones"}
			console := waitConsole(t, p, 60*time.Second, func(c []string) bool { return index(c, want[2]) >= 0 })
			at := -1
			for _, w := range want {
				i := index(console, w)
				if i <= at {
					t.Fatalf("console does not log %q after the ones before it:\n%v", w, console)
				}
				at = i
			}
			if n := count(console, "log: smith") + count(console, "log: mike"); n != 0 {
				t.Errorf("the server's filter let %d admins through", n)
			}
			noProblems(t, console)
		})
	}
}

// TestDatabaseNativeInterop runs a native Go node and a page on one smoke-hub process. The page serves a database
// query with res.query, which the native node reads with rest.NewRecordReader and package query's operators,
// stopping early once and reading it whole once; the native node serves records from a Go iterator with a
// rest.RecordWriter, which the page reads with response.query() and its operators.
func TestDatabaseNativeInterop(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	url := hubtest.Start(t)

	type rec struct {
		Key  string `json:"key"`
		I    int    `json:"i"`
		Role string `json:"role"`
	}
	n := node.New(&node.Options{Hub: hub.NewNetworkHub(url, nil)})
	defer n.Close()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /squares", func(w http.ResponseWriter, r *http.Request) {
		rw, err := rest.NewRecordWriter(w, nil)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		// Any Go iterator: here the squares of 0..9999, through package query's operators.
		squares := query.Select(query.Take(func(yield func(int) bool) {
			for i := 0; ; i++ {
				if !yield(i) {
					return
				}
			}
		}, 10000), func(i int) map[string]int { return map[string]int{"i": i, "sq": i * i} })
		for v := range squares {
			if err := rw.Write(r.Context(), v); err != nil {
				return
			}
		}
		rw.Close()
	})
	l, err := n.Listen(80)
	if err != nil {
		t.Fatal(err)
	}
	srv := &rest.Server{Handler: mux}
	go srv.Serve(l)
	defer srv.Close()
	if err := n.Hub().Register(ctx, "native-records"); err != nil {
		t.Fatal(err)
	}

	r := newRig(t)
	p := r.page(t, "db-interop.html", pageHead+importMap+`
<script type="module">
import { Node, NetworkHub, Database } from '`+pkgName+`'
window.result = (async () => {
  const node = new Node({ hub: new NetworkHub(`+strconv.Quote(url)+`) })
  const db = new Database('interop')
  for (let i = 0; i < 20000; i++) db.insert('recs', { key: db.key(), i, role: i % 3 === 0 ? 'admin' : 'user' })
  await db.commit()
  node.rest.createServer().get('/users', (req, res) => res.query(db.query('recs').where((r) => r.role === 'user'))).listen(80)
  await node.hub.register('browser-db')
  const q = (await node.rest.fetch('rest://native-records/squares')).query()
  const odd = await q.where((r) => r.i % 2 === 1).select((r) => r.sq).take(3).toArray()
  const sum = await (await node.rest.fetch('rest://native-records/squares')).query().sum((r) => r.i)
  return { odd, sum }
})()
</script>
`)
	type result struct {
		Odd []int
		Sum int
	}
	v := evaluate[result](t, p, 3*time.Minute,
		`(async () => { while (!window.result) await new Promise(r => setTimeout(r, 20)); return await window.result })()`)
	if !slices.Equal(v.Odd, []int{1, 9, 25}) || v.Sum != 9999*10000/2 {
		t.Errorf("page reading the native node's records: odd squares %v, sum %d; want [1 9 25], %d", v.Odd, v.Sum, 9999*10000/2)
	}

	// The native node reads the page's query: 20,000 records, of which the page's filter lets 13,333 through.
	client := rest.NewClient(n)
	read := func(stopAfter int) []rec {
		t.Helper()
		resp, err := client.Get("rest://browser-db/users")
		if err != nil {
			t.Fatalf("native → page: %v\nconsole:\n%s", err, strings.Join(p.Console(), "\n"))
		}
		defer resp.Body.Close()
		if rest.BodyKind(resp) != rest.KindRecords {
			t.Fatalf("body kind %v", rest.BodyKind(resp))
		}
		rr, err := rest.NewRecordReader(resp)
		if err != nil {
			t.Fatal(err)
		}
		var err2 error
		recs := query.Select(query.Values(rr.All(ctx), &err2), func(raw json.RawMessage) rec {
			var r rec
			if err := json.Unmarshal(raw, &r); err != nil {
				t.Fatalf("record %s: %v", raw, err)
			}
			return r
		})
		if stopAfter > 0 {
			recs = query.Take(recs, stopAfter)
		}
		out := query.ToSlice(recs)
		if err2 != nil {
			t.Fatal(err2)
		}
		return out
	}
	first := read(5)
	if len(first) != 5 || first[0].I != 1 || first[4].I != 7 {
		t.Errorf("first 5 users: %+v", first)
	}
	all := read(0)
	if len(all) != 13333 || !query.All(slices.Values(all), func(r rec) bool { return r.Role == "user" && r.I%3 != 0 }) {
		t.Errorf("all users: %d records", len(all))
	}
	if !slices.IsSortedFunc(all, func(a, b rec) int { return strings.Compare(a.Key, b.Key) }) {
		t.Error("records not in key order")
	}
	noProblems(t, p.Console())
}
