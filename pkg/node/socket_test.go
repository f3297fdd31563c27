package node

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smokenet/smoke/pkg/node/internal/frame"
)

// TestMain fails the package if goroutines of the socket layer outlive the tests: every socket is closed in a
// cleanup, and Close and CloseNow wait for the socket's goroutine. Only this layer's goroutines are checked
// (leakPatterns), so that a transport's lingering goroutines do not hide or fake a socket leak.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if err := settleGoroutines(5 * time.Second); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

// leakPatterns are stack fragments of goroutines that must all have ended when the tests finish.
var leakPatterns = []string{
	"node.(*Socket).run",
	"node.(*pipeEnd).deliver",
	"node.rejectSocket",
	"node.dialSocket",
	"node.acceptSocket",
}

func settleGoroutines(wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		buf := make([]byte, 4<<20)
		buf = buf[:runtime.Stack(buf, true)]
		var leaked []string
		for _, g := range strings.Split(string(buf), "\n\n") {
			for _, p := range leakPatterns {
				if strings.Contains(g, p) {
					leaked = append(leaked, g)
					break
				}
			}
		}
		if len(leaked) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("goroutine leak: %d socket-layer goroutines left\n%s", len(leaked), strings.Join(leaked, "\n\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// testTimeout bounds every wait in these tests; nothing should come near it.
const testTimeout = 10 * time.Second

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// testConfig is a socket config for tests: keepalive off unless a test turns it on, short timeouts.
func testConfig(c socketConfig) *socketConfig {
	if c.KeepAlive == 0 {
		c.KeepAlive = -1
	}
	if c.HandshakeTimeout == 0 {
		c.HandshakeTimeout = 2 * time.Second
	}
	if c.CloseTimeout == 0 {
		c.CloseTimeout = time.Second
	}
	return &c
}

var (
	dialerAddr   = Addr{Node: "0.0.0.1", Port: 0}
	acceptorAddr = Addr{Node: "0.0.0.2", Port: 7000}
)

// socketPair connects two sockets over a pipe: d dialed, a accepted. Both are closed when the test ends.
func socketPair(t testing.TB, dcfg, acfg *socketConfig) (d, a *Socket) {
	t.Helper()
	x, y := newPipe()
	return socketPairOver(t, x, y, dcfg, acfg)
}

func socketPairOver(t testing.TB, x, y link, dcfg, acfg *socketConfig) (d, a *Socket) {
	t.Helper()
	accepted := make(chan *Socket, 1)
	admitSocket(y, acceptorAddr, dialerAddr, acfg, func(s *Socket) error {
		accepted <- s
		return nil
	})
	d, err := dialSocket(ctxT(t), x, dialerAddr, acceptorAddr, dcfg)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { d.CloseNow() })
	select {
	case a = <-accepted:
	case <-time.After(testTimeout):
		t.Fatal("acceptor never admitted the socket")
	}
	t.Cleanup(func() { a.CloseNow() })
	return d, a
}

func mustWrite(t testing.TB, s *Socket, typ MessageType, p []byte) {
	t.Helper()
	if err := s.Write(ctxT(t), typ, p); err != nil {
		t.Fatalf("write: %v", err)
	}
}

func mustRead(t testing.TB, s *Socket) (MessageType, []byte) {
	t.Helper()
	typ, b, err := s.Read(ctxT(t))
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return typ, b
}

// echo serves s until it ends: every message goes back as it came.
func echo(s *Socket) {
	ctx := context.Background()
	for {
		typ, b, err := s.Read(ctx)
		if err != nil {
			return
		}
		if s.Write(ctx, typ, b) != nil {
			return
		}
	}
}

func randomBytes(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)})
	r.Read(b)
	return b
}

