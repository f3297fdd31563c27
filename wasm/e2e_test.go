//go:build !js

package main

// The end-to-end tests of the JS face run natively: they build the npm package the way `make npm` does
// (npm/build.sh), pack it with `npm pack`, unpack the tarball into node_modules of a folder served on 127.0.0.1,
// and drive pages in headless Chromium (internal/testing/browser) that import it as users do. So they always test the
// current code through the real published shape of the package.

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/smokenet/smoke/internal/testing/browser"
)

// pkgName is the npm package's name (npm/package.json).
const pkgName = "@smokenet/smoke"

// importMap lets pages import the package by name, as from a bundler.
const importMap = `<script type="importmap">{"imports":{"` + pkgName + `":"/node_modules/` + pkgName + `/index.js"}}</script>`

// pageHead starts every test page.
const pageHead = "<!doctype html>\n<meta charset=\"utf-8\">\n<link rel=\"icon\" href=\"data:,\">\n"

// site is the folder the tests serve: node_modules/@smokenet/smoke holds the unpacked package, pages go at the
// root.
type site struct {
	dir    string
	pkg    string   // the package folder
	packed []string // the files in the tarball; nil when npm is missing and the package was only staged
	wasm   string   // the built smoke.wasm
}

var (
	siteOnce sync.Once
	theSite  *site
	siteErr  error
	tmpRoot  string // removed by TestMain
)

func TestMain(m *testing.M) {
	code := m.Run()
	if tmpRoot != "" {
		os.RemoveAll(tmpRoot)
	}
	os.Exit(code)
}

// getSite builds the package once for all tests.
func getSite(t *testing.T) *site {
	t.Helper()
	siteOnce.Do(func() { theSite, siteErr = buildSite() })
	if siteErr != nil {
		t.Fatal(siteErr)
	}
	return theSite
}

func buildSite() (*site, error) {
	root, err := os.MkdirTemp("", "smoke-npm-test-")
	if err != nil {
		return nil, err
	}
	tmpRoot = root
	dist := filepath.Join(root, "dist")
	if out, err := exec.Command("bash", filepath.Join("..", "npm", "build.sh"), dist).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("npm/build.sh: %v\n%s", err, out)
	}

	// Stage the package as package.json's "files" describe it, with dist/ from this build.
	var pj struct {
		Name  string
		Files []string
	}
	b, err := os.ReadFile(filepath.Join("..", "npm", "package.json"))
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &pj); err != nil {
		return nil, fmt.Errorf("npm/package.json: %w", err)
	}
	if pj.Name != pkgName {
		return nil, fmt.Errorf("npm/package.json: name %q, the tests expect %q", pj.Name, pkgName)
	}
	stage := filepath.Join(root, "stage")
	if err := copyFile(filepath.Join("..", "npm", "package.json"), filepath.Join(stage, "package.json")); err != nil {
		return nil, err
	}
	for _, f := range pj.Files {
		src := filepath.Join("..", "npm", filepath.FromSlash(f))
		if rest, ok := strings.CutPrefix(f, "dist/"); ok {
			src = filepath.Join(dist, rest)
		}
		if err := copyFile(src, filepath.Join(stage, filepath.FromSlash(f))); err != nil {
			return nil, fmt.Errorf("staging %s (listed in package.json files): %w", f, err)
		}
	}

	s := &site{dir: filepath.Join(root, "site"), wasm: filepath.Join(dist, "smoke.wasm")}
	s.pkg = filepath.Join(s.dir, "node_modules", filepath.FromSlash(pkgName))
	npm, err := exec.LookPath("npm")
	if err != nil {
		// Without npm the staged folder stands in for the tarball; TestPack says so.
		if err := os.MkdirAll(filepath.Dir(s.pkg), 0o755); err != nil {
			return nil, err
		}
		return s, os.Rename(stage, s.pkg)
	}
	cmd := exec.Command(npm, "pack", "--json", "--pack-destination", root)
	cmd.Dir = stage
	cmd.Env = append(os.Environ(), "npm_config_update_notifier=false", "npm_config_fund=false",
		"npm_config_audit=false", "npm_config_offline=true", "npm_config_loglevel=error")
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = fmt.Errorf("%w\n%s", err, ee.Stderr)
		}
		return nil, fmt.Errorf("npm pack: %v", err)
	}
	var packs []struct {
		Filename string
		Files    []struct{ Path string }
	}
	if err := json.Unmarshal(out, &packs); err != nil || len(packs) != 1 {
		return nil, fmt.Errorf("npm pack --json: unexpected output (%v):\n%s", err, out)
	}
	for _, f := range packs[0].Files {
		s.packed = append(s.packed, f.Path)
	}
	if err := untar(filepath.Join(root, packs[0].Filename), s.pkg); err != nil {
		return nil, fmt.Errorf("unpacking %s: %w", packs[0].Filename, err)
	}
	return s, nil
}

