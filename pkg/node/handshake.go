package node

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/smokenet/smoke/pkg/node/internal/frame"
)

// handshake is the part of a socket that opens it (SPEC.md §2): the dialer sends HELLO and waits for ACCEPT or
// REJECT; the acceptor waits for HELLO, asks admit, and answers. Its state only ever moves forward, one flag at a
// time, so atomics and one channel are all it needs: no lock.
type handshake struct {
	dialer bool
	admit  func(*Socket) error // acceptor: decides on the dial once HELLO has arrived

	open    chan struct{} // closed when writes may start: handshake done (acceptor: ACCEPT sent)
	rxOpen  atomic.Bool   // data frames may arrive: handshake done on the receive side
	helloIn atomic.Bool   // acceptor: HELLO arrived (admit is called once, by the loop)
}

func (h *handshake) init(dialer bool, admit func(*Socket) error) {
	h.dialer, h.admit = dialer, admit
	h.open = make(chan struct{})
}

// dialSocket opens a socket over l, a link the caller just opened to remote: it sends HELLO and waits for the
// acceptor's ACCEPT or REJECT, bounded by ctx and cfg.HandshakeTimeout. A rejection is a *RejectError (matching
// ErrPortNotListening for StatusPortNotListening); a timeout matches ErrTimeout. On any error the link is closed.
func dialSocket(ctx context.Context, l link, local, remote Addr, cfg *socketConfig) (*Socket, error) {
	s := newSocket(l, local, remote, cfg, true, nil)
	l.Start(socketHandler{s})
	go s.run()
	var buf [32]byte
	if err := s.send(ctx, frame.AppendHello(buf[:0], frame.Hello, s.cfg.params()), false); err != nil {
		s.CloseNow()
		return nil, fmt.Errorf("node: dial %v: %w", remote, err)
	}
	select {
	case <-s.hs.open:
	case <-s.cl.closing:
	case <-ctx.Done():
	}
	if isDone(s.hs.open) { // accepted, even if the peer closed right after: the messages it sent are there to read
		return s, nil
	}
	err := ctx.Err()
	if e := s.cl.error(); e != nil {
		err = e
	}
	s.CloseNow()
	var re *RejectError
	if errors.As(err, &re) {
		return nil, err
	}
	return nil, fmt.Errorf("node: dial %v: %w", remote, err)
}

// acceptSocket accepts a dial that arrived on l, a link remote opened to a port of local: it waits for the dialer's
// HELLO (bounded by ctx and cfg.HandshakeTimeout), sends ACCEPT and returns the open socket. On error the link is
// closed. It blocks; from an event callback use admitSocket.
//
// Prefer admitSocket when the socket goes to a listener's queue: with it, a full backlog or a listener closed
// meanwhile becomes a REJECT (the dial fails with a clear error) instead of an accepted socket closed at once.
func acceptSocket(ctx context.Context, l link, local, remote Addr, cfg *socketConfig) (*Socket, error) {
	s := newSocket(l, local, remote, cfg, false, nil)
	l.Start(socketHandler{s})
	go s.run()
	select {
	case <-s.hs.open:
	case <-s.cl.closing:
	case <-ctx.Done():
	}
	if isDone(s.hs.open) {
		return s, nil
	}
	err := ctx.Err()
	if e := s.cl.error(); e != nil {
		err = e
	}
	s.CloseNow()
	return nil, fmt.Errorf("node: accept from %v: %w", remote, err)
}

