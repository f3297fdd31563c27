//go:build !js

package server

import (
	"bytes"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/smokenet/smoke/pkg/hub"
	"github.com/smokenet/smoke/pkg/hub/internal/wire"
)

var addressRE = regexp.MustCompile(`^[a-z2-7]{16}$`)

func TestBinding(t *testing.T) {
	ice := []hub.ICEServer{
		{URLs: []string{"stun:127.0.0.1:3478"}},
		{URLs: []string{"turn:127.0.0.1:3478?transport=udp", "turn:127.0.0.1:3478?transport=tcp"}, Username: "u", Credential: "p"},
	}
	ts := newTestServer(t, &Options{ICEServers: ice, Grace: 1500 * time.Millisecond})
	ice[0].URLs[0] = "changed after New" // New copied the options
	c := ts.dial(t, "")
	b := c.binding
	if !addressRE.MatchString(b.Address) {
		t.Errorf("address %q is not 16 lowercase base32 characters", b.Address)
	}
	if b.Version != wire.Version || b.Resumed || b.Grace != 1500 || b.MaxMessageSize != DefaultMaxMessageSize || len(b.Resume) < 22 {
		t.Errorf("binding %+v", b)
	}
	want := []wire.ICEServer{
		{URLs: []string{"stun:127.0.0.1:3478"}},
		{URLs: []string{"turn:127.0.0.1:3478?transport=udp", "turn:127.0.0.1:3478?transport=tcp"}, Username: "u", Credential: "p"},
	}
	if fmt.Sprint(b.ICEServers) != fmt.Sprint(want) {
		t.Errorf("iceServers %+v, want %+v", b.ICEServers, want)
	}
	ts.dial(t, "?v=1") // explicit version 1 works too
}

func TestAddressesUnique(t *testing.T) {
	ts := newTestServer(t, nil)
	const n = 100
	seen := make(map[string]bool)
	tokens := make(map[string]bool)
	for range n {
		c := ts.dial(t, "")
		if seen[c.addr()] || tokens[c.binding.Resume] {
			t.Fatalf("address %s or its token handed out twice", c.addr())
		}
		if !addressRE.MatchString(c.addr()) {
			t.Fatalf("address %q", c.addr())
		}
		seen[c.addr()] = true
		tokens[c.binding.Resume] = true
	}
	if st := ts.Stats(); st.Connections != n || st.Sessions != n {
		t.Errorf("stats %+v, want %d connections and sessions", st, n)
	}
}

func TestForward(t *testing.T) {
	ts := newTestServer(t, nil)
	a, b := ts.dial(t, ""), ts.dial(t, "")
	a.sendf(`{"type":"forward","to":%q,"data":{"sdp":"v=0 \u00e9","n":[1, 2.5e3,null]}}`, b.addr())
	m := b.read()
	if m.Type != wire.TypeForward || m.From != a.addr() || string(m.Data) != `{"sdp":"v=0 \u00e9","n":[1, 2.5e3,null]}` {
		t.Errorf("b got %+v (data %s)", m, m.Data)
	}
	b.sendf(`{"type":"forward","to":%q,"data":"pong","extra":"ignored"}`, a.addr())
	m = a.read()
	if m.Type != wire.TypeForward || m.From != b.addr() || string(m.Data) != `"pong"` {
		t.Errorf("a got %+v", m)
	}
	a.sendf(`{"type":"forward","to":%q,"data":null}`, a.addr()) // to itself; null is a JSON value
	if m := a.read(); m.From != a.addr() || string(m.Data) != "null" {
		t.Errorf("a got %+v from itself", m)
	}
}

