//go:build !js

package main

import (
	"strings"
	"testing"
	"time"

	"github.com/smokenet/smoke/internal/testing/browser"
)

// TestSitePlaygroundTry checks the REST playground's buttons: "Try" sends its route's request (a second Try
// cancels the first), Cancel ends a request without calling it an error, and an http:// URL is refused with words
// that say what to use instead, without sending anything.
func TestSitePlaygroundTry(t *testing.T) {
	t.Parallel()
	root := serveSite(t)
	p := openTab(t, browser.New(t), root+"/rest.html")
	const wait = 3 * time.Minute
	tabWaitJS(t, p, wait, "the playground", `!document.getElementById('send').disabled`)
	state := `document.getElementById('response').dataset`
	hostlog := func() int {
		return tabEval[int](t, p, time.Minute, `document.querySelectorAll('#hostlog li[data-url]').length`)
	}

	// Try /hello/:name: the form is filled and the request sent.
	tabDo(t, p, `document.querySelector('#routes button[data-try="/hello/:name?greeting="]').click()`)
	tabWaitJS(t, p, wait, "Try's response", `(d => d.state === 'done' && d.status === '200')(`+state+`)
		&& document.getElementById('response-body').textContent === 'hi, smoke!'`)

	// Try /stream, then Try /time while the stream runs: the stream is cancelled, /time answers.
	tabDo(t, p, `document.querySelector('#routes button[data-try="/stream"]').click()`)
	tabWaitJS(t, p, wait, "the stream under way", state+`.state === 'reading' && document.getElementById('response-body').textContent.startsWith('line 1')`)
	tabDo(t, p, `document.querySelector('#routes button[data-try="/time"]').click()`)
	tabWaitJS(t, p, wait, "/time after the stream", `(d => d.state === 'done' && d.status === '200' && d.url.endsWith('/time'))(`+state+`)`)

	// Cancel a stream: "cancelled", in the muted colour, not an error.
	tabDo(t, p, `document.querySelector('#routes button[data-try="/stream"]').click()`)
	tabWaitJS(t, p, wait, "the stream under way", state+`.state === 'reading'`)
	tabDo(t, p, `document.getElementById('cancel').click()`)
	tabWaitJS(t, p, wait, "the stream cancelled", state+`.state === 'cancelled' && !document.getElementById('send').disabled`)
	if color, muted := tabEval[string](t, p, time.Minute, `getComputedStyle(document.getElementById('status')).color`),
		tabEval[string](t, p, time.Minute, `(() => { const e = document.createElement('span'); e.style.color = 'var(--muted)'; document.body.append(e); const c = getComputedStyle(e).color; e.remove(); return c })()`); color != muted {
		t.Errorf("a cancelled request's status is coloured %s, want the muted %s", color, muted)
	}

	// An http:// URL: refused, nothing sent.
	before := hostlog()
	tabDo(t, p, `document.getElementById('method').value = 'GET'; document.getElementById('path').value = 'http://127.0.0.1:1/time';
		document.getElementById('send').click()`)
	tabWaitJS(t, p, wait, "the http:// URL refused", state+`.state === 'invalid'`)
	words := tabEval[string](t, p, time.Minute, `document.getElementById('status').textContent + ' | ' + document.getElementById('url').textContent`)
	if !strings.Contains(words, "http:") || !strings.Contains(words, "rest://") {
		t.Errorf("the refusal says %q; want it to name http: and what to use (rest://)", words)
	}
	time.Sleep(500 * time.Millisecond)
	if after := hostlog(); after != before {
		t.Errorf("the host saw %d requests after the refusal, want none", after-before)
	}
	noProblems(t, p.Console())
}

