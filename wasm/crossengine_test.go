//go:build !js

package main

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/smokenet/smoke/internal/browser"
	"github.com/smokenet/smoke/internal/hubtest"
)

// exchangePage is a page whose node is on the smoke-hub named by ?hub=, registers the hostname ?name=, echoes every
// message on port 7000, and has exchange(target, sizes), which dials target:7000, sends a binary message of each
// size and a text message, and compares what comes back by SHA-256. sctpMax() is the SCTP max-message-size this
// browser offers, from a pair of RTCPeerConnections of its own.
const exchangePage = pageHead + importMap + `
<script type="module">
import { Node, NetworkHub } from '` + pkgName + `'
const params = new URLSearchParams(location.search)
const node = new Node({ hub: new NetworkHub(params.get('hub')) })
node.sockets.createServer((socket) => socket.on('message', (m) => socket.send(m.data))).listen(7000)

const hex = async (data) => {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : new Uint8Array(data)
  return [...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))].map((b) => b.toString(16).padStart(2, '0')).join('')
}
const random = (n) => {
  const b = new Uint8Array(n)
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(b.subarray(i, Math.min(n, i + 65536)))
  return b
}

window.exchange = async (target, sizes) => {
  const socket = node.sockets.connect(target, 7000)
  const replies = []
  let wake = () => {}
  socket.on('message', (m) => { replies.push(m.data); wake() })
  await new Promise((resolve, reject) => { socket.on('open', resolve); socket.on('error', reject) })
  const next = async () => {
    while (replies.length === 0) await new Promise((resolve) => { wake = resolve })
    return replies.shift()
  }
  const results = []
  // Text: multi-byte characters, 2 bytes each in UTF-8, past Chromium's limit too.
  const messages = [...sizes.map(random), 'ä'.repeat(200000) + ' end']
  for (const sent of messages) {
    const start = performance.now()
    socket.send(sent)
    const got = await next()
    const text = typeof sent === 'string'
    results.push({
      kind: text ? 'text' : 'binary',
      size: text ? new TextEncoder().encode(sent).length : sent.length,
      gotKind: typeof got === 'string' ? 'text' : (got instanceof ArrayBuffer || ArrayBuffer.isView(got) ? 'binary' : typeof got),
      same: (await hex(sent)) === (await hex(got)),
      ms: performance.now() - start,
    })
  }
  socket.close()
  return results
}

window.sctpMax = async () => {
  const a = new RTCPeerConnection(), b = new RTCPeerConnection()
  a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate)
  b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate)
  a.createDataChannel('x')
  await a.setLocalDescription(); await b.setRemoteDescription(a.localDescription)
  await b.setLocalDescription(); await a.setRemoteDescription(b.localDescription)
  const max = (sdp) => Number(/a=max-message-size:(\d+)/.exec(sdp)?.[1] ?? 65536)
  const offered = max(a.localDescription.sdp)
  a.close(); b.close()
  return offered
}

window.ready = (async () => {
  const address = await node.address()
  await node.hub.register(params.get('name'))
  return address
})()
</script>
`

// TestChromiumFirefoxHub puts a Chromium page and a Firefox page on one smoke-hub, each with a hostname and an echo
// server, and has each dial the other by hostname and send messages past Chromium's SCTP max-message-size (262,144
// bytes; Firefox offers far more), binary and text, which must come back intact.
func TestChromiumFirefoxHub(t *testing.T) {
	t.Parallel()
	hubURL := hubtest.Start(t)
	s := getSite(t)
	srv := browser.Serve(t, os.DirFS(s.dir), nil)
	if err := os.WriteFile(filepath.Join(s.dir, "exchange.html"), []byte(exchangePage), 0o644); err != nil {
		t.Fatal(err)
	}
	chromium := browser.New(t)
	firefox := browser.NewFirefox(t, &browser.FirefoxOptions{Origins: []string{srv.URL}})
	page := func(e browser.Engine, name string) browser.Tab {
		return openTab(t, e, fmt.Sprintf("%s/exchange.html?hub=%s&name=%s", srv.URL, url.QueryEscape(hubURL), name))
	}
	c, f := page(chromium, "chromium-page"), page(firefox, "firefox-page")
	const wait = 3 * time.Minute
	// The module runs after the package's top-level await, which the load event does not wait for.
	ready := `(async () => { while (!window.ready) await new Promise((r) => setTimeout(r, 20)); return await window.ready })()`
	cAddr, fAddr := tabEval[string](t, c, wait, ready), tabEval[string](t, f, wait, ready)
	t.Logf("Chromium is %s, Firefox is %s", cAddr, fAddr)

	cMax, fMax := tabEval[int](t, c, wait, `sctpMax()`), tabEval[int](t, f, wait, `sctpMax()`)
	t.Logf("SCTP max-message-size offered: Chromium %d, Firefox %d", cMax, fMax)
	sizes := []int{1, 16 << 10, 64 << 10, 262143, 262144, 262145, 1 << 20, 4 << 20}
	if biggest := sizes[len(sizes)-1]; biggest <= cMax {
		t.Fatalf("the largest message, %d bytes, is not larger than Chromium's SCTP limit %d: the test would prove nothing", biggest, cMax)
	}

	type result struct {
		Kind, GotKind string
		Size          int
		Same          bool
		MS            float64
	}
	for _, dir := range []struct {
		from      browser.Tab
		what, to  string
		toAddress string
	}{
		{c, "Chromium → Firefox", "firefox-page", fAddr},
		{f, "Firefox → Chromium", "chromium-page", cAddr},
	} {
		results := tabEval[[]result](t, dir.from, wait, fmt.Sprintf(`exchange(%s, %s)`, jsString(dir.to), strings.ReplaceAll(fmt.Sprint(sizes), " ", ",")))
		if len(results) != len(sizes)+1 {
			t.Fatalf("%s: %d results, want %d", dir.what, len(results), len(sizes)+1)
		}
		var log []string
		for _, r := range results {
			if !r.Same || r.Kind != r.GotKind {
				t.Errorf("%s: a %s message of %d bytes came back as %s, same bytes %v", dir.what, r.Kind, r.Size, r.GotKind, r.Same)
			}
			log = append(log, fmt.Sprintf("%s %d B: %.0f ms", r.Kind, r.Size, r.MS))
		}
		t.Logf("%s (to %s), round trips: %s", dir.what, dir.toAddress, strings.Join(log, ", "))
	}
	noProblems(t, c.Console())
	noProblems(t, f.Console())
}

// TestChromiumFirefoxChat runs the chat demo with page A in Chromium and page B in Firefox, through the smoke-hub
// that serves the site: B dials A by address and by hostname, messages go both ways, and B sees its sockets close
// when A's page closes.
func TestChromiumFirefoxChat(t *testing.T) {
	t.Parallel()
	root := serveSite(t)
	twoPageChat(t, browser.New(t), browser.NewFirefox(t, &browser.FirefoxOptions{Origins: []string{root}}), root)
}
