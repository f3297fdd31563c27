package node

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/smokenet/smoke/pkg/node/internal/frame"
)

// Addr is the address of one end of a socket: a node's address and a port. Its network is "smoke".
type Addr struct {
	Node string
	Port int
}

var _ net.Addr = Addr{}

// Network returns "smoke".
func (Addr) Network() string { return "smoke" }

func (a Addr) String() string { return net.JoinHostPort(a.Node, strconv.Itoa(a.Port)) }

// MessageType is the kind of a message: text or binary, as in WebSocket.
type MessageType int

// Message types.
const (
	MessageText   MessageType = 1
	MessageBinary MessageType = 2
)

func (t MessageType) String() string {
	switch t {
	case MessageText:
		return "text"
	case MessageBinary:
		return "binary"
	}
	return "MessageType(" + strconv.Itoa(int(t)) + ")"
}

// SocketStats are a socket's counters. Bytes count message payload.
type SocketStats struct {
	MessagesIn, MessagesOut uint64
	BytesIn, BytesOut       uint64
	// Buffered is what the socket holds for its reader now, in credit bytes: unread messages, the message being
	// assembled (its declared length) and frames not yet processed, each with 32 bytes of bookkeeping. It never
	// exceeds window + max message size + 32 (internal/frame/SPEC.md §4); BufferedPeak is its highest value.
	Buffered, BufferedPeak int64
}

// socketConfig are a socket's knobs. The zero value of each field means its default; a negative KeepAlive turns
// keepalive off.
type socketConfig struct {
	MaxMessageSize   int64         // largest message accepted; default 64 MiB
	Window           int64         // receive window: unread data the peer may send ahead; default 1 MiB
	MaxFrameSize     int           // largest frame accepted (and sent, if the peer accepts it); default 16 KiB
	KeepAlive        time.Duration // ping after this long without a frame; default 15 s
	HandshakeTimeout time.Duration // bound on HELLO / ACCEPT; default 15 s
	CloseTimeout     time.Duration // bound on each step of the close handshake; default 5 s

	// OnClose, if set, is called once when the socket has ended (its goroutine is done and its link closed), from
	// that goroutine. It must not block.
	OnClose func(*Socket)
}

const (
	defaultMaxMessageSize   = 64 << 20
	defaultWindow           = 1 << 20
	defaultKeepAlive        = 15 * time.Second
	defaultHandshakeTimeout = 15 * time.Second
	defaultCloseTimeout     = 5 * time.Second
)

// withDefaults returns a copy of c (nil allowed) with defaults filled in and values clamped to the protocol's range.
func (c *socketConfig) withDefaults() socketConfig {
	var d socketConfig
	if c != nil {
		d = *c
	}
	if d.MaxMessageSize <= 0 {
		d.MaxMessageSize = defaultMaxMessageSize
	}
	d.MaxMessageSize = min(d.MaxMessageSize, frame.MaxVarint)
	if d.Window <= 0 {
		d.Window = defaultWindow
	}
	d.Window = min(max(d.Window, frame.MinWindow), 1<<40)
	if d.MaxFrameSize <= 0 {
		d.MaxFrameSize = frame.DefaultMaxFrame
	}
	d.MaxFrameSize = min(max(d.MaxFrameSize, frame.MinMaxFrame), frame.MaxMaxFrame)
	if d.KeepAlive == 0 {
		d.KeepAlive = defaultKeepAlive
	}
	if d.HandshakeTimeout <= 0 {
		d.HandshakeTimeout = defaultHandshakeTimeout
	}
	if d.CloseTimeout <= 0 {
		d.CloseTimeout = defaultCloseTimeout
	}
	return d
}

func (c *socketConfig) params() frame.Params {
	return frame.Params{
		Version:    frame.Version,
		Window:     uint64(c.Window),
		MaxMessage: uint64(c.MaxMessageSize),
		MaxFrame:   uint64(c.MaxFrameSize),
	}
}

// Socket is a message-oriented connection between two nodes: text and binary messages, boundaries and order
// preserved, closed with a status code and a reason, like a WebSocket. Memory is bounded by credit-based flow
// control: a reader that stops reading stops the writer within one window. The wire protocol is
// internal/frame/SPEC.md.
//
// Read, Write, Close, CloseNow and Stats are safe for concurrent use. Concurrent Writes are serialised whole: messages
// never interleave. Read and Write take a context: cancelling it abandons that call without harming the socket (a
// message cancelled halfway is aborted, the peer never sees it).
//
// A socket must be closed with Close or CloseNow to release its goroutine, unless its peer closed it, or it failed,
// and everything it received was read.
type Socket struct {
	l             link
	local, remote Addr
	cfg           socketConfig

	// A socket is five parts, each with one job and its own state, in the file named for the job. A part's mutex
	// guards only that part's fields, and no code holds two parts' mutexes at once, so there is no lock order to
	// keep. Where one part's decision depends on another's state it reads a snapshot (an atomic, a closed channel,
	// a method that locks and returns); the orders that matter come from the link contract (Frame calls never
	// overlap) and from channels closed only after the state they announce is written.
	hs handshake // HELLO, then ACCEPT or REJECT: handshake.go
	tx sender    // messages out within the peer's credit, and the single writer to the link: write.go
	rx receiver  // frames in, messages assembled and queued for Read, credit granted back: read.go, assemble.go
	cl closer    // the close handshake, failures, and why the socket ended: close.go
	ka keepalive // PING and PONG, and the dead-peer timer: keepalive.go

	// ctx lives as long as the socket: cancelled when the loop goroutine (loop.go) ends. It bounds the loop's sends.
	ctx    context.Context
	cancel context.CancelFunc
	wake   chan struct{} // size 1: work for the loop
}

