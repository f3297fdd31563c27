//go:build !js

package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/smokenet/smoke/internal/testing/browser"
)

// TestReloadKeepsHostname registers a hostname in the chat page, reloads the page and registers it again: the
// unloading page's hub connection closes with 1001, and the hub frees the hostname at once instead of holding it
// for the 30 s it keeps a dropped node's session.
func TestReloadKeepsHostname(t *testing.T) {
	t.Parallel()
	root := serveSite(t)
	b := browser.New(t)
	p := openPage(t, b, root+"/chat.html")
	ready := `document.getElementById('address').dataset.address !== '' && !document.querySelector('#connect button').disabled`
	register := `document.getElementById('hostname').value = 'bob'; document.getElementById('register').requestSubmit()`
	registered := `document.getElementById('registered').dataset.hostname === 'bob'`

	waitJS(t, p, 2*time.Minute, "the page's address", ready)
	first := attr(t, p, "#address", "data-address")
	do(t, p, register)
	waitJS(t, p, time.Minute, "bob registered", registered)

	if err := p.Run(t.Context(), chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	waitJS(t, p, 2*time.Minute, "the reloaded page's address", ready)
	if again := attr(t, p, "#address", "data-address"); again == first {
		t.Fatalf("the reloaded page has the old page's address %s", first)
	}
	start := time.Now()
	do(t, p, register)
	// Well within the hub's 30 s grace: only an immediate release passes.
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := evaluate[string](t, p, 10*time.Second, `document.getElementById('registered').dataset.hostname + '|' + document.getElementById('registered').textContent`)
		if strings.HasPrefix(got, "bob|") {
			break
		}
		if strings.Contains(got, "ERR_") || time.Now().After(deadline) {
			t.Fatalf("registering bob again after a reload: %q", got)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("bob registered again %v after the reload's page started", time.Since(start))
}
