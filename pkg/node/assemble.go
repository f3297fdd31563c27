package node

import "github.com/smokenet/smoke/pkg/node/internal/frame"

// The loop's half of receiving: it takes the data frames Frame queued, in order, and turns them into messages for
// Read. It runs on the loop goroutine only, so the message being assembled (an assembly) needs no lock; the
// receiver's counters it moves are under the receiver's mutex.

// takeInbox moves the frames Frame queued onto the end of pending, which the loop owns.
func (r *receiver) takeInbox(pending [][]byte) [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(pending) == 0 {
		pending, r.inbox = r.inbox, pending[:0]
	} else {
		pending = append(pending, r.inbox...)
		clear(r.inbox)
		r.inbox = r.inbox[:0]
	}
	return pending
}

// process turns pending data frames into messages, in order, and returns what it could not process yet: a START
// waits (is parked) while taking it on would exceed the memory bound of SPEC.md §4.
func (r *receiver) process(pending [][]byte, asm *assembly) [][]byte {
	i := 0
	defer func() {
		// Keep the unprocessed tail at the front of the slice, for reuse.
		n := copy(pending, pending[i:])
		clear(pending[n:])
	}()
	limit := r.window + r.maxMessage + frame.Cost
	for ; i < len(pending); i++ {
		f, err := frame.Decode(pending[i]) // checked by Frame already
		if err != nil {
			continue
		}
		cost := int64(f.Cost())
		switch f.Type {
		case frame.Start:
			typ := messageType(f.Kind)
			if uint64(len(f.Payload)) == f.Length { // the whole message: the frame is ours, no copy
				r.mu.Lock()
				r.unprocessed -= cost
				r.pushLocked(typ, f.Payload)
				r.mu.Unlock()
				continue
			}
			length := int64(f.Length)
			r.mu.Lock()
			if r.unread+r.unprocessed+r.credit+length-int64(len(f.Payload)) > limit {
				r.parked = true
				r.mu.Unlock()
				return pending[:len(pending)-i]
			}
			r.parked = false
			r.unprocessed -= cost
			r.assembling = msgCost(int(length))
			r.notePeakLocked()
			r.mu.Unlock()
			asm.start(typ, length, f.Payload, r.window)
		case frame.Cont:
			asm.add(f.Payload)
			r.mu.Lock()
			r.unprocessed -= cost
			if asm.complete() {
				r.assembling = 0
				r.pushLocked(asm.typ, asm.buf)
				*asm = assembly{}
			}
			r.mu.Unlock()
		case frame.Abort:
			r.mu.Lock()
			r.unprocessed -= cost
			r.assembling = 0
			r.mu.Unlock()
			*asm = assembly{}
		}
	}
	return pending[:0]
}

// drop forgets pending frames (the socket is closing or failed).
func (r *receiver) drop(pending [][]byte) [][]byte {
	clear(pending)
	r.mu.Lock()
	r.unprocessed, r.assembling, r.parked = 0, 0, false
	r.mu.Unlock()
	return pending[:0]
}

// release forgets everything not yet read when the loop ends: no one will process it.
func (r *receiver) release() {
	r.mu.Lock()
	r.unprocessed, r.assembling = 0, 0
	r.inbox = nil
	r.mu.Unlock()
}

// assembly is a message arriving in several frames. Its buffer is at first at most one window, and becomes the
// declared length only once a window of it has arrived: what a peer makes the receiver allocate stays within one
// window of what it actually sent (a 1-byte START cannot conjure a 64 MiB buffer), at the cost of copying at most
// one window once.
type assembly struct {
	typ    MessageType
	length int64
	buf    []byte
}

func (a *assembly) start(typ MessageType, length int64, first []byte, window int64) {
	a.typ, a.length = typ, length
	a.buf = make([]byte, 0, min(length, window))
	a.buf = append(a.buf, first...)
}

func (a *assembly) add(p []byte) {
	if len(a.buf)+len(p) > cap(a.buf) {
		nb := make([]byte, len(a.buf), a.length)
		copy(nb, a.buf)
		a.buf = nb
	}
	a.buf = append(a.buf, p...)
}

func (a *assembly) complete() bool { return int64(len(a.buf)) == a.length }