func TestSocketEcho(t *testing.T) {
	d, a := socketPair(t, testConfig(socketConfig{}), testConfig(socketConfig{}))
	go echo(a)
	mustWrite(t, d, MessageText, []byte("hello"))
	if typ, b := mustRead(t, d); typ != MessageText || string(b) != "hello" {
		t.Fatalf("echo: %v %q", typ, b)
	}
	if d.LocalAddr() != dialerAddr || d.RemoteAddr() != acceptorAddr || a.RemoteAddr() != dialerAddr {
		t.Fatalf("addresses %v %v %v", d.LocalAddr(), d.RemoteAddr(), a.RemoteAddr())
	}
	if d.RemoteAddr().Network() != "smoke" || d.RemoteAddr().String() != "0.0.0.2:7000" {
		t.Fatalf("addr %s %s", d.RemoteAddr().Network(), d.RemoteAddr())
	}
	st := d.Stats()
	if st.MessagesOut != 1 || st.BytesOut != 5 || st.MessagesIn != 1 || st.BytesIn != 5 || st.Buffered != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TestSocketMessages covers what must arrive exactly as sent: order, kinds, sizes from 0 bytes to several frames.
func TestSocketMessages(t *testing.T) {
	for _, tc := range []struct {
		name string
		msgs func() []message
	}{
		{"128 ordered", func() []message {
			var ms []message
			for i := range 128 {
				typ := MessageBinary
				if i%3 == 0 {
					typ = MessageText
				}
				ms = append(ms, message{typ, []byte(fmt.Sprintf("message %d %s", i, strings.Repeat("x", i*97)))})
			}
			return ms
		}},
		{"1 KiB binary", func() []message { return []message{{MessageBinary, randomBytes(1024, 1)}} }},
		{"kinds preserved", func() []message {
			return []message{{MessageText, []byte("text")}, {MessageBinary, []byte("text")}, {MessageText, []byte{0xff}}}
		}},
		{"zero length", func() []message {
			return []message{{MessageText, nil}, {MessageBinary, []byte{}}, {MessageText, []byte("after")}}
		}},
		{"frame boundaries", func() []message {
			var ms []message
			for _, n := range []int{16383 - 5, 16384 - 5, 16384 - 4, 16384, 16384 + 1, 2 * 16384, 100000} {
				ms = append(ms, message{MessageBinary, randomBytes(n, uint64(n))})
			}
			return ms
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, a := socketPair(t, testConfig(socketConfig{}), testConfig(socketConfig{}))
			want := tc.msgs()
			go func() {
				for _, m := range want {
					if err := d.Write(context.Background(), m.typ, m.data); err != nil {
						return
					}
				}
			}()
			for i, m := range want {
				typ, b := mustRead(t, a)
				if typ != m.typ || !bytes.Equal(b, m.data) {
					t.Fatalf("message %d: %v of %d bytes, want %v of %d", i, typ, len(b), m.typ, len(m.data))
				}
			}
		})
	}
}

// TestSocketLargeMessages sends messages far over the window and the frame size, checked by hash.
func TestSocketLargeMessages(t *testing.T) {
	sizes := []int{900_000, 64 << 20}
	if runtime.GOOS == "js" {
		sizes[1] = 16 << 20 // a browser tab's memory; the interop tests cover 64 MiB over real datachannels
	}
	for _, n := range sizes {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			d, a := socketPair(t, testConfig(socketConfig{}), testConfig(socketConfig{}))
			msg := randomBytes(n, uint64(n))
			want := sha256.Sum256(msg)
			errc := make(chan error, 1)
			go func() { errc <- d.Write(ctxT(t), MessageBinary, msg) }()
			typ, got := mustRead(t, a)
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
			if typ != MessageBinary || len(got) != n || sha256.Sum256(got) != want {
				t.Fatalf("got %v of %d bytes, hash mismatch", typ, len(got))
			}
			if peak := a.Stats().BufferedPeak; peak > defaultWindow+defaultMaxMessageSize+frame.Cost {
				t.Fatalf("peak buffered %d", peak)
			}
		})
	}
}

