//go:build !js

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// transpile returns testdata/examples/database.ts with its types stripped by the TypeScript compiler of npm/'s dev
// dependencies (transpileModule: types erased, nothing else changed), so that the README example, written in
// TypeScript, runs as it is written.
func transpile(t *testing.T) string {
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
	in, err := os.Open(filepath.Join("testdata", "examples", "database.ts"))
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

// TestDatabaseSeedExample runs the seed README's "Database and Network Query" example, verbatim apart from the
// import line (testdata/examples/database.ts, TypeScript, its types erased by the TypeScript compiler), through the
// ESM entry and the <script> build, each in a browser of its own (the example's database has a fixed name): it
// writes five users to IndexedDB, serves a filtered query over REST, and the client orders and projects it.
func TestDatabaseSeedExample(t *testing.T) {
	t.Parallel()
	code := transpile(t)
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
