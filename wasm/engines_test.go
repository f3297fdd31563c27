//go:build !js

package main

// Helpers for end-to-end tests that run in either engine, through browser.Tab: Firefox (internal/testing/browser drives it
// over WebDriver BiDi) as well as Chromium. The Chromium-only tests keep their chromedp helpers in e2e_test.go and
// site_test.go; these are the same steps on a Tab.

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/smokenet/smoke/internal/testing/browser"
)

// firefoxRig is a Firefox and a server of the site for one test, as rig is for Chromium. Firefox starts after the
// server: it is given the server's origin, whose pages may then use WebRTC inside the loopback-only namespace.
type firefoxRig struct {
	site *site
	f    *browser.Firefox
	srv  *browser.Server
}

func newFirefoxRig(t *testing.T) *firefoxRig {
	t.Helper()
	s := getSite(t)
	srv := browser.Serve(t, os.DirFS(s.dir), nil)
	return &firefoxRig{site: s, srv: srv, f: browser.NewFirefox(t, &browser.FirefoxOptions{Origins: []string{srv.URL}})}
}

// page writes a page to the site under name (unique per test) and opens it in a new user context.
func (r *firefoxRig) page(t *testing.T, name, html string) browser.Tab {
	t.Helper()
	if err := os.WriteFile(filepath.Join(r.site.dir, name), []byte(html), 0o644); err != nil {
		t.Fatal(err)
	}
	return openTab(t, r.f, r.srv.URL+"/"+name)
}

// openTab opens url in a new browser context of e.
func openTab(t *testing.T, e browser.Engine, url string) browser.Tab {
	t.Helper()
	p, err := e.NewTab(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	if err := p.Navigate(t.Context(), url); err != nil {
		t.Fatalf("%s: %v", e.Name(), err)
	}
	return p
}

// tabConsole waits until done says the page's console holds what the test waits for, and returns it.
func tabConsole(t *testing.T, p browser.Tab, timeout time.Duration, done func(console []string) bool) []string {
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

// tabEval runs a JS expression (a promise is awaited) in the page and returns its value.
func tabEval[T any](t *testing.T, p browser.Tab, timeout time.Duration, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	var v T
	if err := p.Evaluate(ctx, expr, &v); err != nil {
		t.Fatalf("evaluating in the page: %v\nconsole:\n%s", err, strings.Join(p.Console(), "\n"))
	}
	return v
}

// tabWaitJS is waitJS on a Tab: it polls the boolean JS expression cond until it holds, and ends the wait at once
// when the page reports an exception or an error.
func tabWaitJS(t *testing.T, p browser.Tab, timeout time.Duration, what, cond string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if slices.ContainsFunc(p.Console(), func(c string) bool {
			return strings.HasPrefix(c, "exception:") || strings.HasPrefix(c, "error:")
		}) {
			t.Fatalf("waiting for %s: the page has problems; console:\n%s", what, strings.Join(p.Console(), "\n"))
		}
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		var ok bool
		err := p.Evaluate(ctx, `!!(`+cond+`)`, &ok)
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

// tabDo runs JS statements in the page.
func tabDo(t *testing.T, p browser.Tab, js string) {
	t.Helper()
	tabEval[bool](t, p, 30*time.Second, `(() => { `+js+`; return true })()`)
}

// tabAttr reads an attribute of the first element that selector matches ("" if none).
func tabAttr(t *testing.T, p browser.Tab, selector, name string) string {
	t.Helper()
	return tabEval[string](t, p, 30*time.Second,
		`document.querySelector(`+jsString(selector)+`)?.getAttribute(`+jsString(name)+`) ?? ''`)
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// runCases is runCases (e2e_test.go) in Firefox: it serves testdata/<name>.js, runs its cases in a page and reports
// each as a subtest. It returns the page, whose console the caller checks.
func (r *firefoxRig) runCases(t *testing.T, name string, timeout time.Duration) browser.Tab {
	t.Helper()
	return r.runCasesExcept(t, name, timeout, nil)
}

// runCasesExcept is runCases without the cases named in skip (name → why), which are reported as skipped.
func (r *firefoxRig) runCasesExcept(t *testing.T, name string, timeout time.Duration, skip map[string]string) browser.Tab {
	t.Helper()
	for c, why := range skip {
		t.Run(c, func(t *testing.T) { t.Skip(why) })
	}
	skipped, _ := json.Marshal(slices.Collect(maps.Keys(skip)))
	// Files of their own: the Chromium tests write name.js into the same site, maybe at this moment.
	if err := copyFile(filepath.Join("testdata", name+".js"), filepath.Join(r.site.dir, name+"-firefox.js")); err != nil {
		t.Fatal(err)
	}
	if err := copyFile(filepath.Join("testdata", "harness.js"), filepath.Join(r.site.dir, "harness.js")); err != nil {
		t.Fatal(err)
	}
	p := r.page(t, name+"-firefox.html", pageHead+importMap+`
<script type="module">
import * as smoke from '`+pkgName+`'
import { run } from './`+name+`-firefox.js'
window.skipCases = `+string(skipped)+`
window.results = run(smoke)
</script>
`)
	type result struct {
		Name  string
		OK    bool
		Error string
		MS    float64
	}
	results := tabEval[[]result](t, p, timeout,
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