func TestSocketConcurrentWritersDoNotInterleave(t *testing.T) {
	d, a := socketPair(t, testConfig(socketConfig{Window: 64 << 10}), testConfig(socketConfig{Window: 64 << 10}))
	const writers, each, size = 8, 16, 40_000 // each message spans three frames
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			msg := bytes.Repeat([]byte{byte(w)}, size)
			for range each {
				if err := d.Write(ctxT(t), MessageBinary, msg); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	counts := make([]int, writers)
	for range writers * each {
		_, b := mustRead(t, a)
		if len(b) != size || bytes.Count(b, b[:1]) != size {
			t.Fatalf("a message of %d bytes mixes writers", len(b))
		}
		counts[b[0]]++
	}
	wg.Wait()
	for w, n := range counts {
		if n != each {
			t.Fatalf("writer %d: %d messages, want %d", w, n, each)
		}
	}
}

// TestSocketSlowReaderBoundsMemory has a reader stop, then crawl, while the writer sends as fast as it can: the
// receiver never holds more than window + max message (+32), the writer waits instead.
func TestSocketSlowReaderBoundsMemory(t *testing.T) {
	const window, maxMsg, msgSize = 256 << 10, 1 << 20, 1 << 20
	total := 256 << 20
	if testing.Short() || runtime.GOOS == "js" {
		total = 32 << 20
	}
	cfg := testConfig(socketConfig{Window: window, MaxMessageSize: maxMsg})
	d, a := socketPair(t, cfg, cfg)
	bound := int64(window + maxMsg + frame.Cost)

	var sent atomic.Int64
	errc := make(chan error, 1)
	go func() {
		msg := randomBytes(msgSize, 7)
		for sent.Load() < int64(total) {
			if err := d.Write(context.Background(), MessageBinary, msg); err != nil {
				errc <- err
				return
			}
			sent.Add(msgSize)
		}
		errc <- nil
	}()

	// The reader does not read: the writer must stall within the bound.
	var last int64 = -1
	for stalled := 0; stalled < 5; {
		time.Sleep(20 * time.Millisecond)
		if n := sent.Load(); n == last {
			stalled++
		} else {
			last, stalled = n, 0
		}
	}
	if st := a.Stats(); st.BufferedPeak > bound || st.Buffered < window {
		t.Fatalf("stalled writer: buffered %d (peak %d), want between %d and %d", st.Buffered, st.BufferedPeak, window, bound)
	}
	if last > int64(window+2*maxMsg) {
		t.Fatalf("writer got %d bytes out to a reader that read nothing", last)
	}

	// Now a reader slower than the writer: the queue stays full, the bound holds throughout.
	var heapBase, heapPeak runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&heapBase)
	for got := 0; got < total; {
		_, b := mustRead(t, a)
		got += len(b)
		if got%(16<<20) == 0 {
			// Collect first: what is measured is what the socket keeps alive, not garbage the GC has yet to visit
			// (which depends on how busy the machine is).
			runtime.GC()
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			if m.HeapInuse > heapPeak.HeapInuse {
				heapPeak = m
			}
			time.Sleep(time.Millisecond)
		}
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	st := a.Stats()
	if st.BufferedPeak > bound {
		t.Fatalf("peak buffered %d, over the bound %d", st.BufferedPeak, bound)
	}
	// The live heap must not track the total: window + one message in progress + the writer's message + slack.
	if grew := int64(heapPeak.HeapInuse) - int64(heapBase.HeapInuse); grew > 16<<20 {
		t.Fatalf("heap grew by %d MiB while %d MiB went through", grew>>20, total>>20)
	}
	t.Logf("%d MiB through a %d KiB window: peak buffered %d KiB (bound %d KiB), heap in use +%d KiB",
		total>>20, window>>10, st.BufferedPeak>>10, bound>>10, (int64(heapPeak.HeapInuse)-int64(heapBase.HeapInuse))>>10)
}

// TestSocketWriteCancelAborts cuts a Write short: the peer never sees that message, and the socket goes on.
func TestSocketWriteCancelAborts(t *testing.T) {
	cfg := testConfig(socketConfig{Window: 4 << 10})
	d, a := socketPair(t, cfg, cfg)
	fillWindow(t, d)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := d.Write(ctx, MessageBinary, make([]byte, 100<<10)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("write into a full window: %v, want a deadline", err)
	}
	go d.Write(ctxT(t), MessageText, []byte("after"))
	for range 3 {
		mustRead(t, a) // the fillers
	}
	if typ, b := mustRead(t, a); typ != MessageText || string(b) != "after" {
		t.Fatalf("message read: %v of %d bytes, want the one after the aborted one", typ, len(b))
	}
	// Cancelled before it begins: nothing is sent either.
	cctx, ccancel := context.WithCancel(context.Background())
	ccancel()
	if err := d.Write(cctx, MessageText, []byte("never")); !errors.Is(err, context.Canceled) {
		t.Fatalf("write with a cancelled context: %v", err)
	}
	go d.Write(ctxT(t), MessageText, []byte("last"))
	if _, b := mustRead(t, a); string(b) != "last" {
		t.Fatalf("got %q", b)
	}
	// Read with a cancelled context loses nothing.
	rctx, rcancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer rcancel()
	if _, _, err := a.Read(rctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("read: %v", err)
	}
	mustWrite(t, d, MessageText, []byte("kept"))
	if _, b := mustRead(t, a); string(b) != "kept" {
		t.Fatalf("got %q", b)
	}
}

// fillWindow writes 3 small messages to a peer with a 4 KiB window that does not read: they stay unread, so the
// peer grants no more credit (a larger message alone would not do: its bytes are released as it is assembled).
func fillWindow(t testing.TB, d *Socket) {
	t.Helper()
	for range 3 {
		mustWrite(t, d, MessageBinary, make([]byte, 1000))
	}
}

func TestSocketWriteTooLarge(t *testing.T) {
	d, a := socketPair(t, testConfig(socketConfig{}), testConfig(socketConfig{MaxMessageSize: 1000}))
	if err := d.Write(ctxT(t), MessageBinary, make([]byte, 1001)); !errors.Is(err, ErrMessageTooLarge) {
		t.Fatalf("write over the peer's limit: %v", err)
	}
	mustWrite(t, d, MessageBinary, make([]byte, 1000))
	if _, b := mustRead(t, a); len(b) != 1000 {
		t.Fatalf("got %d bytes", len(b))
	}
	if err := d.Write(ctxT(t), MessageType(7), nil); err == nil {
		t.Fatal("write of an invalid type succeeded")
	}
}

func TestSocketClose(t *testing.T) {
	t.Run("reason reaches the peer after the data", func(t *testing.T) {
		d, a := socketPair(t, testConfig(socketConfig{}), testConfig(socketConfig{}))
		mustWrite(t, a, MessageText, []byte("bye"))
		if err := a.Close(4000, "server done"); err != nil {
			t.Fatalf("close: %v", err)
		}
		if _, b := mustRead(t, d); string(b) != "bye" {
			t.Fatalf("got %q before the close", b)
		}
		_, _, err := d.Read(ctxT(t))
		var ce CloseError
		if !errors.As(err, &ce) || ce.Code != 4000 || ce.Reason != "server done" || CloseStatus(err) != 4000 {
			t.Fatalf("read after the peer closed: %v", err)
		}
		if err := d.Write(ctxT(t), MessageText, []byte("x")); CloseStatus(err) != 4000 {
			t.Fatalf("write after the peer closed: %v", err)
		}
		if err := d.Close(StatusNormalClosure, ""); err != nil {
			t.Fatalf("close after the peer closed: %v", err)
		}
		if _, _, err := a.Read(ctxT(t)); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("read after close: %v", err)
		}
		if err := a.Close(StatusNormalClosure, ""); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("second close: %v", err)
		}
		if err := a.CloseNow(); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("close now after close: %v", err)
		}
	})
	t.Run("both at once", func(t *testing.T) {
		d, a := socketPair(t, testConfig(socketConfig{}), testConfig(socketConfig{}))
		errc := make(chan error, 2)
		go func() { errc <- d.Close(StatusGoingAway, "d") }()
		go func() { errc <- a.Close(StatusGoingAway, "a") }()
		for range 2 {
			if err := <-errc; err != nil {
				t.Fatalf("simultaneous close: %v", err)
			}
		}
	})
	t.Run("close unblocks a waiting writer and reader", func(t *testing.T) {
		cfg := testConfig(socketConfig{Window: 4 << 10})
		d, _ := socketPair(t, cfg, cfg)
		fillWindow(t, d)
		werr, rerr := make(chan error, 1), make(chan error, 1)
		go func() { werr <- d.Write(context.Background(), MessageBinary, make([]byte, 1<<20)) }()
		go func() { _, _, err := d.Read(context.Background()); rerr <- err }()
		time.Sleep(20 * time.Millisecond)
		d.Close(StatusNormalClosure, "")
		for _, c := range []chan error{werr, rerr} {
			if err := <-c; !errors.Is(err, net.ErrClosed) {
				t.Fatalf("blocked call after close: %v", err)
			}
		}
	})
	t.Run("close now is an abnormal closure for the peer", func(t *testing.T) {
		d, a := socketPair(t, testConfig(socketConfig{}), testConfig(socketConfig{}))
		d.CloseNow()
		if _, _, err := a.Read(ctxT(t)); !errors.Is(err, io.ErrUnexpectedEOF) || CloseStatus(err) != -1 {
			t.Fatalf("read after the peer vanished: %v", err)
		}
	})
	t.Run("handshake times out against a silent peer", func(t *testing.T) {
		x, y := newPipe()
		mute := &muteLink{link: x}
		cfg := testConfig(socketConfig{CloseTimeout: 100 * time.Millisecond})
		d, _ := socketPairOver(t, mute, y, cfg, cfg)
		mute.mute.Store(true) // from now on, nothing d sends arrives
		start := time.Now()
		err := d.Close(StatusNormalClosure, "")
		if !errors.Is(err, ErrTimeout) || !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("close with no answer: %v", err)
		}
		if el := time.Since(start); el < 100*time.Millisecond || el > time.Second {
			t.Fatalf("close took %v with a 100ms timeout", el)
		}
	})
	t.Run("invalid code", func(t *testing.T) {
		d, _ := socketPair(t, testConfig(socketConfig{}), testConfig(socketConfig{}))
		if err := d.Close(1005, ""); err == nil {
			t.Fatal("close with 1005 succeeded")
		}
		if err := d.Close(StatusNormalClosure, strings.Repeat("long ", 100)); err != nil {
			t.Fatalf("close with a long reason: %v", err)
		}
	})
}