// admitSocket answers a dial that arrived on l, a link remote opened to a port of local. It never blocks: the
// handshake runs on the socket's own goroutine, so it may be called from a datachannel's event callback.
//
// Once the dialer's HELLO has arrived (within cfg.HandshakeTimeout; otherwise the link is closed and admit is never
// called), admit is called once, from the socket's goroutine, with the new socket. admit must not block and must not
// call Close or CloseNow (it may hand the socket to a goroutine that does). To accept, admit keeps the socket (queues
// it where the listener's Accept will find it) and returns nil: ACCEPT is sent right after, and Write waits for that.
// To refuse, it returns an error: a *RejectError is sent as REJECT with its code and reason, any other error as
// StatusBusy with the error's text; the socket is then closed and must not be used.
//
// To refuse without waiting for HELLO (nothing listens on the port), use rejectSocket instead.
func admitSocket(l link, local, remote Addr, cfg *socketConfig, admit func(*Socket) error) {
	s := newSocket(l, local, remote, cfg, false, admit)
	l.Start(socketHandler{s})
	go s.run()
}

// rejectSocket refuses a dial that arrived on l: it sends REJECT with code and reason (for example
// StatusPortNotListening, "port 7000 is not listening"), then closes l. It never blocks.
func rejectSocket(l link, code StatusCode, reason string) {
	if !frame.ValidCode(uint16(code)) || code < 0 || code > 0xffff {
		code = StatusBusy
	}
	l.Start(discardHandler{})
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), defaultCloseTimeout)
		defer cancel()
		l.Send(ctx, frame.AppendReject(nil, uint16(code), reason))
		l.Close()
	}()
}

type discardHandler struct{}

func (discardHandler) Frame([]byte) {}
func (discardHandler) Closed(error) {}

// handshakeFrame handles a frame that arrives before the handshake is done on the receive side (from Frame).
func (s *Socket) handshakeFrame(f *frame.Frame) {
	h := &s.hs
	switch {
	case !h.dialer && f.Type == frame.Hello && !h.helloIn.Load():
		p := f.Params
		p.Version = min(f.Params.Version, frame.Version)
		s.tx.setPeer(p)
		h.helloIn.Store(true)
		notify(s.wake)
	case h.dialer && f.Type == frame.Accept:
		if f.Params.Version != frame.Version {
			s.fail(0, s.violation(StatusProtocolError, "acceptor chose protocol version %d", f.Params.Version))
			return
		}
		s.tx.setPeer(f.Params) // before open is closed: Write reads the peer's limits once open
		h.rxOpen.Store(true)
		close(h.open)
		notify(s.wake) // the loop starts keepalive
	case h.dialer && f.Type == frame.Reject:
		s.fail(0, &RejectError{Code: StatusCode(f.Code), Reason: f.Reason})
	case h.helloIn.Load():
		// The dialer sends nothing after HELLO until our ACCEPT.
		s.fail(StatusProtocolError, s.violation(StatusProtocolError, "%v before the handshake completed", f.Type))
	default:
		want := "HELLO"
		if h.dialer {
			want = "ACCEPT or REJECT"
		}
		s.fail(StatusProtocolError, s.violation(StatusProtocolError, "first frame is %v, want %s", f.Type, want))
	}
}

// admitPeer calls admit after the dialer's HELLO, and answers ACCEPT or REJECT (from the loop).
func (s *Socket) admitPeer() {
	err := s.callAdmit()
	if err != nil {
		re, ok := err.(*RejectError)
		if !ok {
			re = &RejectError{Code: StatusBusy, Reason: err.Error()}
		}
		code := re.Code
		if code < 0 || code > 0xffff || !frame.ValidCode(uint16(code)) {
			code = StatusBusy
		}
		s.fail(0, re)
		var buf [1 + 2 + frame.MaxReason]byte
		s.sendLoop(frame.AppendReject(buf[:0], uint16(code), re.Reason))
		s.closeLink()
		return
	}
	s.hs.rxOpen.Store(true) // before ACCEPT leaves: the dialer's data may follow it at once
	var buf [32]byte
	if s.sendLoop(frame.AppendHello(buf[:0], frame.Accept, s.cfg.params())) {
		close(s.hs.open) // the loop admits once: rxOpen is set now
	}
}

func (s *Socket) callAdmit() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &RejectError{Code: StatusInternalError, Reason: "internal error"}
		}
	}()
	if s.hs.admit == nil {
		return nil
	}
	return s.hs.admit(s)
}
