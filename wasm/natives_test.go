//go:build !js

package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// declared is a native function as natives_js.go declares it.
type declared struct {
	name     string
	params   []param
	required int // the arguments a call must pass: up to the last parameter that is not optional
	pos      string
}

// readNatives parses natives_js.go and returns the entries of its natives table.
func readNatives(t *testing.T) map[string]declared {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "natives_js.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]declared{}
	found := false
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || len(vs.Names) != 1 || vs.Names[0].Name != "natives" {
			return true
		}
		found = true
		lit := vs.Values[0].(*ast.CompositeLit)
		for _, e := range lit.Elts {
			entry := e.(*ast.CompositeLit)
			pos := fset.Position(entry.Pos()).String()
			var d declared
			d.pos = pos
			hasFn := false
			for _, kv := range entry.Elts {
				kv, ok := kv.(*ast.KeyValueExpr)
				if !ok {
					t.Fatalf("%s: natives entries must use field names", pos)
				}
				key := kv.Key.(*ast.Ident).Name
				switch key {
				case "name", "params":
					bl, ok := kv.Value.(*ast.BasicLit)
					if !ok || bl.Kind != token.STRING {
						t.Fatalf("%s: %s must be a string literal", pos, key)
					}
					s, _ := strconv.Unquote(bl.Value)
					if key == "name" {
						d.name = s
					} else if d.params, err = parseParams(s); err != nil {
						t.Errorf("%s: %v", pos, err)
					}
				case "fn":
					hasFn = true
				}
			}
			if d.name == "" || !hasFn {
				t.Errorf("%s: an entry needs a name and a fn", pos)
			}
			if _, dup := out[d.name]; dup {
				t.Errorf("%s: %s is declared twice", pos, d.name)
			}
			for i, p := range d.params {
				if !p.optional {
					d.required = i + 1
				}
			}
			out[d.name] = d
		}
		return false
	})
	if !found || len(out) == 0 {
		t.Fatal("natives_js.go has no natives table")
	}
	return out
}

// countArgs returns the number of arguments of the call whose "(" is at src[open], skipping nested brackets,
// strings, template literals and comments.
func countArgs(src string, open int) (int, bool) {
	depth, n, empty := 0, 0, true
	for i := open; i < len(src); i++ {
		c := src[i]
		switch c {
		case '(', '[', '{':
			depth++
			if depth == 1 {
				continue
			}
		case ')', ']', '}':
			depth--
			if depth == 0 {
				if empty {
					return 0, true
				}
				return n + 1, true
			}
		case ',':
			if depth == 1 {
				n++
				continue
			}
		case '\'', '"', '`':
			j := i + 1
			for j < len(src) && src[j] != c {
				if src[j] == '\\' {
					j++
				}
				j++
			}
			i = j
		case '/':
			if i+1 < len(src) && src[i+1] == '/' {
				for i < len(src) && src[i] != '\n' {
					i++
				}
				continue
			}
		case ' ', '\t', '\n', '\r':
			continue
		}
		empty = false
	}
	return 0, false
}

var nativeRef = regexp.MustCompile(`\bnative\.([A-Za-z_$][A-Za-z0-9_$]*)(\s*\()?`)