// muteLink drops every frame sent once mute is set: a peer that stopped hearing us.
type muteLink struct {
	link
	mute atomic.Bool
}

func (m *muteLink) Send(ctx context.Context, b []byte) error {
	if m.mute.Load() {
		return nil
	}
	return m.link.Send(ctx, b)
}

func TestSocketKeepAlive(t *testing.T) {
	const interval = 40 * time.Millisecond
	t.Run("dead peer is noticed", func(t *testing.T) {
		x, y := newPipe()
		mute := &muteLink{link: y} // what the acceptor sends is lost: to the dialer, the peer is dead
		d, _ := socketPairOver(t, x, mute, testConfig(socketConfig{KeepAlive: interval}), testConfig(socketConfig{}))
		mute.mute.Store(true)
		start := time.Now()
		_, _, err := d.Read(ctxT(t))
		el := time.Since(start)
		if !errors.Is(err, ErrTimeout) {
			t.Fatalf("read from a dead peer: %v", err)
		}
		if el < 3*interval || el > 5*interval+500*time.Millisecond {
			t.Fatalf("dead peer noticed after %v; keepalive %v should take 4-5 intervals", el, interval)
		}
		if err := d.Write(ctxT(t), MessageText, nil); !errors.Is(err, ErrTimeout) {
			t.Fatalf("write to a dead peer: %v", err)
		}
	})
	t.Run("idle healthy socket stays open", func(t *testing.T) {
		cfg := testConfig(socketConfig{KeepAlive: interval})
		d, a := socketPair(t, cfg, cfg)
		time.Sleep(10 * interval)
		go echo(a)
		mustWrite(t, d, MessageText, []byte("still here"))
		if _, b := mustRead(t, d); string(b) != "still here" {
			t.Fatalf("got %q", b)
		}
	})
	t.Run("one side pings", func(t *testing.T) {
		// Only the dialer runs keepalive; the acceptor answers its pings, so neither side times out.
		d, a := socketPair(t, testConfig(socketConfig{KeepAlive: interval}), testConfig(socketConfig{}))
		time.Sleep(8 * interval)
		go echo(a)
		mustWrite(t, d, MessageText, []byte("x"))
		mustRead(t, d)
	})
}

