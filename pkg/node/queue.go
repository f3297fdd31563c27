package node

import "sync"

// opQueue runs functions one at a time, in the order they were pushed, on its own goroutine. push never blocks,
// so it is safe from JS event callbacks and pion callbacks; what bounds the queue is its callers (hub messages
// arrive at the hub's pace; pion fires a handful of events per connection).
//
// An op that panics does not take the process (or, in the browser, the wasm module) down: the ops apply what a
// remote peer signalled, so the queue recovers, hands the panic to onPanic, and goes on with the next op.
type opQueue struct {
	onPanic func(any) // set before the first push; nil: the panic is dropped

	mu      sync.Mutex
	ops     []func()
	running bool
	closed  bool
}

// push schedules op; it reports false once the queue is closed.
func (q *opQueue) push(op func()) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return false
	}
	q.ops = append(q.ops, op)
	if !q.running {
		q.running = true
		// A goroutine per busy period rather than per queue: an idle peer costs no goroutine.
		go q.run()
	}
	return true
}

func (q *opQueue) run() {
	for {
		q.mu.Lock()
		if len(q.ops) == 0 || q.closed {
			q.running = false
			q.ops = nil
			q.mu.Unlock()
			return
		}
		op := q.ops[0]
		q.ops[0] = nil
		q.ops = q.ops[1:]
		q.mu.Unlock()
		q.do(op)
	}
}

func (q *opQueue) do(op func()) {
	defer func() {
		if r := recover(); r != nil && q.onPanic != nil {
			q.onPanic(r)
		}
	}()
	op()
}

// close drops pending ops; an op already running finishes.
func (q *opQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.ops = nil
	q.mu.Unlock()
}