// TestForwardOrder runs many senders at once (for the race detector) and checks each pair's order.
func TestForwardOrder(t *testing.T) {
	ts := newTestServer(t, &Options{QueueSize: 1000})
	const nodes, msgs = 6, 60
	cs := make([]*client, nodes)
	for i := range cs {
		cs[i] = ts.dial(t, "")
	}
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Go(func() {
			for k := range msgs {
				for j, d := range cs {
					if j != i {
						c.sendf(`{"type":"forward","to":%q,"data":%d}`, d.addr(), k)
					}
				}
			}
		})
	}
	errs := make(chan error, nodes)
	for _, c := range cs {
		wg.Go(func() {
			next := map[string]int{}
			for range msgs * (nodes - 1) {
				m := c.read()
				var k int
				fmt.Sscan(string(m.Data), &k)
				if k != next[m.From] {
					errs <- fmt.Errorf("from %s: got %d, want %d", m.From, k, next[m.From])
					return
				}
				next[m.From]++
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := ts.Stats().Forwarded; got != nodes*(nodes-1)*msgs {
		t.Errorf("forwarded %d", got)
	}
}

func TestUndeliverable(t *testing.T) {
	ts := newTestServer(t, nil)
	a := ts.dial(t, "")
	a.send(`{"type":"forward","to":"aaaaaaaaaaaaaaaa","data":1}`)
	if m := a.read(); m.Type != wire.TypeUndeliverable || m.To != "aaaaaaaaaaaaaaaa" || m.Reason != "unknown address" {
		t.Errorf("got %+v", m)
	}
	long := strings.Repeat("é", 300)
	a.sendf(`{"type":"forward","to":%q,"data":1}`, long)
	if m := a.read(); m.Type != wire.TypeUndeliverable || !strings.HasPrefix(long, m.To) || len(m.To) != maxEchoedTo {
		t.Errorf("got %+v", m)
	}
}

func TestRecipientBusy(t *testing.T) {
	ts := newTestServer(t, &Options{QueueSize: 3, Grace: 5 * time.Second})
	a, b := ts.dial(t, ""), ts.dial(t, "")
	b.ws.CloseNow() // b's session waits for a resume, queueing
	eventually(t, "the server to notice b's drop", func() bool { return ts.Stats().Connections == 1 })
	for i := range 4 {
		a.sendf(`{"type":"forward","to":%q,"data":%d}`, b.addr(), i)
	}
	if m := a.read(); m.Type != wire.TypeUndeliverable || m.To != b.addr() || m.Reason != "recipient busy" {
		t.Errorf("got %+v", m)
	}
	if st := ts.Stats(); st.Forwarded != 3 || st.Undeliverable != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestSpoofedFrom(t *testing.T) {
	ts := newTestServer(t, nil)
	a, b, evil := ts.dial(t, ""), ts.dial(t, ""), ts.dial(t, "")
	evil.sendf(`{"type":"forward","from":%q,"to":%q,"data":"trust me"}`, a.addr(), b.addr())
	evil.expectClose(websocket.StatusPolicyViolation)
	a.sendf(`{"type":"forward","to":%q,"data":"real"}`, b.addr())
	if m := b.read(); m.From != a.addr() || string(m.Data) != `"real"` {
		t.Errorf("b got %+v", m)
	}
	eventually(t, "the offender's session to end", func() bool { return ts.Stats().Sessions == 2 })
}

func TestViolations(t *testing.T) {
	ts := newTestServer(t, &Options{MaxMessageSize: 1024})
	bystander := ts.dial(t, "")
	tests := []struct {
		name string
		send func(c *client)
		code websocket.StatusCode
	}{
		{"malformed JSON", func(c *client) { c.send(`{"type":"forward",`) }, websocket.StatusInvalidFramePayloadData},
		{"not an object", func(c *client) { c.send(`["forward"]`) }, websocket.StatusInvalidFramePayloadData},
		{"wrong field type", func(c *client) { c.send(`{"type":"lookup","id":"7","hostname":"x"}`) }, websocket.StatusInvalidFramePayloadData},
		{"negative id", func(c *client) { c.send(`{"type":"lookup","id":-1,"hostname":"x"}`) }, websocket.StatusInvalidFramePayloadData},
		{"invalid UTF-8", func(c *client) { c.send("{\"type\":\"forward\",\"to\":\"x\",\"data\":\"\xff\"}") }, websocket.StatusInvalidFramePayloadData},
		{"unknown type", func(c *client) { c.send(`{"type":"teleport"}`) }, websocket.StatusPolicyViolation},
		{"no type", func(c *client) { c.send(`{"id":1}`) }, websocket.StatusPolicyViolation},
		{"server type", func(c *client) { c.send(`{"type":"binding","address":"x","resume":"y"}`) }, websocket.StatusPolicyViolation},
		{"forward without to", func(c *client) { c.send(`{"type":"forward","data":1}`) }, websocket.StatusPolicyViolation},
		{"forward without data", func(c *client) { c.send(`{"type":"forward","to":"x"}`) }, websocket.StatusPolicyViolation},
		{"request without id", func(c *client) { c.send(`{"type":"register","hostname":"x"}`) }, websocket.StatusPolicyViolation},
		{"id above 2^53", func(c *client) { c.send(`{"type":"lookup","id":9007199254740992,"hostname":"x"}`) }, websocket.StatusPolicyViolation},
		{"binary message", func(c *client) {
			if err := c.ws.Write(ctxT(t), websocket.MessageBinary, []byte(`{"type":"lookup","id":1,"hostname":"x"}`)); err != nil {
				t.Fatal(err)
			}
		}, websocket.StatusPolicyViolation},
		{"oversize", func(c *client) {
			c.sendf(`{"type":"forward","to":%q,"data":%q}`, bystander.addr(), strings.Repeat("x", 1024))
		}, websocket.StatusMessageTooBig},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ts.dial(t, "")
			tt.send(c)
			ce := c.expectClose(tt.code)
			if ce.Reason == "" {
				t.Error("close without a reason")
			}
			// (coder/websocket sends 1009 itself, before the hub counts the violation)
			eventually(t, "the violation to be counted", func() bool { return ts.Stats().Violations == int64(i+1) })
		})
	}
	// The bystander is unaffected, and nothing of the oversize message reached it.
	other := ts.dial(t, "")
	other.sendf(`{"type":"forward","to":%q,"data":"still here"}`, bystander.addr())
	if m := bystander.read(); string(m.Data) != `"still here"` {
		t.Errorf("bystander got %+v", m)
	}
	// A message of exactly the limit is fine.
	pad := 1024 - len(fmt.Sprintf(`{"type":"forward","to":%q,"data":""}`, bystander.addr()))
	other.sendf(`{"type":"forward","to":%q,"data":%q}`, bystander.addr(), strings.Repeat("y", pad))
	if m := bystander.read(); len(m.Data) != pad+2 {
		t.Errorf("bystander got %d bytes of data", len(m.Data))
	}
	eventually(t, "offenders' sessions to end", func() bool { return ts.Stats().Sessions == 2 })
}

func TestRateLimit(t *testing.T) {
	ts := newTestServer(t, &Options{Rate: 1, Burst: 10})
	a, b, flooder := ts.dial(t, ""), ts.dial(t, ""), ts.dial(t, "")
	for range 11 {
		flooder.sendf(`{"type":"forward","to":%q,"data":0}`, b.addr())
	}
	ce := flooder.expectClose(websocket.StatusPolicyViolation)
	if ce.Reason != "rate limit exceeded" {
		t.Errorf("reason %q", ce.Reason)
	}
	for range 10 { // the flood's burst got through before the close
		if m := b.read(); m.From != flooder.addr() {
			t.Fatalf("b got %+v", m)
		}
	}
	for i := range 5 {
		a.sendf(`{"type":"forward","to":%q,"data":%d}`, b.addr(), i)
		if m := b.read(); m.From != a.addr() {
			t.Fatalf("b got %+v", m)
		}
	}
}

func TestPingFlood(t *testing.T) {
	ts := newTestServer(t, &Options{Rate: 20, Burst: 5})
	c := ts.dial(t, "")
	go c.ws.Read(ctxT(t)) // a client's pings complete only while it reads
	var err error
	for range 20 {
		if err = c.ws.Ping(ctxT(t)); err != nil {
			break
		}
	}
	if err == nil {
		t.Fatal("20 pings at once were all answered")
	}
	eventually(t, "the flooder to be closed", func() bool { return ts.Stats().Violations == 1 && ts.Stats().Sessions == 0 })
}

func TestHostnames(t *testing.T) {
	ts := newTestServer(t, nil)
	a, b := ts.dial(t, ""), ts.dial(t, "")
	a.expectResult("register", 1, "DB.Example")
	a.expectResult("register", 2, "db.example") // idempotent, case-insensitive
	b.expectError("register", 1, "db.example", wire.CodeHostnameTaken)
	if m := b.expectResult("lookup", 2, "db.EXAMPLE"); m.Address != a.addr() {
		t.Errorf("lookup: %+v, want %s", m, a.addr())
	}
	b.expectError("lookup", 3, "nobody.example", wire.CodeHostnameNotFound)
	b.expectError("unregister", 4, "db.example", wire.CodeHostnameNotFound) // held by a, not b
	a.expectResult("unregister", 3, "db.example")
	a.expectError("unregister", 4, "db.example", wire.CodeHostnameNotFound)
	b.expectResult("register", 5, "db.example")
	for _, bad := range []string{"", "has space", "ünïcode", "slash/", strings.Repeat("a", 254)} {
		a.expectError("register", 5, bad, wire.CodeInvalidHostname)
		a.expectError("lookup", 6, bad, wire.CodeInvalidHostname)
	}
	for i := range maxHostnames {
		a.expectResult("register", 10+i, fmt.Sprintf("n%d", i))
	}
	a.expectError("register", 99, "one-too-many", wire.CodeTooManyHostnames)
	a.expectResult("register", 100, "n3") // re-registering a held name still works at the limit
	a.expectResult("unregister", 101, "n0")
	a.expectResult("register", 102, "one-too-many")
}

// TestHostnameReleasedOnNormalClose: a node that closes with 1000, or with 1001 as a browser does for a page that
// unloads (a reload, say), leaves at once: its hostname is free for the reloaded page, not after the grace period.
func TestHostnameReleasedOnNormalClose(t *testing.T) {
	for _, code := range []websocket.StatusCode{websocket.StatusNormalClosure, websocket.StatusGoingAway} {
		t.Run(code.String(), func(t *testing.T) {
			ts := newTestServer(t, &Options{Grace: time.Minute})
			a, b := ts.dial(t, ""), ts.dial(t, "")
			a.expectResult("register", 1, "svc")
			if err := a.ws.Close(code, ""); err != nil {
				t.Fatal(err)
			}
			// The server releases at once (not after the minute of grace), but asynchronously to a's close.
			id := 1
			eventually(t, "svc to be released", func() bool {
				id++
				return b.request("register", id, "svc").Type == wire.TypeResult
			})
			if st := ts.Stats(); st.Sessions != 1 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestHostnameHeldDuringGrace(t *testing.T) {
	ts := newTestServer(t, &Options{Grace: 300 * time.Millisecond})
	a, b := ts.dial(t, ""), ts.dial(t, "")
	a.expectResult("register", 1, "svc")
	a.ws.CloseNow() // an abnormal drop: no close frame
	eventually(t, "the server to notice the drop", func() bool { return ts.Stats().Connections == 1 })
	start := time.Now()
	b.expectError("register", 1, "svc", wire.CodeHostnameTaken)
	if m := b.expectResult("lookup", 2, "svc"); m.Address != a.addr() {
		t.Errorf("lookup during grace: %+v", m)
	}
	id := 2
	eventually(t, "svc to be released after grace", func() bool {
		id++
		return b.request("register", id, "svc").Type == wire.TypeResult
	})
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("released after %v, before the grace ended", d)
	}
}

func TestResume(t *testing.T) {
	ts := newTestServer(t, &Options{Grace: 5 * time.Second})
	a, b := ts.dial(t, ""), ts.dial(t, "")
	a.expectResult("register", 1, "svc")
	a.ws.CloseNow()
	eventually(t, "the server to notice the drop", func() bool { return ts.Stats().Connections == 1 })
	for i := range 3 {
		b.sendf(`{"type":"forward","to":%q,"data":%d}`, a.addr(), i)
	}
	a2 := ts.dial(t, "?resume="+a.binding.Resume)
	if !a2.binding.Resumed || a2.addr() != a.addr() || a2.binding.Resume == a.binding.Resume {
		t.Fatalf("resume binding %+v (old token %s)", a2.binding, a.binding.Resume)
	}
	for i := range 3 {
		if m := a2.read(); m.From != b.addr() || string(m.Data) != fmt.Sprint(i) {
			t.Fatalf("queued message %d: %+v", i, m)
		}
	}
	b.expectError("register", 1, "svc", wire.CodeHostnameTaken) // still a's
	a2.expectResult("unregister", 2, "svc")                     // and a2 is a
	b.sendf(`{"type":"forward","to":%q,"data":"live"}`, a.addr())
	if m := a2.read(); string(m.Data) != `"live"` {
		t.Errorf("got %+v", m)
	}
	// The used token is spent: a second resume with it binds a new session.
	a3 := ts.dial(t, "?resume="+a.binding.Resume)
	if a3.binding.Resumed || a3.addr() == a.addr() {
		t.Errorf("old token resumed: %+v", a3.binding)
	}
	// Junk tokens are no error either.
	tampered := []byte(a2.binding.Resume)
	tampered[20] ^= 'A' ^ 'B' // a middle character: all six bits are data
	for _, tok := range []string{"x", strings.Repeat("A", 35), string(tampered), a2.binding.Resume + "A"} {
		c := ts.dial(t, "?resume="+tok)
		if c.binding.Resumed {
			t.Errorf("token %q resumed", tok)
		}
	}
}

func TestResumeAfterGrace(t *testing.T) {
	ts := newTestServer(t, &Options{Grace: 100 * time.Millisecond})
	a := ts.dial(t, "")
	a.ws.CloseNow()
	eventually(t, "the session to expire", func() bool { return ts.Stats().Sessions == 0 })
	a2 := ts.dial(t, "?resume="+a.binding.Resume)
	if a2.binding.Resumed || a2.addr() == a.addr() {
		t.Errorf("binding %+v after grace", a2.binding)
	}
}

func TestTakeover(t *testing.T) {
	ts := newTestServer(t, &Options{Grace: 5 * time.Second})
	a, b := ts.dial(t, ""), ts.dial(t, "")
	a.expectResult("register", 1, "svc")
	// a's network changed; it reconnects before the server noticed anything wrong with the old connection.
	a2 := ts.dial(t, "?resume="+a.binding.Resume)
	if !a2.binding.Resumed || a2.addr() != a.addr() {
		t.Fatalf("takeover binding %+v", a2.binding)
	}
	a.expectClose(websocket.StatusCode(closeReplaced))
	b.sendf(`{"type":"forward","to":%q,"data":"hi"}`, a.addr())
	if m := a2.read(); m.From != b.addr() || string(m.Data) != `"hi"` {
		t.Errorf("got %+v", m)
	}
	a2.expectResult("register", 2, "svc") // the lease came along
	eventually(t, "the old connection to end", func() bool { st := ts.Stats(); return st.Connections == 2 && st.Sessions == 2 })
}

func TestVersion(t *testing.T) {
	ts := newTestServer(t, nil)
	for _, v := range []string{"2", "0", "one"} {
		ws, _, err := websocket.Dial(ctxT(t), ts.url+"?v="+v, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = ws.Read(ctxT(t))
		if websocket.CloseStatus(err) != wire.CloseUnsupportedVersion {
			t.Errorf("v=%s: %v, want close 4400", v, err)
		}
	}
	if st := ts.Stats(); st.Refused != 3 || st.Sessions != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestOrigin(t *testing.T) {
	ts := newTestServer(t, &Options{AllowedOrigins: []string{"app.example", "*.trusted.example"}})
	for origin, ok := range map[string]bool{
		"https://app.example":       true,
		"https://a.trusted.example": true,
		"https://evil.example":      false,
		"":                          true, // not a browser
	} {
		h := http.Header{}
		if origin != "" {
			h.Set("Origin", origin)
		}
		_, err := ts.tryDial(t, "", h)
		if ok && err != nil || !ok && statusOf(err) != http.StatusForbidden {
			t.Errorf("origin %q: %v", origin, err)
		}
	}
	open := newTestServer(t, nil)
	if _, err := open.tryDial(t, "", http.Header{"Origin": {"https://anywhere.example"}}); err != nil {
		t.Errorf("no allow-list: %v", err)
	}
}

func TestToken(t *testing.T) {
	ts := newTestServer(t, &Options{Token: "s3cret"})
	for _, q := range []string{"", "?token=", "?token=s3cre", "?token=s3cret2"} {
		if _, err := ts.tryDial(t, q, nil); statusOf(err) != http.StatusForbidden {
			t.Errorf("%q: %v, want 403", q, err)
		}
	}
	ts.dial(t, "?token=s3cret")
	if st := ts.Stats(); st.Refused != 4 || st.Connections != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestMaxConnections(t *testing.T) {
	ts := newTestServer(t, &Options{MaxConnections: 2})
	a := ts.dial(t, "")
	ts.dial(t, "")
	if _, err := ts.tryDial(t, "", nil); statusOf(err) != http.StatusServiceUnavailable {
		t.Fatalf("third connection: %v, want 503", err)
	}
	a.ws.Close(websocket.StatusNormalClosure, "")
	eventually(t, "a slot to free up", func() bool {
		_, err := ts.tryDial(t, "", nil)
		return err == nil
	})
}

func TestClose(t *testing.T) {
	reg := NewMemoryRegistry()
	ts := newTestServer(t, &Options{Grace: time.Minute, Registry: reg})
	cs := []*client{ts.dial(t, ""), ts.dial(t, ""), ts.dial(t, "")}
	cs[0].expectResult("register", 1, "svc")
	gone := ts.dial(t, "")
	gone.ws.CloseNow() // detached, waiting out its minute of grace
	eventually(t, "the drop to be noticed", func() bool { return ts.Stats().Connections == 3 })

	done := make(chan struct{})
	var wg sync.WaitGroup
	for _, c := range cs {
		wg.Go(func() {
			ce := c.expectClose(websocket.StatusGoingAway)
			if ce.Reason != "server shutting down" {
				t.Errorf("reason %q", ce.Reason)
			}
		})
	}
	go func() { wg.Wait(); close(done) }()
	start := time.Now()
	if err := ts.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Close took %v", d)
	}
	<-done
	if st := ts.Stats(); st.Connections != 0 || st.Sessions != 0 {
		t.Errorf("stats after Close %+v", st)
	}
	if _, err := reg.Lookup(ctxT(t), "svc"); err != ErrHostnameNotFound {
		t.Errorf("svc still registered after Close: %v", err)
	}
	if _, err := ts.tryDial(t, "", nil); statusOf(err) != http.StatusServiceUnavailable {
		t.Errorf("dial after Close: %v, want 503", err)
	}
	if err := ts.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestCloseSilentPeer checks that Close does not wait out a peer that ignores the close handshake.
func TestCloseSilentPeer(t *testing.T) {
	ts := newTestServer(t, nil)
	nc := rawConn(t, ts.addr) // never reads, never answers
	defer nc.Close()
	eventually(t, "the raw client to bind", func() bool { return ts.Stats().Connections == 1 })
	start := time.Now()
	ts.Close()
	if d := time.Since(start); d > ts.closeWait+time.Second {
		t.Errorf("Close took %v", d)
	}
}

func TestKeepAlive(t *testing.T) {
	ts := newTestServer(t, &Options{KeepAlive: 100 * time.Millisecond, Grace: time.Minute})
	live := ts.dial(t, "")
	go func() {
		for { // answering pings needs a reader
			if _, _, err := live.ws.Read(t.Context()); err != nil {
				return
			}
		}
	}()
	nc := rawConn(t, ts.addr) // binds, then never answers a ping
	defer nc.Close()
	if line, err := readUpgrade(nc); err != nil || !strings.Contains(line, "101") {
		t.Fatalf("upgrade: %q %v", line, err)
	}
	eventually(t, "the silent peer to be dropped", func() bool { return ts.Stats().Connections == 1 })
	time.Sleep(300 * time.Millisecond) // the live client keeps answering
	if st := ts.Stats(); st.Connections != 1 || st.Sessions != 2 {
		t.Errorf("stats %+v, want the live client connected and the silent one's session waiting", st)
	}
}

func TestMetrics(t *testing.T) {
	ts := newTestServer(t, &Options{MaxMessageSize: 512})
	a, b := ts.dial(t, ""), ts.dial(t, "")
	a.sendf(`{"type":"forward","to":%q,"data":"x"}`, b.addr())
	b.read()
	a.send(`{"type":"forward","to":"nobody","data":1}`)
	a.read()
	bad := ts.dial(t, "")
	bad.send("{")
	bad.expectClose(websocket.StatusInvalidFramePayloadData)
	if ws, _, err := websocket.Dial(ctxT(t), ts.url+"?v=9", nil); err == nil {
		ws.Read(ctxT(t))
	}
	eventually(t, "counters to settle", func() bool {
		st := ts.Stats()
		return st.Connections == 2 && st.Sessions == 2 && st.Refused == 1
	})

	var buf bytes.Buffer
	if err := ts.WriteMetrics(&buf); err != nil {
		t.Fatal(err)
	}
	st := ts.Stats()
	text := buf.String()
	for _, line := range []string{
		"# TYPE smoke_hub_connections gauge",
		"smoke_hub_connections 2",
		"smoke_hub_sessions 2",
		"# TYPE smoke_hub_messages_forwarded_total counter",
		"smoke_hub_messages_forwarded_total 1",
		`smoke_hub_rejected_total{reason="undeliverable"} 1`,
		`smoke_hub_rejected_total{reason="protocol_violation"} 1`,
		`smoke_hub_rejected_total{reason="refused"} 1`,
		fmt.Sprintf("smoke_hub_received_bytes_total %d", st.BytesIn),
		fmt.Sprintf("smoke_hub_sent_bytes_total %d", st.BytesOut),
	} {
		if !strings.Contains(text, line+"\n") {
			t.Errorf("metrics lack %q:\n%s", line, text)
		}
	}
	forward := len(fmt.Sprintf(`{"type":"forward","to":%q,"data":"x"}`, b.addr()))
	if st.BytesIn != int64(forward+len(`{"type":"forward","to":"nobody","data":1}`)+1) {
		t.Errorf("bytes in %d", st.BytesIn)
	}
	if st.BytesOut < int64(forward) || st.Rejected() != 3 {
		t.Errorf("stats %+v", st)
	}
	for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
		if !regexp.MustCompile(`^(# (HELP|TYPE) smoke_hub_\w+ .+|smoke_hub_\w+(\{\w+="\w+"\})? \d+)$`).MatchString(l) {
			t.Errorf("malformed exposition line %q", l)
		}
	}
}

func TestMemoryRegistry(t *testing.T) {
	r := NewMemoryRegistry()
	ctx := ctxT(t)
	if err := r.Claim(ctx, "x", "a"); err != nil {
		t.Fatal(err)
	}
	if err := r.Claim(ctx, "x", "a"); err != nil {
		t.Errorf("re-claim: %v", err)
	}
	if err := r.Claim(ctx, "x", "b"); err != ErrHostnameTaken {
		t.Errorf("steal: %v", err)
	}
	if err := r.Release(ctx, "x", "b"); err != ErrHostnameNotFound {
		t.Errorf("release by non-holder: %v", err)
	}
	if got, err := r.Lookup(ctx, "x"); got != "a" || err != nil {
		t.Errorf("lookup: %q %v", got, err)
	}
	if err := r.Release(ctx, "x", "a"); err != nil {
		t.Errorf("release: %v", err)
	}
	if _, err := r.Lookup(ctx, "x"); err != ErrHostnameNotFound {
		t.Errorf("lookup after release: %v", err)
	}
}