func TestSocketHandshake(t *testing.T) {
	t.Run("reject carries the reason", func(t *testing.T) {
		x, y := newPipe()
		admitSocket(y, acceptorAddr, dialerAddr, testConfig(socketConfig{}), func(*Socket) error {
			return &RejectError{Code: StatusPortNotListening, Reason: "port 7000 is not listening"}
		})
		_, err := dialSocket(ctxT(t), x, dialerAddr, acceptorAddr, testConfig(socketConfig{}))
		var re *RejectError
		if !errors.Is(err, ErrPortNotListening) || !errors.As(err, &re) || re.Reason != "port 7000 is not listening" {
			t.Fatalf("dial to a refusing acceptor: %v", err)
		}
	})
	t.Run("reject without waiting for hello", func(t *testing.T) {
		x, y := newPipe()
		rejectSocket(y, StatusPortNotListening, "port 9 is not listening")
		_, err := dialSocket(ctxT(t), x, dialerAddr, acceptorAddr, testConfig(socketConfig{}))
		if !errors.Is(err, ErrPortNotListening) || !strings.Contains(err.Error(), "port 9 is not listening") {
			t.Fatalf("dial: %v", err)
		}
	})
	t.Run("admit error means busy", func(t *testing.T) {
		x, y := newPipe()
		admitSocket(y, acceptorAddr, dialerAddr, testConfig(socketConfig{}), func(*Socket) error {
			return errors.New("backlog full")
		})
		_, err := dialSocket(ctxT(t), x, dialerAddr, acceptorAddr, testConfig(socketConfig{}))
		var re *RejectError
		if !errors.As(err, &re) || re.Code != StatusBusy || re.Reason != "backlog full" || errors.Is(err, ErrPortNotListening) {
			t.Fatalf("dial: %v", err)
		}
	})
	t.Run("dial times out", func(t *testing.T) {
		x, y := newPipe()
		y.Start(discardHandler{}) // an acceptor that never answers
		t.Cleanup(func() { y.Close() })
		start := time.Now()
		_, err := dialSocket(ctxT(t), x, dialerAddr, acceptorAddr, testConfig(socketConfig{HandshakeTimeout: 100 * time.Millisecond}))
		if !errors.Is(err, ErrTimeout) || !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("dial to a silent acceptor: %v", err)
		}
		if el := time.Since(start); el > time.Second {
			t.Fatalf("dial took %v with a 100ms handshake timeout", el)
		}
	})
	t.Run("dial context", func(t *testing.T) {
		x, y := newPipe()
		y.Start(discardHandler{})
		t.Cleanup(func() { y.Close() })
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		if _, err := dialSocket(ctx, x, dialerAddr, acceptorAddr, testConfig(socketConfig{})); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("dial: %v", err)
		}
	})
	t.Run("acceptor times out waiting for hello", func(t *testing.T) {
		x, y := newPipe()
		r := newRawPeer(t, x)
		admitSocket(y, acceptorAddr, dialerAddr, testConfig(socketConfig{HandshakeTimeout: 100 * time.Millisecond}), func(*Socket) error {
			t.Error("admit called without a HELLO")
			return nil
		})
		r.waitClosed(t)
	})
	t.Run("bad hello is rejected", func(t *testing.T) {
		x, y := newPipe()
		r := newRawPeer(t, x)
		admitSocket(y, acceptorAddr, dialerAddr, testConfig(socketConfig{}), func(*Socket) error {
			t.Error("admit called for a bad HELLO")
			return nil
		})
		r.send(t, frame.AppendStart(nil, frame.Text, 1, []byte("x")))
		f := r.next(t)
		if f.Type != frame.Reject || f.Code != uint16(StatusProtocolError) || !strings.Contains(f.Reason, "first frame is START") {
			t.Fatalf("answer to a bad HELLO: %+v", f)
		}
		r.waitClosed(t)
	})
	t.Run("accept blocks until hello", func(t *testing.T) {
		x, y := newPipe()
		got := make(chan *Socket, 1)
		go func() {
			s, err := acceptSocket(ctxT(t), y, acceptorAddr, dialerAddr, testConfig(socketConfig{}))
			if err != nil {
				t.Error(err)
			}
			got <- s
		}()
		d, err := dialSocket(ctxT(t), x, dialerAddr, acceptorAddr, testConfig(socketConfig{}))
		if err != nil {
			t.Fatal(err)
		}
		defer d.CloseNow()
		a := <-got
		defer a.CloseNow()
		go echo(a)
		mustWrite(t, d, MessageBinary, []byte{1})
		mustRead(t, d)
	})
}

