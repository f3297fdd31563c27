package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"

	"github.com/smokenet/smoke/pkg/node/internal/frame"
)

// sender is the sending half of a socket: the credit the peer granted us (SPEC.md §4), the peer's limits, and the
// two locks that order what reaches the link. It is the yamux Stream's send window: Write takes credit here, the
// peer's CREDIT frames (handed over by Frame) give it back, and nothing on the receive side is touched.
type sender struct {
	writeLock chan struct{} // size 1: held by the Write sending a message, so messages never interleave
	sendLock  chan struct{} // size 1: held by whoever calls l.Send (Write, the loop, Close): one writer to the link
	sealed    atomic.Bool   // a CLOSE was sent or is being sent: nothing else may be (SPEC.md §6)
	creditCh  chan struct{} // size 1: credit grew

	abortPending bool // guarded by writeLock: the last message was cut short; send ABORT first

	mu     sync.Mutex
	credit int64        // what we may still send
	peer   frame.Params // the peer's HELLO or ACCEPT: its window and limits

	messagesOut, bytesOut atomic.Uint64
}

func (t *sender) init() {
	t.writeLock = make(chan struct{}, 1)
	t.sendLock = make(chan struct{}, 1)
	t.creditCh = make(chan struct{}, 1)
}

// setPeer records the peer's handshake parameters; its window is our first credit.
func (t *sender) setPeer(p frame.Params) {
	t.mu.Lock()
	t.peer, t.credit = p, int64(p.Window)
	t.mu.Unlock()
}

func (t *sender) limits() (maxMessage, maxFrame uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.peer.MaxMessage, t.peer.MaxFrame
}

// addCredit takes in a CREDIT frame's increment. It reports false, and the window it would break, when the peer
// grants more than it was charged (SPEC.md §4: a protocol error).
func (t *sender) addCredit(n uint64) (window uint64, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.credit+int64(n) > int64(t.peer.Window) || n > frame.MaxVarint {
		return t.peer.Window, false
	}
	t.credit += int64(n)
	notify(t.creditCh)
	return 0, true
}

// take takes up to want credit if at least need is there.
func (t *sender) take(need, want int64) (int64, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.credit < need {
		return 0, false
	}
	c := min(t.credit, want)
	t.credit -= c
	return c, true
}

func (t *sender) give(c int64) {
	t.mu.Lock()
	t.credit += c
	t.mu.Unlock()
}

// Write sends one message of type typ. It blocks until the whole message has been handed to the link, which needs
// credit from the peer: a peer that does not read makes Write wait. A message over the peer's size limit fails with
// ErrMessageTooLarge and sends nothing.
//
// If ctx is done before the message is fully sent, Write returns ctx.Err(): the peer never sees the message (a
// message cut short is aborted) and the socket remains usable. After the peer closed the socket Write returns a
// CloseError; after Close or CloseNow, net.ErrClosed.
func (s *Socket) Write(ctx context.Context, typ MessageType, p []byte) error {
	var kind frame.Kind
	switch typ {
	case MessageText:
		kind = frame.Text
	case MessageBinary:
		kind = frame.Binary
	default:
		return fmt.Errorf("node: write: invalid message type %v", typ)
	}
	if err := ctx.Err(); err != nil {
		// A select below picks at random among ready cases; a cancelled context must win before anything is sent.
		return err
	}
	select {
	case <-s.hs.open:
	default:
		select {
		case <-s.hs.open:
		case <-s.cl.closing:
			return s.writeErr()
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	peerMax, peerFrame := s.tx.limits()
	if uint64(len(p)) > peerMax {
		return fmt.Errorf("node: write of %d bytes to %v, whose limit is %d: %w", len(p), s.remote, peerMax, ErrMessageTooLarge)
	}
	select {
	case s.tx.writeLock <- struct{}{}:
	case <-s.cl.closing:
		return s.writeErr()
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.tx.writeLock }()

	maxFrame := min(int(peerFrame), s.cfg.MaxFrameSize)
	bp := getFrameBuf(maxFrame)
	defer putFrameBuf(bp)
	buf := *bp

	if s.tx.abortPending {
		if _, err := s.takeCredit(ctx, frame.Cost, frame.Cost); err != nil {
			return err
		}
		if err := s.send(ctx, frame.AppendAbort(buf[:0]), false); err != nil {
			s.refund(ctx, err, frame.Cost)
			return s.sendErr(err)
		}
		s.tx.abortPending = false
	}

	length := uint64(len(p))
	for off, first := 0, true; first || off < len(p); first = false {
		var b []byte
		var n int
		if first {
			room := maxFrame - frame.StartHeaderLen(length)
			need := int64(frame.Cost + min(1, len(p)))
			c, err := s.takeCredit(ctx, need, int64(frame.Cost+min(room, len(p))))
			if err != nil {
				return err
			}
			n = int(c) - frame.Cost
			b = frame.AppendStart(buf[:0], kind, length, p[:n])
		} else {
			c, err := s.takeCredit(ctx, frame.Cost+1, int64(frame.Cost+min(maxFrame-frame.ContHeader, len(p)-off)))
			if err != nil {
				s.tx.abortPending = true
				return err
			}
			n = int(c) - frame.Cost
			b = frame.AppendCont(buf[:0], p[off:off+n])
		}
		if err := s.send(ctx, b, false); err != nil {
			s.refund(ctx, err, int64(frame.Cost+n))
			if !first {
				s.tx.abortPending = true
			}
			return s.sendErr(err)
		}
		off += n
	}
	s.tx.messagesOut.Add(1)
	s.tx.bytesOut.Add(uint64(len(p)))
	return nil
}

// takeCredit waits until at least need credit is available, then takes up to want of it.
func (s *Socket) takeCredit(ctx context.Context, need, want int64) (int64, error) {
	for {
		if isDone(s.cl.closing) {
			return 0, s.writeErr()
		}
		if c, ok := s.tx.take(need, want); ok {
			return c, nil
		}
		select {
		case <-s.tx.creditCh:
		case <-s.cl.closing:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}

// refund gives back the credit of a frame that was not sent because ctx ended (the link contract: a Send that fails
// with ctx's error sent nothing).
func (s *Socket) refund(ctx context.Context, err error, c int64) {
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		s.tx.give(c)
	}
}

// sendErr turns an error of s.send into what Write returns.
func (s *Socket) sendErr(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if errors.Is(err, errCloseSent) {
		return s.writeErr()
	}
	s.failLink(err)
	return s.writeErr()
}

var errCloseSent = errors.New("node: CLOSE already sent")

// send hands one frame to the link. Only one goroutine calls l.Send at a time, and nothing is sent after a CLOSE
// (isClose marks the CLOSE itself).
func (s *Socket) send(ctx context.Context, b []byte, isClose bool) error {
	select {
	case s.tx.sendLock <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.ctx.Done():
		return net.ErrClosed
	}
	defer func() { <-s.tx.sendLock }()
	if !isClose && s.tx.sealed.Load() {
		return errCloseSent
	}
	return s.l.Send(ctx, b)
}

var frameBufPool = sync.Pool{New: func() any { b := make([]byte, frame.DefaultMaxFrame); return &b }}

func getFrameBuf(n int) *[]byte {
	if n <= frame.DefaultMaxFrame {
		return frameBufPool.Get().(*[]byte)
	}
	b := make([]byte, n)
	return &b
}

func putFrameBuf(b *[]byte) {
	if cap(*b) == frame.DefaultMaxFrame {
		frameBufPool.Put(b)
	}
}
