//go:build !js

package server

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/smokenet/smoke/pkg/hub/internal/wire"
)

// These tests pin the limits that keep one client from hurting the others (doc.go, "Hostile input"). Clients play
// different addresses by dialling from 127.0.0.x, all of which are loopback.

// dialFrom opens a TCP connection to addr from source IP ip.
func dialFrom(t testing.TB, ip, addr string) net.Conn {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: testTimeout}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return nc
}

// roundTrip forwards a message from c to itself through the hub and returns how long it took.
func (c *client) roundTrip(i int) time.Duration {
	c.t.Helper()
	start := time.Now()
	c.sendf(`{"type":"forward","to":%q,"data":%d}`, c.addr(), i)
	if m := c.read(); m.Type != wire.TypeForward || string(m.Data) != fmt.Sprint(i) {
		c.t.Fatalf("round trip %d: got %+v", i, m)
	}
	return time.Since(start)
}

func heapAndStacks() uint64 {
	m := settledMemStats()
	return m.HeapInuse + m.StackInuse
}

// TestHeaderBloat: a thousand connections from ten addresses send upgrade requests with a 1,000,000-byte header, or
// a header just under the limit and then nothing. The hub's memory stays within a budget, a node already connected
// keeps its round-trip time, and a new node connects at once. (Before the header limit: 2.6 GiB, 5 s, 3.3 s.)
func TestHeaderBloat(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 1,000 connections")
	}
	// A header timeout longer than the test: the stalled connections hold their places throughout, however slowly
	// the machine opens the thousand, so the per-address limit is reached.
	ts := newServedTestServer(t, &Options{HeaderTimeout: time.Minute}, nil)
	honest := ts.dial(t, "")
	honest.roundTrip(-1)
	before := heapAndStacks()

	bloat := []byte("X-Bloat: " + strings.Repeat("a", 1_000_000))
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i := range 1000 {
		ip := fmt.Sprintf("127.0.0.%d", 2+i%10)
		nc := dialFrom(t, ip, ts.addr)
		wg.Add(1)
		go func() {
			defer wg.Done()
			fmt.Fprintf(nc, "GET / HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
				"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n", ts.addr)
			if i%2 == 0 {
				nc.Write(bloat) // fails once the hub has had enough
			} else {
				nc.Write(bloat[:7000]) // under the limit: then stall
			}
			<-stop
		}()
	}
	var rtts []time.Duration
	for i := range 100 {
		rtts = append(rtts, honest.roundTrip(i))
		time.Sleep(5 * time.Millisecond)
	}
	start := time.Now()
	newcomer := ts.dial(t, "")
	connectTime := time.Since(start)
	newcomer.roundTrip(0)
	during := heapAndStacks()
	close(stop)
	wg.Wait()

	slices.Sort(rtts)
	p99 := rtts[len(rtts)*99/100]
	t.Logf("heap+stacks %d → %d KiB; honest round trip p50 %v p99 %v; new node connected in %v",
		before>>10, during>>10, rtts[len(rtts)/2], p99, connectTime)
	// The stalled half holds at most MaxHTTPConnectionsPerIP connections per address, each with a header buffer.
	if grown := int64(during) - int64(before); grown > 48<<20 {
		t.Errorf("the hub grew by %d MiB under header bloat", grown>>20)
	}
	if p99 > time.Second {
		t.Errorf("round trip p99 %v under header bloat", p99)
	}
	if connectTime > 2*time.Second {
		t.Errorf("a new node took %v to connect under header bloat", connectTime)
	}
	st := ts.Stats()
	if st.LimitHits["http_request_incomplete"] == 0 || st.LimitHits["max_http_connections_per_ip"] == 0 {
		t.Errorf("limit hits %v: want header and per-address refusals counted", st.LimitHits)
	}
}

