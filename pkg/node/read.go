package node

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"

	"github.com/smokenet/smoke/pkg/node/internal/frame"
)

// receiver is the receiving half of a socket: the peer's message stream as Frame has validated it, the credit we
// granted (SPEC.md §4), and the queue Read takes messages from. It is the yamux Stream's receive window: Frame
// charges each data frame here, Read frees what it takes, and the loop grants credit back and assembles
// multi-frame messages (assemble.go). The sending half is never touched from here.
//
// Credit is counted in credit bytes (32 + payload per data frame). What the receiver holds, unread + assembling +
// unprocessed, never exceeds window + max message + 32: Frame refuses a frame costing more than the credit left,
// and the loop takes on a multi-frame message only within that bound (it parks the START until Reads make room).
type receiver struct {
	window, maxMessage int64         // ours, as advertised in the handshake
	readable           chan struct{} // size 1: a message was queued

	// discard drops what arrives: the application closed, or the socket failed. Only the peer's CLOSE still matters.
	// An atomic, not under mu: Frame looks at it first for every frame.
	discard atomic.Bool

	mu sync.Mutex
	// The peer's message stream, as Frame has validated it.
	inMsg     bool
	remaining uint64
	// Credit accounting, in credit bytes.
	credit      int64    // outstanding: what the peer may still send
	unprocessed int64    // charged frames in inbox or the loop's pending list
	unread      int64    // complete messages in msgs
	assembling  int64    // the message being assembled (32 + declared length), 0 if none
	parked      bool     // the loop waits for Reads before it processes a START
	peak        int64    // highest unread + assembling + unprocessed
	inbox       [][]byte // validated data frames for the loop
	msgs        []message
	msgHead     int

	messagesIn, bytesIn atomic.Uint64
}

func (r *receiver) init(window, maxMessage int64) {
	r.window, r.maxMessage = window, maxMessage
	r.credit = window
	r.readable = make(chan struct{}, 1)
}

// Read returns the next message. After the peer closed the socket, Read returns the messages that arrived before
// its CLOSE, then a CloseError. After the socket failed (protocol violation, keepalive timeout, lost link), it
// returns the complete messages that arrived, then the error. After Close or CloseNow it returns net.ErrClosed.
// Cancelling ctx makes Read return ctx.Err() and loses nothing.
//
// The returned slice is the caller's.
func (s *Socket) Read(ctx context.Context) (MessageType, []byte, error) {
	for {
		if isDone(s.cl.localDone) {
			return 0, nil, net.ErrClosed
		}
		if m, ok := s.rx.pop(s.wake); ok {
			return m.typ, m.data, nil
		}
		select {
		case <-s.rx.readable:
		case <-s.cl.localDone:
		case <-s.cl.loopDone:
			if s.rx.empty() {
				err := s.cl.error()
				if err == nil {
					err = net.ErrClosed
				}
				return 0, nil, err
			}
		case <-ctx.Done():
			return 0, nil, ctx.Err()
		}
	}
}

// pop takes the next message off the queue. It wakes the loop when taking it lets the loop go on: a parked START
// may fit now, or enough room opened to grant credit.
func (r *receiver) pop(loop chan struct{}) (message, bool) {
	r.mu.Lock()
	if r.msgHead == len(r.msgs) {
		r.mu.Unlock()
		return message{}, false
	}
	m := r.msgs[r.msgHead]
	r.msgs[r.msgHead] = message{}
	r.msgHead++
	if r.msgHead == len(r.msgs) {
		r.msgs, r.msgHead = r.msgs[:0], 0
	} else if r.msgHead >= 64 && r.msgHead*2 >= len(r.msgs) {
		n := copy(r.msgs, r.msgs[r.msgHead:])
		clear(r.msgs[n:])
		r.msgs, r.msgHead = r.msgs[:n], 0
	}
	r.unread -= msgCost(len(m.data))
	wakeLoop := r.parked || r.grantLocked() > 0
	more := r.msgHead < len(r.msgs)
	r.mu.Unlock()
	if wakeLoop {
		notify(loop)
	}
	if more {
		notify(r.readable) // for a concurrent Read
	}
	return m, true
}

