//go:build !js

package server

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// frame builds one WebSocket frame.
func frame(fin bool, op byte, masked bool, payload []byte) []byte {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	var m byte
	if masked {
		m = 0x80
	}
	f := []byte{b0}
	switch n := len(payload); {
	case n < 126:
		f = append(f, m|byte(n))
	case n <= 0xffff:
		f = append(f, m|126)
		f = binary.BigEndian.AppendUint16(f, uint16(n))
	default:
		f = append(f, m|127)
		f = binary.BigEndian.AppendUint64(f, uint64(n))
	}
	if masked {
		f = append(f, 9, 8, 7, 6) // the tracker does not unmask; any key will do
	}
	return append(f, payload...)
}

// TestFragmentedWithPings sends fragmented messages with pings between the fragments, which is where the read
// side must not end coder/websocket's Reader early.
func TestFragmentedWithPings(t *testing.T) {
	ts := newTestServer(t, nil)
	a, b := ts.dial(t, ""), ts.dial(t, "")
	w, err := a.ws.Writer(ctxT(t), websocket.MessageText)
	if err != nil {
		t.Fatal(err)
	}
	pinged := make(chan error, 1)
	for k, part := range []string{`{"type":"forward",`, fmt.Sprintf(`"to":%q,`, b.addr()), `"data":"whole"}`} {
		if _, err := w.Write([]byte(part)); err != nil { // one frame each
			t.Fatal(err)
		}
		if k == 1 { // a ping between two fragments
			go func() { pinged <- a.ws.Ping(ctxT(t)) }()
			time.Sleep(20 * time.Millisecond)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if m := b.read(); m.From != a.addr() || string(m.Data) != `"whole"` {
		t.Fatalf("b got %+v", m)
	}
	go a.ws.Read(t.Context()) // the pong comes back only while a reads
	if err := <-pinged; err != nil {
		t.Fatalf("ping: %v", err)
	}
}

// TestPingsBetweenMessages interleaves client pings with messages in both directions.
func TestPingsBetweenMessages(t *testing.T) {
	ts := newTestServer(t, nil)
	a, b := ts.dial(t, ""), ts.dial(t, "")
	got := make(chan string, 100)
	go func() {
		for {
			_, data, err := b.ws.Read(t.Context())
			if err != nil {
				return
			}
			got <- string(data)
		}
	}()
	for i := range 20 {
		if err := b.ws.Ping(ctxT(t)); err != nil { // b's reader goroutine reads the pong
			t.Fatalf("ping %d: %v", i, err)
		}
		a.sendf(`{"type":"forward","to":%q,"data":%d}`, b.addr(), i)
		select {
		case m := <-got:
			if !strings.HasSuffix(m, fmt.Sprintf(`"data":%d}`, i)) {
				t.Fatalf("b got %s", m)
			}
		case <-time.After(testTimeout):
			t.Fatal("timeout")
		}
	}
}

// TestBigMessages forwards messages larger than the read-ahead and write buffers, in a burst.
func TestBigMessages(t *testing.T) {
	ts := newTestServer(t, &Options{MaxMessageSize: 1 << 20, QueueSize: 100, QueueBytes: 4 << 20})
	a, b := ts.dial(t, ""), ts.dial(t, "")
	sizes := []int{1, 15, 16, 17, 100, 500, 4000, 4096, 5000, 70000, 1 << 19}
	for _, n := range sizes {
		a.sendf(`{"type":"forward","to":%q,"data":%q}`, b.addr(), strings.Repeat("z", n))
	}
	for _, n := range sizes {
		if m := b.read(); len(m.Data) != n+2 {
			t.Fatalf("got %d bytes of data, want %d", len(m.Data)-2, n)
		}
	}
}

// TestPongFlood: unsolicited pongs cost rate tokens like pings and messages.
func TestPongFlood(t *testing.T) {
	ts := newTestServer(t, &Options{Rate: 20, Burst: 5})
	nc := rawConn(t, ts.addr)
	defer nc.Close()
	eventually(t, "the raw client to bind", func() bool { return ts.Stats().Connections == 1 })
	for range 20 {
		nc.Write(frame(true, 10, true, []byte("x")))
	}
	eventually(t, "the flooder to be closed", func() bool { st := ts.Stats(); return st.Violations == 1 && st.Sessions == 0 })
}

// TestGarbageFrames sends frames coder/websocket must refuse, straight after the handshake. Each offender loses its
// connection; the server and the other nodes carry on.
func TestGarbageFrames(t *testing.T) {
	ts := newTestServer(t, &Options{MessageTimeout: 300 * time.Millisecond})
	a, b := ts.dial(t, ""), ts.dial(t, "")
	huge := []byte{0x81, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4}
	for name, garbage := range map[string][]byte{
		"unmasked frame":      frame(true, 1, false, []byte(`{"type":"lookup","id":1,"hostname":"x"}`)),
		"reserved opcode":     frame(true, 3, true, []byte("x")),
		"reserved bits":       append([]byte{0xf1}, frame(true, 1, true, []byte("x"))[1:]...),
		"long control frame":  frame(true, 9, true, bytes.Repeat([]byte("p"), 200)),
		"fragmented ping":     frame(false, 9, true, nil),
		"lone continuation":   frame(true, 0, true, []byte("x")),
		"2^63 byte message":   huge,
		"half a header":       {0x81},
		"random bytes":        []byte("GET / HTTP/1.1\r\n\r\n"),
		"bad close payload":   frame(true, 8, true, []byte{0}),
		"text then close ok?": append(frame(false, 1, true, []byte(`{"type":`)), frame(true, 8, true, []byte{3, 232})...),
	} {
		nc := rawConn(t, ts.addr)
		if line, err := readUpgrade(nc); err != nil || !strings.Contains(line, "101") {
			t.Fatalf("%s: upgrade %q %v", name, line, err)
		}
		nc.Write(garbage)
		nc.SetReadDeadline(time.Now().Add(testTimeout))
		if _, err := io.Copy(io.Discard, nc); err != nil { // until the server hangs up
			t.Errorf("%s: %v", name, err)
		}
		nc.Close()
	}
	a.sendf(`{"type":"forward","to":%q,"data":"still fine"}`, b.addr())
	if m := b.read(); string(m.Data) != `"still fine"` {
		t.Errorf("b got %+v", m)
	}
	eventually(t, "only a and b to remain", func() bool { return ts.Stats().Connections == 2 })
}

// TestBlockingMode runs tests of the read side with every connection in blocking mode (a goroutine per connection
// waiting in a read), which is how the hub serves where there is no epoll.
func TestBlockingMode(t *testing.T) {
	testNoPoller = true
	defer func() { testNoPoller = false }()
	for name, test := range map[string]func(*testing.T){
		"Forward": TestForward, "ForwardOrder": TestForwardOrder, "Violations": TestViolations,
		"RateLimit": TestRateLimit, "PingFlood": TestPingFlood, "PongFlood": TestPongFlood,
		"FragmentedWithPings": TestFragmentedWithPings, "BigMessages": TestBigMessages,
		"GarbageFrames": TestGarbageFrames, "AnnouncedOversize": TestAnnouncedOversize, "Takeover": TestTakeover,
		"KeepAlive": TestKeepAlive, "Close": TestClose, "CloseSilentPeer": TestCloseSilentPeer,
		"HostnameReleasedOnNormalClose": TestHostnameReleasedOnNormalClose, "SlowMessage": TestSlowMessage,
	} {
		t.Run(name, test)
	}
}

// TestSlowMessage: a message that began arriving must be complete within MessageTimeout; the connection of a
// peer that stalls mid-message is dropped (its session waits for a resume), and others carry on.
func TestSlowMessage(t *testing.T) {
	ts := newTestServer(t, &Options{MessageTimeout: 200 * time.Millisecond, Grace: time.Minute})
	a := ts.dial(t, "")
	nc := rawConn(t, ts.addr)
	defer nc.Close()
	if line, err := readUpgrade(nc); err != nil || !strings.Contains(line, "101") {
		t.Fatalf("upgrade: %q %v", line, err)
	}
	eventually(t, "the raw client to bind", func() bool { return ts.Stats().Connections == 2 })
	f := frame(true, 1, true, []byte(`{"type":"lookup","id":1,"hostname":"x"}`))
	nc.Write(f[:len(f)-5]) // all but the last bytes, then nothing
	start := time.Now()
	eventually(t, "the stalled peer to be dropped", func() bool { return ts.Stats().Connections == 1 })
	if d := time.Since(start); d < 150*time.Millisecond || d > 2*time.Second {
		t.Errorf("dropped after %v, MessageTimeout 200 ms", d)
	}
	if st := ts.Stats(); st.Sessions != 2 || st.Violations != 0 {
		t.Errorf("stats %+v: want the stalled node's session waiting for a resume", st)
	}
	a.roundTrip(1)
}