// httpGet sends a keep-alive GET on nc and reads the response.
func httpGet(t testing.TB, nc net.Conn, br *bufio.Reader, path string) *http.Response {
	t.Helper()
	fmt.Fprintf(nc, "GET %s HTTP/1.1\r\nHost: hub\r\n\r\n", path)
	nc.SetReadDeadline(time.Now().Add(testTimeout))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// closedWithin reports whether the server closes nc within d (reading nothing more).
func closedWithin(nc net.Conn, br *bufio.Reader, d time.Duration) bool {
	nc.SetReadDeadline(time.Now().Add(d))
	_, err := br.ReadByte()
	return err == io.EOF || (err != nil && !isTimeout(err))
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

func TestHTTPTimeouts(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	ts := newServedTestServer(t, &Options{IdleTimeout: 300 * time.Millisecond, HeaderTimeout: 300 * time.Millisecond}, ok)

	t.Run("idle keep-alive", func(t *testing.T) {
		nc := dialFrom(t, "127.0.0.1", ts.addr)
		br := bufio.NewReader(nc)
		if resp := httpGet(t, nc, br, "/healthz"); resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		if !closedWithin(nc, br, 3*time.Second) {
			t.Fatal("an idle keep-alive connection is still open after 3 s (IdleTimeout 300 ms)")
		}
	})
	t.Run("slow header", func(t *testing.T) {
		before := ts.Stats().LimitHits["http_request_incomplete"]
		nc := dialFrom(t, "127.0.0.1", ts.addr)
		fmt.Fprintf(nc, "GET / HTTP/1.1\r\nHost: hub\r\n")
		if !closedWithin(nc, bufio.NewReader(nc), 3*time.Second) {
			t.Fatal("a connection stalled mid-header is still open after 3 s (HeaderTimeout 300 ms)")
		}
		eventually(t, "the incomplete request to be counted", func() bool {
			return ts.Stats().LimitHits["http_request_incomplete"] > before
		})
	})
	t.Run("header too large", func(t *testing.T) {
		nc := dialFrom(t, "127.0.0.1", ts.addr)
		go fmt.Fprintf(nc, "GET / HTTP/1.1\r\nHost: hub\r\nX-Big: %s\r\n\r\n", strings.Repeat("b", 64<<10))
		nc.SetReadDeadline(time.Now().Add(testTimeout))
		line, err := bufio.NewReader(nc).ReadString('\n')
		if err != nil || !strings.Contains(line, "431") {
			t.Fatalf("got %q, %v; want 431", line, err)
		}
	})
}

func TestHTTPConnectionLimits(t *testing.T) {
	release := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/block" {
			<-release
		}
		io.WriteString(w, "ok\n")
	})
	const max = 8
	ts := newServedTestServer(t, &Options{MaxHTTPConnections: max, MaxHTTPConnectionsPerIP: 4, IdleTimeout: time.Minute}, h)
	defer close(release)

	// Idle keep-alive connections fill the gate; a new node makes room by closing the longest idle one.
	var idle []net.Conn
	for i := range max {
		nc := dialFrom(t, fmt.Sprintf("127.0.1.%d", i), ts.addr)
		httpGet(t, nc, bufio.NewReader(nc), "/healthz")
		idle = append(idle, nc)
		// net/http marks a connection idle after the client has its response: give it time to, so that the
		// connections go idle in order (a loaded machine reordered them).
		time.Sleep(20 * time.Millisecond)
	}
	eventually(t, "the gate to fill", func() bool { return ts.Stats().HTTPConns == max })
	if _, err := ts.tryDialFrom(t, "127.0.2.1", "", nil); err != nil {
		t.Fatalf("new node with the gate full of idle connections: %v", err)
	}
	if n := ts.Stats().LimitHits["http_connection_evicted"]; n != 1 {
		t.Errorf("http_connection_evicted %d, want 1", n)
	}
	if !closedWithin(idle[0], bufio.NewReader(idle[0]), 2*time.Second) {
		t.Error("the longest idle connection was not the one closed")
	}
	for _, nc := range idle {
		nc.Close()
	}
	eventually(t, "the gate to empty", func() bool { return ts.Stats().HTTPConns == 0 })

	// Connections busy with requests cannot be closed: a new node gets 503 at once.
	for i := range max {
		nc := dialFrom(t, fmt.Sprintf("127.0.3.%d", i), ts.addr)
		fmt.Fprintf(nc, "GET /block HTTP/1.1\r\nHost: hub\r\n\r\n")
	}
	eventually(t, "the gate to fill with busy connections", func() bool { return ts.Stats().HTTPConns == max })
	start := time.Now()
	_, err := ts.tryDialFrom(t, "127.0.4.1", "", nil)
	if statusOf(err) != http.StatusServiceUnavailable || time.Since(start) > 2*time.Second {
		t.Fatalf("new node with the gate full of busy connections: %v after %v, want 503 at once", err, time.Since(start))
	}
	if n := ts.Stats().LimitHits["max_http_connections"]; n == 0 {
		t.Error("max_http_connections not counted")
	}

	// One address cannot take more than its share, even with room left.
	ts2 := newServedTestServer(t, &Options{MaxHTTPConnectionsPerIP: 4}, h)
	for range 4 {
		dialFrom(t, "127.0.5.1", ts2.addr) // silent: accepted, nothing sent
	}
	eventually(t, "four silent connections", func() bool { return ts2.Stats().HTTPConns == 4 })
	if _, err := ts2.tryDialFrom(t, "127.0.5.1", "", nil); statusOf(err) != http.StatusServiceUnavailable {
		t.Fatalf("fifth connection from one address: %v, want 503", err)
	}
	if _, err := ts2.tryDialFrom(t, "127.0.5.2", "", nil); err != nil {
		t.Fatalf("another address: %v", err)
	}
}

