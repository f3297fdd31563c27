package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/smokenet/smoke/pkg/hub"
	"github.com/smokenet/smoke/pkg/node/internal/frame"
)

// checkParts checks what each part of s promises about its own state, each under its own lock.
func checkParts(t testing.TB, s *Socket) {
	t.Helper()
	r := &s.rx
	r.mu.Lock()
	credit, unprocessed, unread, assembling, peak := r.credit, r.unprocessed, r.unread, r.assembling, r.peak
	r.mu.Unlock()
	// SPEC.md §4: what the peer may still send plus what waits for the loop never exceeds the window, and what the
	// receiver holds never exceeds window + max message + 32.
	if credit < 0 || unprocessed < 0 || unread < 0 || assembling < 0 {
		t.Fatalf("receiver: negative count: credit %d unprocessed %d unread %d assembling %d", credit, unprocessed, unread, assembling)
	}
	if !r.discarding() && credit+unprocessed > r.window {
		t.Fatalf("receiver: outstanding credit %d + unprocessed %d over the window %d", credit, unprocessed, r.window)
	}
	if bound := r.window + r.maxMessage + frame.Cost; unread+assembling+unprocessed > bound || peak > bound {
		t.Fatalf("receiver: holds %d (peak %d), over the bound %d", unread+assembling+unprocessed, peak, bound)
	}
	tx := &s.tx
	tx.mu.Lock()
	sendCredit, window := tx.credit, int64(tx.peer.Window)
	tx.mu.Unlock()
	if sendCredit < 0 || sendCredit > window {
		t.Fatalf("sender: credit %d outside [0, %d]", sendCredit, window)
	}
}

// TestSocketPartsInvariants runs messages of every size both ways, with writers and readers cancelled at random
// moments, checks each part's invariants throughout, and then that credit is conserved: once everything sent has
// been read, what each sender may send is exactly what its peer's receiver has outstanding.
func TestSocketPartsInvariants(t *testing.T) {
	cfg := testConfig(socketConfig{Window: 4 << 10, MaxMessageSize: 64 << 10})
	d, a := socketPair(t, cfg, cfg)
	stop := make(chan struct{})
	var checks sync.WaitGroup
	checks.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			checkParts(t, d)
			checkParts(t, a)
			time.Sleep(50 * time.Microsecond)
		}
	})

	const msgs = 300
	var wg sync.WaitGroup
	for _, pair := range [][2]*Socket{{d, a}, {a, d}} {
		w, r := pair[0], pair[1]
		sent := make(chan int, msgs)
		wg.Go(func() {
			defer close(sent)
			for i := range msgs {
				size := (i * 7919) % (40 << 10) // 0 to 40 KiB: one frame, several frames, over the window
				ctx, cancel := context.WithCancel(context.Background())
				if i%13 == 5 {
					// Cancelled while it may be halfway: the message is aborted, never half-delivered.
					time.AfterFunc(time.Duration(i%3)*100*time.Microsecond, cancel)
				}
				err := w.Write(ctx, MessageBinary, randomBytes(size, uint64(i)))
				cancel()
				if err == nil {
					sent <- size
				} else if !errors.Is(err, context.Canceled) {
					t.Errorf("write %d: %v", i, err)
					return
				}
			}
		})
		wg.Go(func() {
			for want := range sent {
				for {
					ctx, cancel := context.WithTimeout(context.Background(), time.Duration(1+want%5)*time.Millisecond)
					_, b, err := r.Read(ctx)
					cancel()
					if errors.Is(err, context.DeadlineExceeded) {
						continue // a Read cut short loses nothing
					}
					if err != nil {
						t.Errorf("read: %v", err)
						return
					}
					if len(b) != want {
						t.Errorf("read %d bytes, want %d", len(b), want)
						return
					}
					break
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	checks.Wait()
	if t.Failed() {
		return
	}

	// Quiet now: every CREDIT in flight arrives, and the books must balance.
	balanced := func(w, r *Socket) error {
		w.tx.mu.Lock()
		have := w.tx.credit
		w.tx.mu.Unlock()
		r.rx.mu.Lock()
		out, held := r.rx.credit, r.rx.unread+r.rx.unprocessed+r.rx.assembling
		r.rx.mu.Unlock()
		if have != out || held != 0 {
			return fmt.Errorf("sender may send %d, receiver has %d outstanding and holds %d", have, out, held)
		}
		return nil
	}
	deadline := time.Now().Add(testTimeout)
	for {
		err := errors.Join(balanced(d, a), balanced(a, d))
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("credit not conserved: %v", err)
		}
		time.Sleep(time.Millisecond)
	}

	// The closer: a clean handshake ends both loops, the first cause stays, and nothing is buffered.
	if err := d.Close(StatusNormalClosure, "done"); err != nil {
		t.Fatalf("close: %v", err)
	}
	<-a.cl.loopDone
	if !isDone(d.cl.closing) || !isDone(d.cl.peerClosed) || !d.tx.sealed.Load() || !a.tx.sealed.Load() {
		t.Fatal("after the close handshake: closing, the peer's CLOSE and our own CLOSE should all be recorded")
	}
	if err := a.cl.error(); CloseStatus(err) != StatusNormalClosure {
		t.Fatalf("acceptor's error: %v", err)
	}
	a.cl.fail(StatusProtocolError, errors.New("later"))
	if CloseStatus(a.cl.error()) != StatusNormalClosure {
		t.Fatalf("a later failure replaced the first cause: %v", a.cl.error())
	}
	if st := a.Stats(); st.Buffered != 0 {
		t.Fatalf("acceptor still buffers %d", st.Buffered)
	}
}

// TestSocketFailIsContained has a part fail while every call is blocked on another part: each returns the failure,
// none hangs, and the loop ends.
func TestSocketFailIsContained(t *testing.T) {
	cfg := testConfig(socketConfig{Window: 4 << 10})
	d, _ := socketPair(t, cfg, cfg)
	fillWindow(t, d)
	werr, rerr := make(chan error, 1), make(chan error, 1)
	go func() { werr <- d.Write(context.Background(), MessageBinary, make([]byte, 1<<20)) }() // waits for credit
	go func() { _, _, err := d.Read(context.Background()); rerr <- err }()                    // waits for a message
	time.Sleep(20 * time.Millisecond)
	boom := errors.New("boom")
	d.fail(StatusInternalError, boom)
	for _, c := range []chan error{werr, rerr} {
		select {
		case err := <-c:
			if !errors.Is(err, boom) {
				t.Fatalf("blocked call after the socket failed: %v", err)
			}
		case <-time.After(testTimeout):
			t.Fatal("a blocked call did not return after the socket failed")
		}
	}
	select {
	case <-d.cl.loopDone:
	case <-time.After(testTimeout):
		t.Fatal("the loop did not end after the socket failed")
	}
}

// TestPoolAndPortsShut: once a node is closed, its pool makes no peer and its port table binds no port.
func TestPoolAndPortsShut(t *testing.T) {
	n := New(&Options{Hub: hub.NewPageHub(nil).Join()})
	if _, err := n.Address(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Listen(7000); err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := n.pool.get("0.0.0.9", n.errClosed); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("pool.get after Close: %v", err)
	}
	if _, err := n.Listen(7001); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Listen after Close: %v", err)
	}
	if st := n.Stats(); len(st.Listening) != 0 || len(st.Peers) != 0 {
		t.Fatalf("after Close: listening %v, peers %v", st.Listening, st.Peers)
	}
}