// rawPeer drives one end of a pipe by hand, to play a hostile or broken peer.
type rawPeer struct {
	l      *pipeEnd
	mu     sync.Mutex
	frames [][]byte
	more   chan struct{}
	closed chan struct{}
}

func newRawPeer(t testing.TB, l link) *rawPeer {
	r := &rawPeer{l: l.(*pipeEnd), more: make(chan struct{}, 1), closed: make(chan struct{})}
	l.Start(r)
	t.Cleanup(func() { l.Close() })
	return r
}

func (r *rawPeer) Frame(b []byte) {
	r.mu.Lock()
	r.frames = append(r.frames, b)
	r.mu.Unlock()
	notify(r.more)
}

func (r *rawPeer) Closed(error) { close(r.closed) }

func (r *rawPeer) send(t testing.TB, b []byte) {
	t.Helper()
	if err := r.l.Send(ctxT(t), b); err != nil {
		t.Fatalf("raw send: %v", err)
	}
}

// next returns the next frame the socket sent, skipping CREDIT, PING and PONG.
func (r *rawPeer) next(t testing.TB) frame.Frame {
	t.Helper()
	return r.nextWhere(t, func(f *frame.Frame) bool {
		return f.Type != frame.Credit && f.Type != frame.Ping && f.Type != frame.Pong
	})
}

// nextCredit returns the increment of the next CREDIT, skipping other frames.
func (r *rawPeer) nextCredit(t testing.TB) uint64 {
	t.Helper()
	return r.nextWhere(t, func(f *frame.Frame) bool { return f.Type == frame.Credit }).Credit
}

func (r *rawPeer) nextWhere(t testing.TB, want func(*frame.Frame) bool) frame.Frame {
	t.Helper()
	timeout := time.After(testTimeout)
	for {
		r.mu.Lock()
		for len(r.frames) > 0 {
			b := r.frames[0]
			r.frames = r.frames[1:]
			f, err := frame.Decode(b)
			if err != nil {
				r.mu.Unlock()
				t.Fatalf("socket sent a bad frame % x: %v", b, err)
			}
			if want(&f) {
				r.mu.Unlock()
				return f
			}
		}
		r.mu.Unlock()
		select {
		case <-r.more:
		case <-r.closed:
			r.mu.Lock()
			n := len(r.frames)
			r.mu.Unlock()
			if n == 0 {
				t.Fatal("link closed: no more frames")
			}
		case <-timeout:
			t.Fatal("no frame from the socket")
		}
	}
}

func (r *rawPeer) waitClosed(t testing.TB) {
	t.Helper()
	select {
	case <-r.closed:
	case <-time.After(testTimeout):
		t.Fatal("the socket did not close the link")
	}
}

// hostilePair gives a socket (dialed by a raw peer and accepted) and the raw peer, handshake done.
func hostilePair(t testing.TB, cfg *socketConfig) (*Socket, *rawPeer) {
	t.Helper()
	x, y := newPipe()
	r := newRawPeer(t, x)
	accepted := make(chan *Socket, 1)
	admitSocket(y, acceptorAddr, dialerAddr, cfg, func(s *Socket) error {
		accepted <- s
		return nil
	})
	r.send(t, frame.AppendHello(nil, frame.Hello, frame.Params{Version: 1, Window: 1 << 20, MaxMessage: 1 << 30, MaxFrame: 1 << 20}))
	if f := r.next(t); f.Type != frame.Accept {
		t.Fatalf("answer to HELLO: %+v", f)
	}
	s := <-accepted
	t.Cleanup(func() { s.CloseNow() })
	return s, r
}

// TestSocketHostilePeer has a peer break each rule: the socket fails with a clear error, tells the peer why and
// closes the link, within a bounded time, holding nothing; a healthy socket next to it is unaffected.
func TestSocketHostilePeer(t *testing.T) {
	healthyD, healthyA := socketPair(t, testConfig(socketConfig{}), testConfig(socketConfig{}))
	go echo(healthyA)

	const window, maxMsg = 4 << 10, 1 << 20
	t.Run("cases", func(cases *testing.T) { hostileCases(cases, window, maxMsg) })
	// Run after the parallel cases: the neighbour still works.
	mustWrite(t, healthyD, MessageText, []byte("fine"))
	if _, b := mustRead(t, healthyD); string(b) != "fine" {
		t.Fatalf("got %q", b)
	}
}

