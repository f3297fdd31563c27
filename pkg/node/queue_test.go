package node

import (
	"testing"
	"time"
)

// TestOpQueuePanic: an op that panics is reported, and the ops after it still run, in order.
func TestOpQueuePanic(t *testing.T) {
	var q opQueue
	panicked := make(chan any, 1)
	q.onPanic = func(r any) { panicked <- r }
	ran := make(chan int, 2)
	q.push(func() { ran <- 1 })
	q.push(func() { panic("bad SDP") })
	q.push(func() { ran <- 2 })
	for want := 1; want <= 2; want++ {
		select {
		case got := <-ran:
			if got != want {
				t.Fatalf("op %d ran, want %d", got, want)
			}
		case <-time.After(testTimeout):
			t.Fatal("the queue stopped after a panic")
		}
	}
	if r := <-panicked; r != "bad SDP" {
		t.Fatalf("onPanic got %v", r)
	}
	q.close()
}