// copyFile copies src to dst atomically (a temporary file renamed over dst): tests running in parallel may copy
// the same shared file (testdata/harness.js) into one site while a page of theirs loads it.
func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".copy-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}

// untar unpacks an npm tarball (every entry under package/) into dir.
func untar(tgz, dir string) error {
	f, err := os.Open(tgz)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		name, ok := strings.CutPrefix(h.Name, "package/")
		if !ok || !filepath.IsLocal(name) {
			return fmt.Errorf("unexpected entry %q", h.Name)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		dst := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return err
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			return err
		}
	}
}

// rig is a browser and a server of the site, for one test.
type rig struct {
	site *site
	b    *browser.Browser
	srv  *browser.Server
}

func newRig(t *testing.T) *rig {
	t.Helper()
	s := getSite(t)
	return &rig{site: s, b: browser.New(t), srv: browser.Serve(t, os.DirFS(s.dir), nil)}
}

// page writes a page to the site under name (unique per test) and opens it in a new browser context.
func (r *rig) page(t *testing.T, name, html string) *browser.Page {
	t.Helper()
	if err := os.WriteFile(filepath.Join(r.site.dir, name), []byte(html), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := r.b.NewPage(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	if err := p.Run(t.Context(), chromedp.Navigate(r.srv.URL+"/"+name)); err != nil {
		t.Fatal(err)
	}
	return p
}

// waitConsole waits until done says the page's console holds what the test waits for, and returns it.
func waitConsole(t *testing.T, p *browser.Page, timeout time.Duration, done func(console []string) bool) []string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		c := p.Console()
		if done(c) {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v; console:\n%s", timeout, strings.Join(c, "\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// count returns how many console entries are exactly line.
func count(console []string, line string) int {
	n := 0
	for _, c := range console {
		if c == line {
			n++
		}
	}
	return n
}

// index returns the position of line in console, or -1.
func index(console []string, line string) int { return slices.Index(console, line) }

// noProblems fails the test for uncaught exceptions and console errors, except those allowed.
func noProblems(t *testing.T, console []string, allowed ...string) {
	t.Helper()
	for _, c := range console {
		if !strings.HasPrefix(c, "exception:") && !strings.HasPrefix(c, "error:") && !strings.HasPrefix(c, "warning:") {
			continue
		}
		if slices.ContainsFunc(allowed, func(a string) bool { return strings.Contains(c, a) }) {
			continue
		}
		t.Errorf("unexpected console entry:\n%s", c)
	}
}

// evaluate runs a JS expression (a promise is awaited) in the page and returns its value.
func evaluate[T any](t *testing.T, p *browser.Page, timeout time.Duration, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	v, err := browser.Run(ctx, p, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluating in the page: %v\nconsole:\n%s", err, strings.Join(p.Console(), "\n"))
	}
	return v
}

// runCases serves testdata/<name>.js, whose run(smoke) runs its cases one after another in a page and resolves to
// [{ name, ok, error, ms }], and reports each case as a subtest. It returns the page, whose console the caller
// checks.
func runCases(t *testing.T, name string, timeout time.Duration) *browser.Page {
	t.Helper()
	r := newRig(t)
	for _, f := range []string{name + ".js", "harness.js"} {
		if err := copyFile(filepath.Join("testdata", f), filepath.Join(r.site.dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	p := r.page(t, name+".html", pageHead+importMap+`
<script type="module">
import * as smoke from '`+pkgName+`'
import { run } from './`+name+`.js'
window.results = run(smoke)
</script>
`)
	type result struct {
		Name  string
		OK    bool
		Error string
		MS    float64
	}
	results := evaluate[[]result](t, p, timeout,
		`(async () => { while (!window.results) await new Promise(r => setTimeout(r, 20)); return await window.results })()`)
	if len(results) == 0 {
		t.Fatal("no cases ran")
	}
	for _, res := range results {
		t.Run(res.Name, func(t *testing.T) {
			if !res.OK {
				t.Error(res.Error)
			}
			t.Logf("%.0f ms", res.MS)
		})
	}
	return p
}
