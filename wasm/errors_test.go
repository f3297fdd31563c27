//go:build !js

package main

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// What every error a JavaScript user reads must look like (messages.go): a code, and a message of one plain sentence
// — "smoke: " once, then what failed and why — not a Go error chain ("hub: unknown address: \"x\": unknown
// address"), not internal names or status numbers, nothing said twice.
var (
	errorCode  = regexp.MustCompile(`^ERR_[A-Z_]+$`)
	goisms     = regexp.MustCompile(`\b(smoke|node|hub|rest|idb|jsx): |status \d|\(\w[^)]*\)\)|%!|:0\b|\bnil\b|<nil>`)
	errorNames = map[string]bool{"Error": true, "TypeError": true, "RangeError": true, "AbortError": true, "TimeoutError": true}
)

// TestErrorMessages provokes, in a page, the errors JavaScript users meet most (testdata/errors.js) and holds each
// to the rule: a code, and one plain sentence that does not repeat itself.
func TestErrorMessages(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	if err := copyFile("testdata/errors.js", r.site.dir+"/errors.js"); err != nil {
		t.Fatal(err)
	}
	p := r.page(t, "errors.html", pageHead+importMap+`
<script type="module">
import * as smoke from '`+pkgName+`'
import { run } from './errors.js'
window.results = run(smoke)
</script>
`)
	type result struct{ Case, Name, Code, Message string }
	results := evaluate[[]result](t, p, 5*time.Minute,
		`(async () => { while (!window.results) await new Promise(r => setTimeout(r, 20)); return await window.results })()`)
	for _, res := range results {
		t.Run(res.Case, func(t *testing.T) {
			t.Logf("%s [%s] %s", res.Name, res.Code, res.Message)
			if res.Name == "HARNESS" || res.Name == "NONE" {
				t.Fatalf("no error to check: %s %s", res.Name, res.Message)
			}
			if msg := plainSentenceProblem(res.Message); msg != "" {
				t.Errorf("message %q: %s", res.Message, msg)
			}
			if !errorCode.MatchString(res.Code) {
				t.Errorf("code %q: want ERR_…", res.Code)
			}
			if !errorNames[res.Name] {
				t.Errorf("name %q", res.Name)
			}
		})
	}
}

// plainSentenceProblem says what keeps msg from being one plain sentence, or "".
func plainSentenceProblem(msg string) string {
	rest, ok := strings.CutPrefix(msg, "smoke: ")
	switch {
	case !ok:
		return `does not start with "smoke: "`
	case rest == "":
		return "says nothing"
	case strings.Contains(strings.TrimSuffix(rest, "."), ". "):
		return "more than one sentence"
	case goisms.MatchString(rest):
		return "reads like a Go error chain: " + goisms.FindString(rest)
	case strings.Count(rest, ": ") > 1:
		return "a chain of colons"
	}
	words := strings.Fields(strings.ToLower(rest))
	seen := map[string]bool{}
	for i := 0; i+2 < len(words); i++ {
		tri := strings.Join(words[i:i+3], " ")
		if seen[tri] {
			return "says " + tri + " twice"
		}
		seen[tri] = true
	}
	return ""
}