func (r *receiver) empty() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.msgHead == len(r.msgs)
}

// take charges one data frame that Frame decoded, after checking it against the message in progress and the credit
// granted. A whole message with nothing queued before it goes straight to the readers (saving a hand-off to the loop
// per message); anything else is queued for the loop, and queued says so. A violation comes back as a status code
// and what happened; the caller fails the socket.
func (r *receiver) take(f *frame.Frame, b []byte) (queued bool, code StatusCode, why string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case f.Type == frame.Start && r.inMsg:
		return false, StatusProtocolError, "START while a message is in progress"
	case f.Type != frame.Start && !r.inMsg:
		return false, StatusProtocolError, fmt.Sprintf("%v without a message in progress", f.Type)
	case f.Type == frame.Start && f.Length > uint64(r.maxMessage):
		return false, StatusMessageTooBig, fmt.Sprintf("message of %d bytes is over the limit of %d", f.Length, r.maxMessage)
	case f.Type == frame.Cont && uint64(len(f.Payload)) > r.remaining:
		return false, StatusProtocolError, fmt.Sprintf("CONT of %d bytes overruns the message by %d", len(f.Payload), uint64(len(f.Payload))-r.remaining)
	}
	cost := int64(f.Cost())
	if cost > r.credit {
		return false, StatusPolicyViolation, fmt.Sprintf("flood: a %v frame costing %d exceeds the %d credit granted", f.Type, cost, r.credit)
	}
	switch f.Type {
	case frame.Start:
		r.remaining = f.Length - uint64(len(f.Payload))
		r.inMsg = r.remaining > 0
	case frame.Cont:
		r.remaining -= uint64(len(f.Payload))
		r.inMsg = r.remaining > 0
	case frame.Abort:
		r.inMsg, r.remaining = false, 0
	}
	r.credit -= cost
	if f.Type == frame.Start && !r.inMsg && r.unprocessed == 0 {
		r.pushLocked(messageType(f.Kind), f.Payload)
		r.notePeakLocked()
		return false, 0, ""
	}
	r.unprocessed += cost
	r.notePeakLocked()
	r.inbox = append(r.inbox, b)
	return true, 0, ""
}

func messageType(k frame.Kind) MessageType {
	if k == frame.Text {
		return MessageText
	}
	return MessageBinary
}

// endMessage forgets the message in progress: the peer's CLOSE abandons it.
func (r *receiver) endMessage() {
	r.mu.Lock()
	r.inMsg = false
	r.mu.Unlock()
}

func (r *receiver) inMessage() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.inMsg
}

// stop makes the receiver drop what arrives from now on, and grant nothing more.
func (r *receiver) stop() { r.discard.Store(true) }

func (r *receiver) discarding() bool { return r.discard.Load() }

// grant is the credit the loop sends now, already counted as outstanding; open says the handshake allows it.
func (r *receiver) grant(open bool) int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	g := r.grantLocked()
	if g > 0 && !open {
		g = 0
	}
	r.credit += g
	return g
}

// grantLocked is how much credit the loop should grant now (SPEC.md §4): 0 unless at least a quarter window can be.
func (r *receiver) grantLocked() int64 {
	room := r.window - (r.unread + r.unprocessed + r.credit)
	if room < r.window/4 || r.discard.Load() {
		return 0
	}
	return room
}

func (r *receiver) pushLocked(typ MessageType, data []byte) {
	r.msgs = append(r.msgs, message{typ: typ, data: data})
	r.unread += msgCost(len(data))
	r.messagesIn.Add(1)
	r.bytesIn.Add(uint64(len(data)))
	notify(r.readable)
}

// buffered returns what the receiver holds now and the most it ever held, in credit bytes (SocketStats.Buffered).
func (r *receiver) buffered() (now, peak int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.bufferedLocked(), r.peak
}

func (r *receiver) bufferedLocked() int64 { return r.unread + r.assembling + r.unprocessed }

func (r *receiver) notePeakLocked() {
	if b := r.bufferedLocked(); b > r.peak {
		r.peak = b
	}
}