// TestQueueBudgets: nodes that dropped while messages for them pile up (the hub keeps them for a resume) hold at
// most their budget each, their address's budget together, and the hub's in all; a node elsewhere still gets its
// messages.
func TestQueueBudgets(t *testing.T) {
	opts := &Options{
		Rate: 1e6, Burst: 1e6, QueueSize: 1000, Grace: time.Minute,
		QueueBytes: 256 << 10, QueueBytesPerIP: 1 << 20, MaxQueuedBytes: 3 << 19,
	}
	ts := newServedTestServer(t, opts, nil)
	var dropped, tokens []string
	for i := range 40 {
		ip := "127.0.6.1"
		if i%4 == 3 {
			ip = "127.0.6.2"
		}
		c, err := ts.tryDialFrom(t, ip, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		dropped = append(dropped, c.addr())
		tokens = append(tokens, c.binding.Resume)
		c.ws.CloseNow()
	}
	eventually(t, "40 sessions waiting for a resume", func() bool { return ts.Stats().Connections == 0 })
	sender, other := ts.dial(t, ""), ts.dial(t, "")
	go func() { // the sender reads its undeliverables
		for {
			if _, _, err := sender.ws.Read(context.Background()); err != nil {
				return
			}
		}
	}()
	before := heapAndStacks()
	data := `"` + strings.Repeat("x", 60_000) + `"`
	for range 6 { // one node's budget holds four
		sender.sendf(`{"type":"forward","to":%q,"data":%s}`, dropped[0], data)
	}
	for round := range 20 {
		for _, to := range dropped {
			sender.sendf(`{"type":"forward","to":%q,"data":%s}`, to, data)
		}
		if round == 0 {
			time.Sleep(10 * time.Millisecond)
		}
	}
	// The sender's connection is read in order: once this arrives, every forward above was handled.
	sender.sendf(`{"type":"forward","to":%q,"data":"after"}`, other.addr())
	if m := other.read(); string(m.Data) != `"after"` {
		t.Fatalf("other got %+v", m)
	}
	st := ts.Stats()
	grown := int64(heapAndStacks()) - int64(before)
	t.Logf("queued %d KiB, heap+stacks grew %d KiB, limit hits %v", st.QueuedBytes>>10, grown>>10, st.LimitHits)
	if st.QueuedBytes > opts.MaxQueuedBytes+64<<10 { // + other's message
		t.Errorf("queued %d bytes, over MaxQueuedBytes %d", st.QueuedBytes, opts.MaxQueuedBytes)
	}
	if st.QueuedBytes < opts.MaxQueuedBytes/2 {
		t.Errorf("queued only %d bytes: the budget was not the limit", st.QueuedBytes)
	}
	if grown > 8<<20 {
		t.Errorf("the hub grew by %d MiB holding at most %d MiB of queues", grown>>20, opts.MaxQueuedBytes>>20)
	}
	for _, l := range []string{"queue_per_node", "queue_per_ip", "queue_total"} {
		if st.LimitHits[l] == 0 {
			t.Errorf("limit %s never hit", l)
		}
	}
	// A resume takes its queue, and the budget comes back; when sessions end, all of it does.
	r := ts.dial(t, "?resume="+tokens[0])
	for range 4 {
		if m := r.read(); len(m.Data) != 60_002 {
			t.Fatalf("resumed node got %d bytes", len(m.Data))
		}
	}
	eventually(t, "the resumed node's queue to be given back", func() bool {
		return ts.Stats().QueuedBytes <= st.QueuedBytes-4*60_000
	})
	ts.Close()
	if q := ts.Stats().QueuedBytes; q != 0 {
		t.Fatalf("%d bytes queued after every session ended", q)
	}
}

// TestSessionChurn: a client that keeps connecting and dropping, claiming hostnames each time, holds at most its
// address's sessions (and their hostnames); the sessions waiting longest make room. Others are not affected.
func TestSessionChurn(t *testing.T) {
	reg := NewMemoryRegistry()
	ts := newServedTestServer(t, &Options{MaxConnectionsPerIP: 10, Grace: time.Minute, Registry: reg}, nil)
	refused := 0
	for i := range 100 {
		c, err := ts.tryDialFrom(t, "127.0.7.1", "", nil)
		if err != nil {
			if statusOf(err) != http.StatusServiceUnavailable {
				t.Fatal(err)
			}
			refused++ // the hub had not yet seen the previous drop
			time.Sleep(10 * time.Millisecond)
			continue
		}
		for j := range 3 {
			c.expectResult(wire.TypeRegister, j+1, fmt.Sprintf("churn-%d-%d", i, j))
		}
		c.ws.CloseNow()
	}
	eventually(t, "the last drop", func() bool { return ts.Stats().Connections == 0 })
	held := 0
	for i := range 100 {
		for j := range 3 {
			if _, err := reg.Lookup(context.Background(), fmt.Sprintf("churn-%d-%d", i, j)); err == nil {
				held++
			}
		}
	}
	st := ts.Stats()
	t.Logf("sessions %d, hostnames held %d, refused %d, limit hits %v", st.Sessions, held, refused, st.LimitHits)
	if st.Sessions > 10 || held > 30 {
		t.Errorf("one address holds %d sessions and %d hostnames; want at most 10 and 30", st.Sessions, held)
	}
	if st.LimitHits["session_evicted_per_ip"] < 80 {
		t.Errorf("session_evicted_per_ip %d", st.LimitHits["session_evicted_per_ip"])
	}
	// Ten connected nodes from one address: the eleventh is refused, since none of them waits for a resume.
	for range 10 { // each ends a session waiting for a resume
		if _, err := ts.tryDialFrom(t, "127.0.7.1", "", nil); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "ten connected", func() bool { return ts.Stats().Connections == 10 })
	for ts.Stats().Sessions > 10 {
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := ts.tryDialFrom(t, "127.0.7.1", "", nil); statusOf(err) != http.StatusServiceUnavailable {
		t.Fatalf("eleventh node from one address: %v, want 503", err)
	}
	other := ts.dial(t, "")
	other.expectResult(wire.TypeRegister, 1, "innocent")
}

// TestMaxSessions: sessions waiting for a resume count against MaxSessions; a resume is always let in.
func TestMaxSessions(t *testing.T) {
	ts := newServedTestServer(t, &Options{MaxSessions: 3, Grace: time.Minute}, nil)
	var tokens []string
	for i := range 3 {
		c, err := ts.tryDialFrom(t, fmt.Sprintf("127.0.8.%d", i+1), "", nil)
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, c.binding.Resume)
		c.ws.CloseNow()
	}
	eventually(t, "three drops", func() bool { return ts.Stats().Connections == 0 })
	if _, err := ts.tryDialFrom(t, "127.0.8.9", "", nil); statusOf(err) != http.StatusServiceUnavailable {
		t.Fatalf("fourth session: %v, want 503", err)
	}
	c := ts.dial(t, "?resume="+tokens[1])
	if !c.binding.Resumed {
		t.Fatal("resume refused at MaxSessions")
	}
	// A token with a live address and a forged secret passes the check before the upgrade, not the one after.
	forged := tokens[2][:len(tokens[2])-4] + "AAAA"
	if forged == tokens[2] {
		forged = tokens[2][:len(tokens[2])-4] + "BBBB"
	}
	ws, _, err := websocket.Dial(ctxT(t), ts.url+"?resume="+forged, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	if _, _, err := ws.Read(ctxT(t)); websocket.CloseStatus(err) != websocket.StatusTryAgainLater {
		t.Fatalf("forged resume at MaxSessions: %v, want close 1013", err)
	}
	if n := ts.Stats().LimitHits["max_sessions"]; n != 2 {
		t.Errorf("max_sessions %d, want 2", n)
	}
}

// TestThrottledResumes: a node closed for its rate keeps its session (address and hostnames) for a resume, with
// its bucket still empty.
func TestThrottledResumes(t *testing.T) {
	ts := newTestServer(t, &Options{Rate: 1, Burst: 5, Grace: time.Minute})
	c := ts.dial(t, "")
	c.expectResult(wire.TypeRegister, 1, "keeper")
	for range 10 {
		c.sendf(`{"type":"lookup","id":9,"hostname":"keeper"}`)
	}
	c.expectCloseAfterReplies(websocket.StatusPolicyViolation)
	// The bucket stays empty across the resume: the first message closes the new connection too.
	r := ts.dial(t, "?resume="+c.binding.Resume)
	if !r.binding.Resumed || r.addr() != c.addr() {
		t.Fatalf("resume after a rate close: %+v", r.binding)
	}
	r.sendf(`{"type":"lookup","id":2,"hostname":"keeper"}`)
	r.expectCloseAfterReplies(websocket.StatusPolicyViolation)
	// A token later, the node goes on where it was, hostname and all.
	time.Sleep(1100 * time.Millisecond)
	r = ts.dial(t, "?resume="+r.binding.Resume)
	if !r.binding.Resumed {
		t.Fatalf("second resume: %+v", r.binding)
	}
	r.sendf(`{"type":"lookup","id":3,"hostname":"keeper"}`)
	m := r.read()
	for m.ID != 3 { // replies to the flood that were still queued when it was closed come first: a resume keeps them
		if m.ID != 9 && m.ID != 2 {
			t.Fatalf("after resume: %+v", m)
		}
		m = r.read()
	}
	if m.Type != wire.TypeResult || m.Address != c.addr() {
		t.Fatalf("lookup after resume: %+v", m)
	}
	if n := ts.Stats().LimitHits["rate"]; n != 2 {
		t.Errorf("rate limit hits %d, want 2", n)
	}
}

// expectCloseAfterReplies reads past replies until the connection closes with code.
func (c *client) expectCloseAfterReplies(code websocket.StatusCode) {
	c.t.Helper()
	for {
		_, _, err := c.ws.Read(ctxT(c.t))
		if err == nil {
			continue
		}
		if got := websocket.CloseStatus(err); got != code {
			c.t.Fatalf("closed with %v (%v), want %d", got, err, code)
		}
		return
	}
}

// TestStallForgiven: the buckets get back what the hub's own stall would have refilled, and no more.
func TestStallForgiven(t *testing.T) {
	s := New(&Options{Rate: 10, Burst: 5})
	defer s.Close()
	now := time.Now()
	s.stall.last.Store(s.stall.mono(now))
	var b bucket
	n := 0
	for b.allow(s, now) {
		n++
	}
	if n != 5 {
		t.Fatalf("a new bucket allowed %d, want the burst of 5", n)
	}
	// The hub stalled for 4 s: the 5 tokens of refill plus 40 for the backlog.
	later := now.Add(4 * time.Second)
	n = 0
	for b.allow(s, later) {
		n++
	}
	if want := 5 + 40; n < want-1 || n > want+1 {
		t.Fatalf("after a 4 s stall %d were allowed, want about %d", n, want)
	}
	// The stall is forgiven once.
	s.stall.last.Store(s.stall.mono(later))
	s.stall.total.Store(s.stall.now(later))
	if b.allow(s, later.Add(time.Millisecond)) {
		t.Fatal("the stall was forgiven twice")
	}
}

// TestOriginExact: with an allow-list, an Origin naming the request's own Host is not let in for that alone (a page
// on a rebound DNS name would pass).
func TestOriginExact(t *testing.T) {
	ts := newTestServer(t, &Options{AllowedOrigins: []string{"https://app.example"}})
	for origin, ok := range map[string]bool{
		"https://app.example":  true,
		"http://app.example":   false, // the scheme is part of the entry
		"http://" + ts.addr:    false, // the request's own Host
		"https://app.example.": false,
	} {
		_, err := ts.tryDial(t, "", http.Header{"Origin": {origin}})
		if ok && err != nil || !ok && statusOf(err) != http.StatusForbidden {
			t.Errorf("origin %q: %v", origin, err)
		}
	}
}

// TestAnnouncedOversize: a frame header that announces more than MaxMessageSize gets 1009 at once, not a wait for
// payload that never comes.
func TestAnnouncedOversize(t *testing.T) {
	ts := newTestServer(t, nil)
	nc := rawConn(t, ts.addr)
	defer nc.Close()
	br := bufio.NewReader(nc)
	nc.SetReadDeadline(time.Now().Add(testTimeout))
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	// A masked text frame announcing 10 MB (64-bit length), then nothing.
	frame := []byte{0x81, 0x80 | 127, 0, 0, 0, 0, 0, 0x98, 0x96, 0x80, 1, 2, 3, 4}
	start := time.Now()
	nc.Write(frame)
	for {
		op, payload, err := readServerFrame(br)
		if err != nil {
			t.Fatalf("no close frame after %v: %v", time.Since(start), err)
		}
		if op != 8 {
			continue // the binding
		}
		if code := int(payload[0])<<8 | int(payload[1]); code != 1009 {
			t.Fatalf("closed with %d %q, want 1009", code, payload[2:])
		}
		break
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("1009 came after %v", d)
	}
}

// readServerFrame reads one unmasked frame (RFC 6455 section 5.2) and returns its opcode and payload.
func readServerFrame(br *bufio.Reader) (op byte, payload []byte, err error) {
	var hdr [2]byte
	if _, err = io.ReadFull(br, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := uint64(hdr[1] & 0x7f)
	switch n {
	case 126, 127:
		ext := make([]byte, map[uint64]int{126: 2, 127: 8}[n])
		if _, err = io.ReadFull(br, ext); err != nil {
			return 0, nil, err
		}
		n = 0
		for _, b := range ext {
			n = n<<8 | uint64(b)
		}
	}
	payload = make([]byte, n)
	_, err = io.ReadFull(br, payload)
	return hdr[0] & 0x0f, payload, err
}
