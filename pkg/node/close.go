package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/smokenet/smoke/pkg/node/internal/frame"
)

// closer is the part of a socket that ends it: the close handshake (SPEC.md §6), failures, and the one error that
// says why the socket ended (first cause wins, as coder/websocket's closeErr and yamux's exitErr). Its channels are
// how every other part and every blocked call learns that the socket is ending, each closed once, after the state it
// announces is written.
type closer struct {
	closing    chan struct{} // closed when writes must stop: any close or failure
	localDone  chan struct{} // closed when the application called Close or CloseNow
	peerClosed chan struct{} // closed when the peer's CLOSE arrived
	loopDone   chan struct{} // closed when the loop goroutine has returned: no more messages will be queued

	written    atomic.Bool // our CLOSE has been handed to the link (or failed to be): the link may be closed
	linkClosed atomic.Bool // the link reported Closed (Frame looks first, for every frame)
	linkOnce   sync.Once

	mu              sync.Mutex
	err             error // why the socket ended, first cause wins; Read returns it after the last message
	localClosed     bool  // Close or CloseNow was called (localDone is closed)
	closingDone     bool  // closing is closed
	linkCloseCalled bool  // we closed the link
	failPending     bool  // the socket failed: the loop must send failCode (if not 0) and close the link
	failCode        StatusCode
	failReason      string
}

func (c *closer) init() {
	c.closing = make(chan struct{})
	c.localDone = make(chan struct{})
	c.peerClosed = make(chan struct{})
	c.loopDone = make(chan struct{})
}

func (c *closer) closingLocked() {
	if !c.closingDone {
		c.closingDone = true
		close(c.closing)
	}
}

func (c *closer) setClosing() {
	c.mu.Lock()
	c.closingLocked()
	c.mu.Unlock()
}

// closeLocal records Close or CloseNow; false if one was called already.
func (c *closer) closeLocal() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.localClosed {
		return false
	}
	c.localClosed = true
	close(c.localDone)
	c.closingLocked()
	return true
}

// fail records a failure: the loop owes the peer a CLOSE (REJECT during the handshake) with code, unless code is 0.
func (c *closer) fail(code StatusCode, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.err = err
		c.failPending, c.failCode = true, code
		if code != 0 {
			c.failReason = frame.Reason(err.Error())
		}
	}
	c.closingLocked()
}

// takeFailure hands the loop a failure it has not yet acted on.
func (c *closer) takeFailure() (pending bool, code StatusCode, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	pending, code, reason = c.failPending, c.failCode, c.failReason
	c.failPending = false
	return pending, code, reason
}

// peerClose records the peer's CLOSE and reports whether it is the first. A CloseError becomes the socket's error
// unless it ended already; nil (a CLOSE that arrives while we discard) only ends the handshake.
func (c *closer) peerClose(ce error) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if isDone(c.peerClosed) {
		return false
	}
	close(c.peerClosed)
	if ce != nil {
		if c.err == nil {
			c.err = ce
		}
		c.closingLocked()
	}
	return true
}

// linkGone records that the link closed; without a close handshake before, that is an abnormal closure.
func (c *closer) linkGone(err error, midMessage bool, remote Addr) {
	c.linkClosed.Store(true)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil && !c.localClosed {
		mid := ""
		if midMessage {
			mid = " in the middle of a message"
		}
		if err != nil {
			c.err = fmt.Errorf("node: socket %v: link lost%s: %w: %w", remote, mid, err, io.ErrUnexpectedEOF)
		} else {
			c.err = fmt.Errorf("node: socket %v: link closed%s without a close handshake: %w", remote, mid, io.ErrUnexpectedEOF)
		}
	}
	c.closingLocked()
}

// linkFailed records that sending on the link failed.
func (c *closer) linkFailed(err error, remote Addr) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil && !c.localClosed {
		c.err = fmt.Errorf("node: socket %v: link failed: %w", remote, err)
	}
	c.closingLocked()
}

// linkDone reports whether the link is closed or being closed: the loop ends once it has nothing left to deliver.
func (c *closer) linkDone() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.linkClosed.Load() || c.linkCloseCalled
}