// TestSiteChatClear checks that the chat page clears closed conversations on demand and keeps open ones.
func TestSiteChatClear(t *testing.T) {
	t.Parallel()
	root := serveSite(t)
	p := openTab(t, browser.New(t), root+"/chat.html")
	const wait = 3 * time.Minute
	tabWaitJS(t, p, wait, "an address", `document.getElementById('address').dataset.address !== '' && !document.querySelector('#connect button').disabled`)
	self := tabAttr(t, p, "#address", "data-address")

	// Conversation 1: to this tab itself, which stays open (with its accepted end, 2). Conversation 3: to a
	// hostname nobody has, which closes.
	connect := func(target string) {
		tabDo(t, p, `document.getElementById('target').value = `+jsString(target)+`; document.getElementById('connect').requestSubmit()`)
	}
	connect(self)
	tabWaitJS(t, p, wait, "the conversation with itself open", `document.querySelector('.conv[data-conv="1"]')?.dataset.state === 'open'
		&& document.querySelector('.conv[data-conv="2"]')?.dataset.state === 'open'`)
	if !tabEval[bool](t, p, time.Minute, `document.getElementById('clear-closed').disabled`) {
		t.Error("the clear button is enabled with nothing closed")
	}
	connect("nobody-has-this-name")
	tabWaitJS(t, p, wait, "the failed conversation closed", `document.querySelector('.conv[data-conv="3"]')?.dataset.state === 'closed'
		&& !document.getElementById('clear-closed').disabled`)
	tabDo(t, p, `document.getElementById('clear-closed').click()`)
	if got := tabEval[[]string](t, p, time.Minute, `[...document.querySelectorAll('.conv')].map((c) => c.dataset.conv + ' ' + c.dataset.state).sort()`); len(got) != 2 || got[0] != "1 open" || got[1] != "2 open" {
		t.Errorf("conversations after clearing: %q, want 1 and 2, open", got)
	}
	if !tabEval[bool](t, p, time.Minute, `document.getElementById('clear-closed').disabled && document.getElementById('none').hidden`) {
		t.Error("after clearing: the clear button should be disabled and 'None yet' hidden")
	}
	noProblems(t, p.Console())
}

// TestSiteMedia opens the media page in two tabs of one Chromium: each plays the README's chain (the figures under
// its video come from getStats), and the second watches the first across smoke-hub by its hostname, at the
// source's size; stopping the source ends the viewer's stream.
func TestSiteMedia(t *testing.T) {
	t.Parallel()
	root := serveSite(t)
	b := browser.New(t)
	const wait = 3 * time.Minute
	host := openTab(t, b, root+"/media.html")
	viewer := openTab(t, b, root+"/media.html")
	for _, p := range []browser.Tab{host, viewer} {
		tabWaitJS(t, p, wait, "the chain playing with figures", `(() => {
  const s = document.getElementById('chain-stats').dataset
  return s.state === 'playing' && Number(s.fps) > 5 && s.width === '640'
})()`)
		tabWaitJS(t, p, wait, "an address", `document.getElementById('host-address').dataset.address !== undefined && !document.querySelector('#register button').disabled`)
	}
	tabDo(t, host, `document.getElementById('hostname').value = 'media-host'; document.getElementById('register').requestSubmit()`)
	tabWaitJS(t, host, wait, "the hostname", `document.getElementById('registered').dataset.hostname === 'media-host'`)
	tabDo(t, viewer, `document.getElementById('target').value = 'media-host'; document.getElementById('watch').requestSubmit()`)
	tabWaitJS(t, viewer, wait, "the other tab's stream playing", `(() => {
  const s = document.getElementById('remote-stats').dataset
  return s.state === 'playing' && Number(s.fps) > 5 && s.width === '640'
})()`)
	// The host switches its source off (the camera radio gets the fake camera; the test pattern stops): the
	// viewer's stream of the old source ends.
	tabDo(t, host, `document.querySelector('#source input[value=camera]').click()`)
	tabWaitJS(t, viewer, wait, "the viewer's stream ended", `document.getElementById('remote-stats').dataset.state === 'ended'`)
	for _, p := range []browser.Tab{host, viewer} {
		noProblems(t, p.Console())
	}
}