type message struct {
	typ  MessageType
	data []byte
}

func msgCost(n int) int64 { return frame.Cost + int64(n) }

func newSocket(l link, local, remote Addr, cfg *socketConfig, dialer bool, admit func(*Socket) error) *Socket {
	s := &Socket{l: l, local: local, remote: remote, cfg: cfg.withDefaults(), wake: make(chan struct{}, 1)}
	s.hs.init(dialer, admit)
	s.tx.init()
	s.rx.init(s.cfg.Window, s.cfg.MaxMessageSize)
	s.cl.init()
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s
}

// LocalAddr returns this end's address.
func (s *Socket) LocalAddr() net.Addr { return s.local }

// RemoteAddr returns the peer's address.
func (s *Socket) RemoteAddr() net.Addr { return s.remote }

// Stats returns the socket's counters.
func (s *Socket) Stats() SocketStats {
	st := SocketStats{
		MessagesIn: s.rx.messagesIn.Load(), MessagesOut: s.tx.messagesOut.Load(),
		BytesIn: s.rx.bytesIn.Load(), BytesOut: s.tx.bytesOut.Load(),
	}
	st.Buffered, st.BufferedPeak = s.rx.buffered()
	return st
}

// fail ends the socket with err (unless it already ended): the loop closes the link, after telling the peer why with
// a CLOSE (REJECT during the handshake) if code is not 0. It never blocks, so Frame may call it.
func (s *Socket) fail(code StatusCode, err error) {
	// Stop taking frames in before closing is closed, as one lock used to make it: whoever sees a failed socket
	// closing also sees it discard what arrives.
	s.rx.stop()
	s.cl.fail(code, err)
	notify(s.wake)
}

func (s *Socket) violation(code StatusCode, format string, args ...any) error {
	wrap := ErrProtocol
	if code == StatusMessageTooBig {
		wrap = ErrMessageTooLarge
	}
	return fmt.Errorf("node: socket %v: %s: %w", s.remote, fmt.Sprintf(format, args...), wrap)
}

// socketHandler is a socket's linkHandler. Frame validates a frame and hands it to the part whose job it is; it never
// blocks (it may run inside a browser event callback). Everything slow is the loop's.
type socketHandler struct{ s *Socket }

func (h socketHandler) Frame(b []byte) {
	s := h.s
	defer func() {
		if r := recover(); r != nil { // a bug, not the peer's doing: contain it to this socket
			s.fail(StatusInternalError, fmt.Errorf("node: socket %v: panic handling a frame: %v", s.remote, r))
		}
	}()
	f, decodeErr := frame.Decode(b)
	if s.cl.linkClosed.Load() {
		return
	}
	if s.rx.discarding() { // closing or failed: only the peer's CLOSE still matters
		if decodeErr == nil && f.Type == frame.Close && s.hs.rxOpen.Load() && s.cl.peerClose(nil) {
			notify(s.wake)
		}
		return
	}
	s.ka.framesIn.Add(1)
	if decodeErr != nil {
		s.fail(StatusProtocolError, s.violation(StatusProtocolError, "%v", decodeErr))
		return
	}
	if len(b) > s.cfg.MaxFrameSize {
		s.fail(StatusProtocolError, s.violation(StatusProtocolError, "%v frame of %d bytes is over the max-frame of %d", f.Type, len(b), s.cfg.MaxFrameSize))
		return
	}
	if !s.hs.rxOpen.Load() {
		s.handshakeFrame(&f)
		return
	}
	if isDone(s.cl.peerClosed) { // nothing may follow a CLOSE
		return
	}
	switch f.Type {
	case frame.Start, frame.Cont, frame.Abort:
		if s.tx.sealed.Load() {
			return // we are closing: what the peer sent before it saw our CLOSE is discarded
		}
		queued, code, why := s.rx.take(&f, b)
		if code != 0 {
			s.fail(code, s.violation(code, "%s", why))
			return
		}
		if queued {
			notify(s.wake)
		}
	case frame.Credit:
		if window, ok := s.tx.addCredit(f.Credit); !ok {
			s.fail(StatusProtocolError, s.violation(StatusProtocolError, "CREDIT of %d raises credit above the window of %d", f.Credit, window))
		}
	case frame.Close:
		s.rx.endMessage()
		s.cl.peerClose(CloseError{Code: StatusCode(f.Code), Reason: f.Reason})
		notify(s.wake)
	case frame.Ping:
		if !s.tx.sealed.Load() {
			s.ka.owePong(f.Data)
			notify(s.wake)
		}
	case frame.Pong:
		// Arriving at all is what keepalive needs.
	default: // HELLO, ACCEPT, REJECT after the handshake
		s.fail(StatusProtocolError, s.violation(StatusProtocolError, "%v after the handshake", f.Type))
	}
}

// Closed records that the link has closed: without a close handshake (and without Close or CloseNow) that is how the
// socket ended.
func (h socketHandler) Closed(err error) {
	s := h.s
	s.cl.linkGone(err, s.rx.inMessage(), s.remote)
	notify(s.wake)
}

func isDone(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
