//go:build !js

package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/smokenet/smoke/internal/testing/browser"
)

// TestTwoPageChat runs the chat demo in two tabs, each in its own browser context, on one smoke-hub process that
// also serves the site: tab A's node listens on port 7000 and registers a hostname; tab B dials it by address and,
// separately, by the hostname, and messages go both ways on each socket. Then tab A is closed, and both of B's
// sockets must see close.
func TestTwoPageChat(t *testing.T) {
	t.Parallel()
	root := serveSite(t)
	b := browser.New(t)
	const wait = 2 * time.Minute

	a := openPage(t, b, root+"/chat.html")
	bp := openPage(t, b, root+"/chat.html")
	ready := `document.getElementById('address').dataset.address !== '' && !document.querySelector('#connect button').disabled`
	waitJS(t, a, wait, "tab A's address", ready)
	waitJS(t, bp, wait, "tab B's address", ready)
	addrA, addrB := attr(t, a, "#address", "data-address"), attr(t, bp, "#address", "data-address")
	if addrA == addrB {
		t.Fatalf("both tabs have address %s", addrA)
	}
	t.Logf("A is %s, B is %s", addrA, addrB)

	// A registers a hostname.
	do(t, a, `document.getElementById('hostname').value = 'alice'; document.getElementById('register').requestSubmit()`)
	waitJS(t, a, wait, "the hostname registered", `document.getElementById('registered').dataset.hostname === 'alice'`)

	conv := func(id int) string { return fmt.Sprintf(`.conv[data-conv="%d"]`, id) }
	send := func(p *browser.Page, id int, text string) {
		t.Helper()
		do(t, p, fmt.Sprintf(`const f = document.querySelector('%s form'); f.querySelector('input').value = %q; f.requestSubmit()`, conv(id), text))
	}
	received := func(p *browser.Page, id int, text, what string) {
		t.Helper()
		waitJS(t, p, wait, what, fmt.Sprintf(`[...document.querySelectorAll('%s li[data-from="them"]')].some(li => li.textContent === %q)`, conv(id), text))
	}
	isOpen := func(id int, direction string) string {
		return fmt.Sprintf(`document.querySelector('%s')?.dataset.state === 'open' && document.querySelector('%s').dataset.direction === %q`,
			conv(id), conv(id), direction)
	}

	// B dials A by address (B's conversation 1, A's 1), then by hostname (B's 2, A's 2); each socket carries a
	// message each way.
	for i, target := range []string{addrA, "alice"} {
		id := i + 1
		do(t, bp, fmt.Sprintf(`document.getElementById('target').value = %q; document.getElementById('connect').requestSubmit()`, target))
		waitJS(t, bp, wait, "B's socket to "+target+" open", isOpen(id, "out"))
		waitJS(t, a, wait, "A's socket from B (dialled as "+target+") open", isOpen(id, "in"))
		if got := attr(t, bp, conv(id), "data-remote"); got != addrA {
			t.Errorf("B's socket to %s reached %s, want %s", target, got, addrA)
		}
		if got := attr(t, a, conv(id), "data-remote"); got != addrB {
			t.Errorf("A's socket %d comes from %s, want %s", id, got, addrB)
		}
		send(bp, id, "hello A, by "+target)
		received(a, id, "hello A, by "+target, "B's message on A's socket "+fmt.Sprint(id))
		send(a, id, "hello B, from A's socket "+fmt.Sprint(id))
		received(bp, id, "hello B, from A's socket "+fmt.Sprint(id), "A's reply on B's socket "+fmt.Sprint(id))
	}

	// Close tab A: its node goes with it, and B's sockets close.
	start := time.Now()
	a.Close()
	closed := time.Since(start)
	waitJS(t, bp, 3*time.Minute, "B's sockets closed after tab A closed",
		`document.querySelector('`+conv(1)+`').dataset.state === 'closed' && document.querySelector('`+conv(2)+`').dataset.state === 'closed'`)
	elapsed := time.Since(start)
	logs := evaluate[[]string](t, bp, 30*time.Second,
		`[...document.querySelectorAll('.conv li[data-from="info"]')].map(li => li.closest('.conv').dataset.conv + ': ' + li.textContent)`)
	t.Logf("tab A closed in %v; B's sockets saw close %v after the close began; B's socket events:\n%s",
		closed.Round(time.Millisecond), elapsed.Round(time.Millisecond), strings.Join(logs, "\n"))
	noProblems(t, bp.Console())
}
