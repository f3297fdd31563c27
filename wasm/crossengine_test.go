//go:build !js

package main

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/smokenet/smoke/internal/testing/browser"
	"github.com/smokenet/smoke/internal/testing/hubtest"
	"github.com/smokenet/smoke/pkg/hub"
	"github.com/smokenet/smoke/pkg/node"
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
	// A page file per test: tests run side by side, and one must not read a file that another is writing.
	if err := os.WriteFile(filepath.Join(s.dir, "exchange-chromium-firefox.html"), []byte(exchangePage), 0o644); err != nil {
		t.Fatal(err)
	}
	chromium := browser.New(t)
	firefox := browser.NewFirefox(t, &browser.FirefoxOptions{Origins: []string{srv.URL}})
	page := func(e browser.Engine, name string) browser.Tab {
		return openTab(t, e, fmt.Sprintf("%s/exchange-chromium-firefox.html?hub=%s&name=%s", srv.URL, url.QueryEscape(hubURL), name))
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

// TestFirefoxNativeHub puts a Firefox page and a native Go node (pion WebRTC) on one smoke-hub: the page sends the
// native node's echo server messages from 1 byte to 4 MiB, binary and text, and the native node sends the page's
// echo server a 1 MiB binary message and a text message; everything must come back intact.
func TestFirefoxNativeHub(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	hubURL := hubtest.Start(t)

	n := node.New(&node.Options{Hub: hub.NewNetworkHub(hubURL, nil)})
	defer n.Close()
	l, err := n.Listen(7000)
	if err != nil {
		t.Fatal(err)
	}
	go func() { // echo every message on every socket
		for {
			s, err := l.Accept(ctx)
			if err != nil {
				return
			}
			go func() {
				for {
					typ, b, err := s.Read(ctx)
					if err != nil || s.Write(ctx, typ, b) != nil {
						return
					}
				}
			}()
		}
	}()
	if err := n.Hub().Register(ctx, "native-node"); err != nil {
		t.Fatal(err)
	}

	s := getSite(t)
	srv := browser.Serve(t, os.DirFS(s.dir), nil)
	if err := os.WriteFile(filepath.Join(s.dir, "exchange-native.html"), []byte(exchangePage), 0o644); err != nil {
		t.Fatal(err)
	}
	f := browser.NewFirefox(t, &browser.FirefoxOptions{Origins: []string{srv.URL}})
	p := openTab(t, f, fmt.Sprintf("%s/exchange-native.html?hub=%s&name=firefox-page", srv.URL, url.QueryEscape(hubURL)))
	const wait = 3 * time.Minute
	tabEval[string](t, p, wait, `(async () => { while (!window.ready) await new Promise((r) => setTimeout(r, 20)); return await window.ready })()`)

	type result struct {
		Kind, GotKind string
		Size          int
		Same          bool
	}
	sizes := []int{1, 16 << 10, 64 << 10, 262145, 1 << 20, 4 << 20}
	results := tabEval[[]result](t, p, wait, fmt.Sprintf(`exchange('native-node', %s)`, strings.ReplaceAll(fmt.Sprint(sizes), " ", ",")))
	if len(results) != len(sizes)+1 {
		t.Fatalf("Firefox → native: %d results, want %d", len(results), len(sizes)+1)
	}
	for _, r := range results {
		if !r.Same || r.Kind != r.GotKind {
			t.Errorf("Firefox → native: a %s message of %d bytes came back as %s, same bytes %v", r.Kind, r.Size, r.GotKind, r.Same)
		}
	}

	// Native → Firefox.
	sock, err := n.Dial(ctx, "firefox-page", 7000)
	if err != nil {
		t.Fatalf("native → Firefox: %v\nconsole:\n%s", err, strings.Join(p.Console(), "\n"))
	}
	defer sock.CloseNow()
	big := make([]byte, 1<<20)
	for i := range big {
		big[i] = byte(i * 7 / 3)
	}
	for _, m := range []struct {
		typ  node.MessageType
		data []byte
	}{{node.MessageBinary, big}, {node.MessageText, []byte(strings.Repeat("ä", 150000) + " end")}} {
		if err := sock.Write(ctx, m.typ, m.data); err != nil {
			t.Fatal(err)
		}
		typ, got, err := sock.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if typ != m.typ || !bytes.Equal(got, m.data) {
			t.Errorf("native → Firefox: a message of type %v and %d bytes came back as type %v, %d bytes, equal %v", m.typ, len(m.data), typ, len(got), bytes.Equal(got, m.data))
		}
	}
	noProblems(t, p.Console())
}
