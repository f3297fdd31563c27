//go:build !js

package main

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/smokenet/smoke/internal/testing/hubtest"
)

// TestAPI runs the browser-side cases of testdata/api.js: the error paths (closed port, throwing handlers,
// dispose with open sockets, bad arguments), send queueing, close codes, ports, hostnames and the figures of
// node.system and node.network.
func TestAPI(t *testing.T) {
	t.Parallel()
	p := runCases(t, "api", 10*time.Minute)
	// The throwing handlers were reported, not swallowed silently, and nothing else went wrong.
	console := p.Console()
	for _, want := range []string{"handler boom", "callback boom"} {
		if !slices.ContainsFunc(console, func(c string) bool { return strings.HasPrefix(c, "error:") && strings.Contains(c, want) }) {
			t.Errorf("console.error does not report %q", want)
		}
	}
	noProblems(t, console, "handler boom", "callback boom")
}

// TestNetworkHubShared checks what sharing one NetworkHub between Nodes means: each Node opens its own connection
// to the smoke-hub and gets its own address, and they reach each other through it, also by hostname.
func TestNetworkHubShared(t *testing.T) {
	t.Parallel()
	url := hubtest.Start(t)
	r := newRig(t)
	p := r.page(t, "networkhub.html", pageHead+importMap+`
<script type="module">
import { Node, NetworkHub } from '`+pkgName+`'
window.result = (async () => {
  const hub = new NetworkHub(`+strconv.Quote(url)+`)
  const a = new Node({ hub }), b = new Node({ hub })
  const [aAddr, bAddr] = await Promise.all([a.address(), b.address()])
  await a.hub.register('server-a')
  a.sockets.createServer((socket) => socket.on('message', (m) => socket.send('echo ' + m.data))).listen(7000)
  const socket = b.sockets.connect('server-a', 7000)
  const reply = await new Promise((resolve, reject) => {
    socket.on('open', () => socket.send('hi'))
    socket.on('message', (m) => resolve(m.data))
    socket.on('error', reject)
  })
  const peers = b.network.getPeers().map((p) => p.address)
  await Promise.all([a.dispose(), b.dispose()])
  return { aAddr, bAddr, reply, peers }
})()
</script>
`)
	type result struct {
		AAddr, BAddr, Reply string
		Peers               []string
	}
	v := evaluate[result](t, p, 2*time.Minute,
		`(async () => { while (!window.result) await new Promise(r => setTimeout(r, 20)); return await window.result })()`)
	if v.AAddr == "" || v.BAddr == "" || v.AAddr == v.BAddr {
		t.Errorf("addresses %q and %q: want two different ones", v.AAddr, v.BAddr)
	}
	if v.Reply != "echo hi" {
		t.Errorf("reply %q, want %q", v.Reply, "echo hi")
	}
	if !slices.Equal(v.Peers, []string{v.AAddr}) {
		t.Errorf("b's peers %q, want [%s]", v.Peers, v.AAddr)
	}
	noProblems(t, p.Console())
}