func (c *closer) error() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Close closes the socket with a close handshake: it sends CLOSE with code and reason (reason is cut to 123 bytes),
// waits for the peer's CLOSE, then closes the link. Each step is bounded by the close timeout (5 s by default);
// a handshake that times out returns an error matching ErrTimeout. Close returns nil once the handshake is complete,
// also when the peer began it; the socket's error if it had failed before (a lost link, a protocol violation);
// net.ErrClosed if the socket was already closed by Close or CloseNow. Messages that arrive meanwhile are discarded,
// and a message being written is abandoned.
func (s *Socket) Close(code StatusCode, reason string) error {
	if code < 0 || code > 0xffff || !frame.ValidCode(uint16(code)) {
		return fmt.Errorf("node: close: status %d may not be sent", int(code))
	}
	s.rx.stop()
	if !s.cl.closeLocal() {
		<-s.cl.loopDone
		return net.ErrClosed
	}
	first := s.cl.error()
	var ce CloseError
	peerFirst := errors.As(first, &ce)
	// Claim the one CLOSE we may send; the loop may be claiming it to answer the peer's, or to fail the socket.
	sendClose := first == nil && s.hs.rxOpen.Load() && s.tx.sealed.CompareAndSwap(false, true)
	notify(s.wake)

	var err error
	if sendClose {
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.CloseTimeout)
		var buf [1 + 2 + frame.MaxReason]byte
		err = s.send(ctx, frame.AppendClose(buf[:0], uint16(code), reason), true)
		s.cl.written.Store(true)
		notify(s.wake)
		if err == nil {
			t := time.NewTimer(s.cfg.CloseTimeout)
			select {
			case <-s.cl.peerClosed:
			case <-s.cl.loopDone:
				err = s.closeWaitErr()
			case <-t.C:
				err = fmt.Errorf("node: close %v: no answer in %v: %w", s.remote, s.cfg.CloseTimeout, ErrTimeout)
			}
			t.Stop()
		} else if ctx.Err() != nil {
			err = fmt.Errorf("node: close %v: could not send CLOSE in %v: %w", s.remote, s.cfg.CloseTimeout, ErrTimeout)
		}
		cancel()
	} else if peerFirst {
		// The loop answers the peer's CLOSE, then closes the link; closing it here could cut the answer off.
		t := time.NewTimer(s.cfg.CloseTimeout)
		select {
		case <-s.cl.loopDone:
		case <-t.C:
		}
		t.Stop()
	} else {
		err = s.cl.error()
	}
	s.closeLink()
	s.cancel()
	<-s.cl.loopDone
	return err
}

// closeWaitErr is Close's result when the loop ended while Close waited for the peer's CLOSE.
func (s *Socket) closeWaitErr() error {
	if isDone(s.cl.peerClosed) {
		return nil
	}
	if err := s.cl.error(); err != nil {
		return err
	}
	return fmt.Errorf("node: close %v: link closed before the peer answered: %w", s.remote, io.ErrUnexpectedEOF)
}

// CloseNow closes the socket without a close handshake: the link is closed at once. The peer sees its link close
// (an abnormal closure). It returns net.ErrClosed if the socket was already closed by Close or CloseNow.
func (s *Socket) CloseNow() error {
	s.rx.stop()
	if !s.cl.closeLocal() {
		<-s.cl.loopDone
		return net.ErrClosed
	}
	s.closeLink()
	s.cancel()
	notify(s.wake)
	<-s.cl.loopDone
	return nil
}

// writeErr is what Write returns once the socket is closing.
func (s *Socket) writeErr() error {
	s.cl.mu.Lock()
	defer s.cl.mu.Unlock()
	if s.cl.localClosed || s.cl.err == nil {
		return net.ErrClosed
	}
	return s.cl.err
}

// closeLink closes the link once. It is never called from Frame: a datachannel calls Frame with its own lock held,
// and closing it takes that lock.
func (s *Socket) closeLink() {
	s.cl.linkOnce.Do(func() {
		s.cl.mu.Lock()
		s.cl.linkCloseCalled = true
		s.cl.mu.Unlock()
		s.l.Close()
	})
}

// failLink ends the socket because its link failed (a Send error that is not a context's).
func (s *Socket) failLink(err error) {
	s.rx.stop()
	s.cl.linkFailed(err, s.remote)
	s.closeLink()
	notify(s.wake)
}

// sendFailure tells the peer why we failed the socket (unless code is 0), then closes the link without waiting for
// an answer (from the loop).
func (s *Socket) sendFailure(code StatusCode, reason string) {
	rxOpen := s.hs.rxOpen.Load()
	var buf [1 + 2 + frame.MaxReason]byte
	switch {
	case code == 0:
	case rxOpen && s.tx.sealed.CompareAndSwap(false, true):
		s.sendCtl(frame.AppendClose(buf[:0], uint16(code), reason), true)
		s.cl.written.Store(true)
	case !rxOpen && !s.hs.dialer:
		s.sendCtl(frame.AppendReject(buf[:0], uint16(code), reason), true)
	}
	s.closeLink()
}

// answerClose answers the peer's CLOSE with the same code unless we sent one already, then closes the link: both
// CLOSEs have been seen (from the loop).
func (s *Socket) answerClose() {
	if s.tx.sealed.CompareAndSwap(false, true) {
		var code uint16 = uint16(StatusNormalClosure)
		var ce CloseError
		if errors.As(s.cl.error(), &ce) {
			code = uint16(ce.Code)
		}
		var buf [3]byte
		s.sendCtl(frame.AppendClose(buf[:0], code, ""), true)
		s.cl.written.Store(true)
	}
	if s.cl.written.Load() { // else Close is still sending ours; it closes the link when done
		s.closeLink()
	}
}