func hostileCases(cases *testing.T, window, maxMsg int) {
	start := func(length int, payload int) []byte {
		return frame.AppendStart(nil, frame.Binary, uint64(length), make([]byte, payload))
	}
	for _, tc := range []struct {
		name   string
		frames [][]byte
		code   StatusCode // the CLOSE the peer gets; 0: none expected
		want   error      // what Read returns, by errors.Is
		reason string     // in Read's error
	}{
		{"garbage", [][]byte{{0xff, 0x13, 0x37}}, StatusProtocolError, ErrProtocol, "unknown frame type 0xff"},
		{"empty frame", [][]byte{{}}, StatusProtocolError, ErrProtocol, "empty frame"},
		{"truncated start", [][]byte{{byte(frame.Start), 0}}, StatusProtocolError, ErrProtocol, "length: truncated"},
		{"truncated ping", [][]byte{{byte(frame.Ping), 1, 2}}, StatusProtocolError, ErrProtocol, "PING"},
		{"unknown type", [][]byte{{0x0b}}, StatusProtocolError, ErrProtocol, "unknown frame type 0x0b"},
		{"message over the limit", [][]byte{start(maxMsg+1, 1)}, StatusMessageTooBig, ErrMessageTooLarge, "over the limit"},
		{"huge length", [][]byte{start(frame.MaxVarint, 1)}, StatusMessageTooBig, ErrMessageTooLarge, "9007199254740991 bytes"},
		{"cont without start", [][]byte{frame.AppendCont(nil, []byte{1})}, StatusProtocolError, ErrProtocol, "CONT without a message"},
		{"abort without start", [][]byte{frame.AppendAbort(nil)}, StatusProtocolError, ErrProtocol, "ABORT without a message"},
		{"start inside a message", [][]byte{start(100, 10), start(100, 10)}, StatusProtocolError, ErrProtocol, "START while a message"},
		{"cont overruns", [][]byte{start(100, 10), frame.AppendCont(nil, make([]byte, 91))}, StatusProtocolError, ErrProtocol, "overruns the message by 1"},
		{"flood past credit", slices.Repeat([][]byte{start(1000, 1000)}, 5), StatusPolicyViolation, ErrProtocol, "flood"},
		{"zero-length flood", slices.Repeat([][]byte{start(0, 0)}, 200), StatusPolicyViolation, ErrProtocol, "flood"},
		{"credit over window", [][]byte{frame.AppendCredit(nil, 1)}, StatusProtocolError, ErrProtocol, "above the window"},
		{"hello again", [][]byte{frame.AppendHello(nil, frame.Hello, frame.Params{Version: 1, Window: 1 << 20, MaxMessage: 1 << 20, MaxFrame: 1 << 14})}, StatusProtocolError, ErrProtocol, "HELLO after the handshake"},
		{"frame over max-frame", [][]byte{frame.AppendCont(nil, make([]byte, 20<<10))}, StatusProtocolError, ErrProtocol, "over the max-frame"},
		{"link closes mid-message", [][]byte{start(100, 10), nil}, 0, io.ErrUnexpectedEOF, "in the middle of a message"},
		{"link fails mid-message", [][]byte{start(100, 10), []byte("fail")}, 0, io.ErrUnexpectedEOF, "link lost in the middle of a message"},
	} {
		cases.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, r := hostilePair(t, testConfig(socketConfig{Window: int64(window), MaxMessageSize: int64(maxMsg)}))
			began := time.Now()
			for _, b := range tc.frames {
				switch {
				case b == nil:
					r.l.Close()
				case string(b) == "fail":
					r.l.fail(errors.New("ICE failed"))
				default:
					if err := r.l.Send(ctxT(t), b); err != nil && !errors.Is(err, net.ErrClosed) {
						t.Fatal(err)
					}
				}
			}
			// Let the socket take in everything before the reader grants any credit back: otherwise a fast reader
			// can turn a flood into legitimate traffic (what it reads, it pays for) and the case proves nothing.
			select {
			case <-s.cl.closing:
			case <-time.After(5 * time.Second):
			}
			// Messages complete before the violation are still delivered; then the error.
			var err error
			for n := 0; err == nil; n++ {
				if _, _, err = s.Read(ctxT(t)); err == nil && n > len(tc.frames) {
					t.Fatal("more messages than frames sent")
				}
			}
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("read: %v; want %v mentioning %q", err, tc.want, tc.reason)
			}
			if el := time.Since(began); el > 2*time.Second {
				t.Fatalf("the socket took %v to fail", el)
			}
			if tc.code != 0 {
				f := r.next(t)
				if f.Type != frame.Close || f.Code != uint16(tc.code) {
					t.Fatalf("the peer got %+v, want CLOSE %d", f, tc.code)
				}
			}
			r.waitClosed(t)
			if err := s.Write(ctxT(t), MessageText, nil); !errors.Is(err, tc.want) {
				t.Fatalf("write after failing: %v", err)
			}
			if st := s.Stats(); st.BufferedPeak > int64(window) {
				t.Fatalf("the socket held %d bytes for a hostile peer", st.BufferedPeak)
			}
		})
	}
}

// TestSocketHostileCompleteMessagesFirst: what a peer sent completely before it broke the rules is still read, then
// the error.
func TestSocketHostileCompleteMessagesFirst(t *testing.T) {
	s, r := hostilePair(t, testConfig(socketConfig{}))
	r.send(t, frame.AppendStart(nil, frame.Text, 2, []byte("ok")))
	r.send(t, frame.AppendStart(nil, frame.Binary, 10, []byte("par")))
	r.l.fail(errors.New("gone"))
	if typ, b := mustRead(t, s); typ != MessageText || string(b) != "ok" {
		t.Fatalf("got %v %q", typ, b)
	}
	if _, _, err := s.Read(ctxT(t)); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("read: %v", err)
	}
}

