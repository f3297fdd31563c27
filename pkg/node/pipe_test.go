package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"
)

// recorder is a linkHandler that keeps what it gets and checks the contract: Frame never concurrent, nothing after
// Closed, Closed once.
type recorder struct {
	t      testing.TB
	mu     sync.Mutex
	in     bool
	frames []string
	closed int
	err    error
	done   chan struct{}
}

func newRecorder(t testing.TB) *recorder { return &recorder{t: t, done: make(chan struct{})} }

func (r *recorder) Frame(b []byte) {
	r.mu.Lock()
	if r.in || r.closed > 0 {
		r.t.Errorf("Frame called concurrently or after Closed")
	}
	r.in = true
	r.mu.Unlock()
	runtime.Gosched() // widen the window for a concurrent call
	r.mu.Lock()
	r.frames = append(r.frames, string(b))
	r.in = false
	r.mu.Unlock()
}

func (r *recorder) Closed(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed++
	r.err = err
	if r.closed == 1 {
		close(r.done)
	} else {
		r.t.Errorf("Closed called %d times", r.closed)
	}
}

func (r *recorder) wait(t testing.TB) []string {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(testTimeout):
		t.Fatal("Closed never called")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.frames
}

func TestPipeOrderAndClose(t *testing.T) {
	x, y := newPipeSize(1 << 10)
	rx, ry := newRecorder(t), newRecorder(t)
	// Frames sent before Start wait for it.
	if err := x.Send(ctxT(t), []byte("early")); err != nil {
		t.Fatal(err)
	}
	x.Start(rx)
	y.Start(ry)
	var wg sync.WaitGroup
	buf := make([]byte, 100)
	for i := range 1000 {
		copy(buf, fmt.Sprintf("%04d", i))
		if err := x.Send(ctxT(t), buf[:4]); err != nil {
			t.Fatal(err)
		}
		buf[0] = 'X' // Send must have copied
	}
	wg.Wait()
	x.Close()
	if err := x.Send(ctxT(t), []byte("late")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("send after close: %v", err)
	}
	if err := y.Send(ctxT(t), []byte("late")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("send to a closed end: %v", err)
	}
	got := ry.wait(t) // everything x sent before Close arrives, then Closed
	if len(got) != 1001 || got[0] != "early" {
		t.Fatalf("%d frames, first %q", len(got), got[0])
	}
	for i, f := range got[1:] {
		if f != fmt.Sprintf("%04d", i) {
			t.Fatalf("frame %d is %q", i, f)
		}
	}
	rx.wait(t)
	if ry.err != nil || rx.err != nil {
		t.Fatalf("closed with %v, %v", rx.err, ry.err)
	}
	x.Close() // idempotent
	y.Close()
}

func TestPipeHighWater(t *testing.T) {
	x, y := newPipeSize(1 << 10)
	x.Start(newRecorder(t))
	defer x.Close()
	// y is not started: nothing drains, so Send blocks once more than 1 KiB waits.
	for i := 0; ; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		err := x.Send(ctx, make([]byte, 300))
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			if i != 4 {
				t.Fatalf("send blocked after %d frames of 300 bytes with a 1 KiB high-water mark", i)
			}
			break
		}
		if err != nil || i > 4 {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	// Draining unblocks a waiting sender.
	errc := make(chan error, 1)
	go func() { errc <- x.Send(context.Background(), []byte("go")) }()
	time.Sleep(10 * time.Millisecond)
	r := newRecorder(t)
	y.Start(r)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	// Closing unblocks one too.
	for x.Send(ctxT(t), make([]byte, 2000)) == nil && len(errc) == 0 {
		y.p.mu.Lock()
		full := y.inboxBytes > 1<<10
		y.p.mu.Unlock()
		if full {
			break
		}
	}
	go func() { errc <- x.Send(context.Background(), []byte("blocked")) }()
	time.Sleep(10 * time.Millisecond)
	y.Close()
	if err := <-errc; err != nil && !errors.Is(err, net.ErrClosed) {
		t.Fatalf("blocked send after close: %v", err)
	}
	r.wait(t)
}

func TestPipeFail(t *testing.T) {
	x, y := newPipe()
	rx, ry := newRecorder(t), newRecorder(t)
	x.Start(rx)
	y.Start(ry)
	x.Send(ctxT(t), []byte("a"))
	boom := errors.New("ICE failed")
	x.(*pipeEnd).fail(boom)
	if got := ry.wait(t); len(got) != 1 || !errors.Is(ry.err, boom) {
		t.Fatalf("after a failure: %q, %v", got, ry.err)
	}
	if rx.wait(t); !errors.Is(rx.err, boom) {
		t.Fatalf("the failing end: %v", rx.err)
	}
}
