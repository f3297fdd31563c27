package node

import (
	"context"
	"net"
	"sync"
)

// pipeHighWater is how many bytes a pipe end lets its peer queue before the peer's Send blocks: like a datachannel's
// bufferedAmount threshold.
const pipeHighWater = 1 << 20

// newPipe returns the two ends of an in-memory link. It serves a node's loopback dials (a node dialing its own
// listeners, which must not touch WebRTC) and the socket layer's tests.
//
// It keeps the link contract exactly: frames arrive in order, each end delivers from one goroutine (so Frame is never
// called concurrently), Send copies the frame and blocks while the other end has more than pipeHighWater bytes
// waiting, and Closed is called once on each end that was started. Close on one end drops what that end had not yet
// delivered, delivers to the other end everything already sent, then reports Closed(nil) on both.
func newPipe() (a, b link) {
	x, y := newPipeSize(pipeHighWater)
	return x, y
}

func newPipeSize(highWater int) (a, b *pipeEnd) {
	p := &pipe{highWater: highWater}
	for i := range p.ends {
		e := &p.ends[i]
		e.p, e.peer = p, &p.ends[1-i]
		e.wake = make(chan struct{}, 1)
		e.space = make(chan struct{})
		e.done = make(chan struct{})
	}
	return &p.ends[0], &p.ends[1]
}

type pipe struct {
	highWater int
	mu        sync.Mutex // guards every field of both ends below it
	ends      [2]pipeEnd
}

type pipeEnd struct {
	p    *pipe
	peer *pipeEnd
	wake chan struct{} // size 1: something for the delivery goroutine
	done chan struct{} // closed when the delivery goroutine has returned

	h          linkHandler
	inbox      [][]byte // frames sent by the peer, not yet delivered
	spare      [][]byte // the delivery goroutine's last batch, for reuse
	inboxBytes int
	space      chan struct{} // closed (and replaced) whenever the inbox is emptied: wakes the peer's blocked Sends
	sendClosed bool          // Send fails: either end has closed
	eof        bool          // no more frames will be added to inbox
	eofErr     error         // what Closed reports
	closed     bool          // Close was called on this end
}

var _ link = (*pipeEnd)(nil)

func (e *pipeEnd) Send(ctx context.Context, frame []byte) error {
	b := make([]byte, len(frame)) // the receiver owns what it gets; the caller keeps frame
	copy(b, frame)
	p := e.p
	p.mu.Lock()
	for {
		if e.sendClosed {
			p.mu.Unlock()
			return net.ErrClosed
		}
		if e.peer.inboxBytes <= p.highWater {
			break
		}
		space := e.peer.space
		p.mu.Unlock()
		select {
		case <-space:
		case <-ctx.Done():
			return ctx.Err()
		}
		p.mu.Lock()
	}
	e.peer.inbox = append(e.peer.inbox, b)
	e.peer.inboxBytes += len(b)
	p.mu.Unlock()
	notify(e.peer.wake)
	return nil
}

func (e *pipeEnd) Start(h linkHandler) {
	e.p.mu.Lock()
	if e.h != nil || h == nil { // the contract allows one Start; ignore a second rather than panic
		e.p.mu.Unlock()
		return
	}
	e.h = h
	e.p.mu.Unlock()
	go e.deliver()
}

func (e *pipeEnd) Close() error {
	e.closeWith(nil)
	return nil
}

// fail simulates the transport failing (tests): like Close, but both ends report Closed(err).
func (e *pipeEnd) fail(err error) { e.closeWith(err) }

func (e *pipeEnd) closeWith(err error) {
	p := e.p
	p.mu.Lock()
	if e.closed {
		p.mu.Unlock()
		return
	}
	e.closed = true
	for _, x := range []*pipeEnd{e, e.peer} {
		x.sendClosed = true
		close(x.space)
		x.space = make(chan struct{})
		if x == e {
			x.inbox, x.inboxBytes = nil, 0
		}
		if !x.eof {
			x.eof, x.eofErr = true, err
		}
	}
	p.mu.Unlock()
	notify(e.wake)
	notify(e.peer.wake)
}

// deliver is an end's delivery goroutine: it hands queued frames to the handler in order, then reports Closed.
func (e *pipeEnd) deliver() {
	p := e.p
	for {
		p.mu.Lock()
		for len(e.inbox) == 0 && !e.eof {
			p.mu.Unlock()
			<-e.wake
			p.mu.Lock()
		}
		batch := e.inbox
		e.inbox, e.spare = e.spare[:0], nil
		e.inboxBytes = 0
		close(e.space)
		e.space = make(chan struct{})
		last, err := e.eof && len(batch) == 0, e.eofErr
		p.mu.Unlock()

		if last {
			e.h.Closed(err)
			close(e.done)
			return
		}
		for i, f := range batch {
			e.h.Frame(f)
			batch[i] = nil
		}
		p.mu.Lock()
		if e.spare == nil {
			e.spare = batch
		}
		p.mu.Unlock()
	}
}

// signal makes a non-blocking send on a size-1 channel: the receiver learns that something changed.
func notify(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}