// TestSocketParkedStart checks the START rule of SPEC.md §4 directly: after a multi-frame message completes (its
// bytes were released while it was assembled, so unread data now exceeds the window), the START of another large
// message waits for the reader, and is taken on as soon as the reader makes room.
func TestSocketParkedStart(t *testing.T) {
	const window, maxMsg = 4 << 10, 64 << 10
	s, r := hostilePair(t, testConfig(socketConfig{Window: window, MaxMessageSize: maxMsg}))
	r.send(t, frame.AppendStart(nil, frame.Binary, 6000, make([]byte, 3000))) // cost 3032 of 4096
	if c := r.nextCredit(t); c != 3000+frame.Cost {
		t.Fatalf("credit %d released while assembling, want %d", c, 3000+frame.Cost)
	}
	r.send(t, frame.AppendCont(nil, make([]byte, 3000)))                     // message complete: 6032 unread
	r.send(t, frame.AppendStart(nil, frame.Text, maxMsg, make([]byte, 500))) // within the 1064 credit left
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(testTimeout)
		for {
			s.rx.mu.Lock()
			ok := cond()
			s.rx.mu.Unlock()
			if ok {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(time.Millisecond)
		}
	}
	waitFor("the START to park", func() bool { return s.rx.parked && s.rx.unread == 6000+frame.Cost })
	if st := s.Stats(); st.BufferedPeak > window+maxMsg+frame.Cost {
		t.Fatalf("peak %d", st.BufferedPeak)
	}
	if _, b := mustRead(t, s); len(b) != 6000 {
		t.Fatalf("read %d bytes", len(b))
	}
	waitFor("the START to be taken on", func() bool { return !s.rx.parked && s.rx.assembling == maxMsg+frame.Cost })
}

func BenchmarkSocketThroughput(b *testing.B) {
	for _, size := range []int{64 << 10, 8 << 20} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			d, a := socketPair(b, testConfig(socketConfig{}), testConfig(socketConfig{}))
			msg := randomBytes(size, 1)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			done := make(chan error, 1)
			n := b.N
			go func() {
				for range n {
					if _, _, err := a.Read(context.Background()); err != nil {
						done <- err
						return
					}
				}
				done <- nil
			}()
			b.ResetTimer()
			for range n {
				if err := d.Write(context.Background(), MessageBinary, msg); err != nil {
					b.Fatal(err)
				}
			}
			if err := <-done; err != nil {
				b.Fatal(err)
			}
		})
	}
}

// BenchmarkPipeRaw is the baseline of BenchmarkSocketThroughput: the same bytes through the same pipe as 16 KiB
// frames with no socket layer, the way a raw datachannel would carry them.
func BenchmarkPipeRaw(b *testing.B) {
	for _, size := range []int{64 << 10, 8 << 20} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			x, y := newPipe()
			var got atomic.Int64
			want := int64(size) * int64(b.N)
			done := make(chan struct{})
			y.Start(handlerFunc(func(f []byte) {
				if got.Add(int64(len(f))) == want {
					close(done)
				}
			}))
			x.Start(discardHandler{})
			defer x.Close()
			msg := randomBytes(size, 1)
			b.SetBytes(int64(size))
			b.ResetTimer()
			ctx := context.Background()
			for range b.N {
				for off := 0; off < size; off += frame.DefaultMaxFrame {
					if err := x.Send(ctx, msg[off:min(size, off+frame.DefaultMaxFrame)]); err != nil {
						b.Fatal(err)
					}
				}
			}
			<-done
		})
	}
}

type handlerFunc func([]byte)

func (h handlerFunc) Frame(b []byte) { h(b) }
func (handlerFunc) Closed(error)     {}

// BenchmarkSlowReader1GiB sends 1 GiB to a reader slower than the writer and reports the peak the receiver held.
//
//	go test -run XXX -bench SlowReader1GiB -benchtime 1x ./pkg/node
func BenchmarkSlowReader1GiB(b *testing.B) {
	const total, msgSize = 1 << 30, 1 << 20
	for range b.N {
		d, a := socketPair(b, testConfig(socketConfig{}), testConfig(socketConfig{}))
		go func() {
			msg := randomBytes(msgSize, 3)
			for range total / msgSize {
				if d.Write(context.Background(), MessageBinary, msg) != nil {
					return
				}
			}
		}()
		var heapPeak uint64
		for i := range total / msgSize {
			if _, _, err := a.Read(context.Background()); err != nil {
				b.Fatal(err)
			}
			if i%16 == 0 {
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				heapPeak = max(heapPeak, m.HeapInuse)
				time.Sleep(time.Millisecond)
			}
		}
		b.ReportMetric(float64(a.Stats().BufferedPeak)/(1<<20), "peak-buffered-MiB")
		b.ReportMetric(float64(heapPeak)/(1<<20), "peak-heap-MiB")
	}
}
