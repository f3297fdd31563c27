package node

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/smokenet/smoke/pkg/node/internal/frame"
)

// run is the socket's goroutine: it assembles messages from the frames Frame queued, grants credit, answers
// pings, keeps the socket alive, finishes the handshake (acceptor) and closes the link when the socket ends. Each
// turn it asks every part what is owed, does it, and sleeps until a part wakes it.
func (s *Socket) run() {
	var (
		pending [][]byte // data frames taken from the inbox, in order; pending[0] may wait for Reads (parked)
		asm     assembly
	)
	hsTimer := time.NewTimer(s.cfg.HandshakeTimeout)
	hsC := hsTimer.C
	defer func() {
		if r := recover(); r != nil {
			s.fail(0, fmt.Errorf("node: socket %v: internal error: %v", s.remote, r))
		}
		hsTimer.Stop()
		s.ka.stop()
		s.closeLink()
		s.cl.setClosing()
		s.rx.release()
		s.cancel()
		close(s.cl.loopDone)
		if s.cfg.OnClose != nil {
			func() {
				defer func() { recover() }() // the callback's bug must not take the process down
				s.cfg.OnClose(s)
			}()
		}
	}()

	for {
		pending = s.rx.takeInbox(pending)
		discard := s.rx.discarding()
		admit := s.hs.helloIn.Load() && !s.hs.rxOpen.Load() && !discard
		failPending, failCode, failReason := s.cl.takeFailure()

		if admit {
			s.admitPeer()
		}
		if failPending {
			s.sendFailure(failCode, failReason)
		}
		if discard {
			pending = s.rx.drop(pending)
			asm = assembly{}
		} else {
			pending = s.rx.process(pending, &asm)
		}
		switch {
		case isDone(s.cl.peerClosed):
			s.answerClose()
		case !s.tx.sealed.Load():
			s.sendControl()
		}

		if s.hs.rxOpen.Load() && hsC != nil {
			hsTimer.Stop()
			hsC = nil
		}
		if isDone(s.hs.open) {
			s.ka.start(s.cfg.KeepAlive)
		}
		if s.cl.linkDone() && (len(pending) == 0 || s.rx.discarding()) {
			return
		}

		select {
		case <-s.wake:
		case <-s.ctx.Done():
			s.rx.stop()
		case <-hsC:
			hsC = nil
			if !s.hs.rxOpen.Load() {
				s.fail(0, fmt.Errorf("node: socket %v: no handshake in %v: %w", s.remote, s.cfg.HandshakeTimeout, ErrTimeout))
				s.closeLink()
			}
		case <-s.ka.tick():
			s.keepaliveTick()
		}
	}
}

// sendControl sends what the loop owes the peer: a PONG and credit.
func (s *Socket) sendControl() {
	pong, data := s.ka.takePong()
	g := s.rx.grant(s.hs.rxOpen.Load())
	var buf [16]byte
	if pong {
		s.sendLoop(frame.AppendPing(buf[:0], frame.Pong, data))
	}
	if g > 0 {
		s.sendLoop(frame.AppendCredit(buf[:0], uint64(g)))
	}
}

// sendLoop sends a control frame from the loop; a failure other than closing fails the socket.
func (s *Socket) sendLoop(b []byte) bool { return s.sendCtl(b, false) }

func (s *Socket) sendCtl(b []byte, isClose bool) bool {
	ctx := s.ctx
	if isClose {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(s.ctx, s.cfg.CloseTimeout)
		defer cancel()
	}
	err := s.send(ctx, b, isClose)
	if err == nil {
		return true
	}
	if !errors.Is(err, errCloseSent) && s.ctx.Err() == nil && !isClose {
		s.failLink(err)
	}
	return false
}