// TestNatives checks the npm package's JavaScript against the native functions natives_js.go declares: every
// native.X the JavaScript uses is declared, every call passes an argument count the declaration allows, and every
// declared function is used. It also checks that the namespace the package builds (core.js), the names index.js
// exports and the classes index.d.ts declares are the same.
func TestNatives(t *testing.T) {
	decl := readNatives(t)
	files, err := filepath.Glob(filepath.Join("..", "npm", "src", "*.js"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no npm/src/*.js: %v", err)
	}
	files = append(files, filepath.Join("..", "npm", "index.js"))
	used := map[string]bool{}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		src := string(b)
		for _, m := range nativeRef.FindAllStringSubmatchIndex(src, -1) {
			name := src[m[2]:m[3]]
			line := strings.Count(src[:m[0]], "\n") + 1
			where := filepath.Base(file) + ":" + strconv.Itoa(line)
			d, ok := decl[name]
			if !ok {
				t.Errorf("%s: native.%s is not declared in natives_js.go", where, name)
				continue
			}
			used[name] = true
			if m[4] < 0 {
				continue // a reference, not a call
			}
			n, ok := countArgs(src, m[5]-1)
			if !ok {
				t.Errorf("%s: cannot read the arguments of native.%s", where, name)
				continue
			}
			if n < d.required || n > len(d.params) {
				t.Errorf("%s: native.%s called with %d arguments; %s declares %d to %d", where, name, n, d.pos, d.required, len(d.params))
			}
		}
	}
	for name, d := range decl {
		if !used[name] {
			t.Errorf("%s: native %s is declared but no npm/src/*.js calls it", d.pos, name)
		}
	}

	// The namespace: core.js's build() returns it, index.js exports its members, index.d.ts declares them.
	read := func(file string) string {
		b, err := os.ReadFile(filepath.Join("..", "npm", file))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	names := func(list string) []string {
		var out []string
		for _, n := range strings.Split(list, ",") {
			if n = strings.TrimSpace(n); n != "" {
				out = append(out, n)
			}
		}
		slices.Sort(out)
		return out
	}
	core := regexp.MustCompile(`(?m)^  return Object\.freeze\(\{([^}]*)\}\)\n\}\s*$`).FindStringSubmatch(read("src/core.js"))
	if core == nil {
		t.Fatal("core.js: build() does not end with return Object.freeze({ ... })")
	}
	ns := names(core[1])
	exported := regexp.MustCompile(`(?m)^export const \{([^}]*)\} = smoke$`).FindStringSubmatch(read("index.js"))
	if exported == nil {
		t.Fatal("index.js: no export const { ... } = smoke")
	}
	if got := names(exported[1]); !slices.Equal(got, ns) {
		t.Errorf("index.js exports %v; the namespace (core.js) has %v", got, ns)
	}
	dts := read("index.d.ts")
	var classes []string
	for _, m := range regexp.MustCompile(`(?m)^export declare class ([A-Za-z0-9_]+)`).FindAllStringSubmatch(dts, -1) {
		classes = append(classes, m[1])
	}
	slices.Sort(classes)
	if !slices.Equal(classes, ns) {
		t.Errorf("index.d.ts declares the classes %v; the namespace (core.js) has %v", classes, ns)
	}
	iface := regexp.MustCompile(`(?s)export interface Smoke \{(.*?)\n\}`).FindStringSubmatch(dts)
	if iface == nil {
		t.Fatal("index.d.ts: no interface Smoke")
	}
	var members []string
	for _, m := range regexp.MustCompile(`readonly ([A-Za-z0-9_]+): typeof ([A-Za-z0-9_]+)`).FindAllStringSubmatch(iface[1], -1) {
		if m[1] != m[2] {
			t.Errorf("index.d.ts: Smoke.%s is typeof %s", m[1], m[2])
		}
		members = append(members, m[1])
	}
	slices.Sort(members)
	if !slices.Equal(members, ns) {
		t.Errorf("index.d.ts: interface Smoke has %v; the namespace (core.js) has %v", members, ns)
	}
}

// TestCountArgs checks the argument counter TestNatives relies on.
func TestCountArgs(t *testing.T) {
	for _, tc := range []struct {
		src  string
		want int
	}{
		{"f()", 0},
		{"f( )", 0},
		{"f(a)", 1},
		{"f(a, b)", 2},
		{"f(a, (x, y) => g(x, y), [1, 2], { a, b })", 4},
		{"f('a,b', \"c,)\", `d,${e}`)", 3},
		{"f(a, // one, two\n b)", 2},
		{"f(this.#node, port,\n  (a, b) => this.#x(a, b))", 3},
	} {
		got, ok := countArgs(tc.src, strings.IndexByte(tc.src, '('))
		if !ok || got != tc.want {
			t.Errorf("countArgs(%q) = %d, %v; want %d", tc.src, got, ok, tc.want)
		}
	}
}
