package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
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
	dialer        bool
	admit         func(*Socket) error // acceptor: decides on the dial once HELLO has arrived

	// ctx lives as long as the socket: cancelled when the loop goroutine ends. It bounds the loop's sends.
	ctx    context.Context
	cancel context.CancelFunc

	open       chan struct{} // closed when writes may start: handshake done (acceptor: ACCEPT sent)
	closing    chan struct{} // closed when writes must stop: any close or failure
	localDone  chan struct{} // closed when the application called Close or CloseNow
	peerClosed chan struct{} // closed when the peer's CLOSE arrived
	loopDone   chan struct{} // closed when the loop goroutine has returned: no more messages will be queued
	wake       chan struct{} // size 1: work for the loop
	readable   chan struct{} // size 1: a message was queued
	creditCh   chan struct{} // size 1: send credit grew
	writeLock  chan struct{} // size 1: held by the Write sending a message
	sendLock   chan struct{} // size 1: held by whoever calls l.Send

	closeSent    atomic.Bool // a CLOSE was sent or is being sent: nothing else may be
	closeWritten atomic.Bool // that CLOSE has been handed to the link (or failed to be)
	abortPending bool        // guarded by writeLock: the last message was cut short; send ABORT first
	pingSeq      uint64      // loop only

	mu sync.Mutex
	// Handshake.
	rxOpen   bool         // data frames may arrive: handshake done on the receive side
	peer     frame.Params // the peer's HELLO or ACCEPT
	helloIn  bool         // acceptor: HELLO arrived, admit not yet called
	openDone bool         // open was closed
	// The peer's message stream, as Frame has validated it.
	rxInMsg     bool
	rxRemaining uint64
	// Credit accounting of what we receive (SPEC.md §4), in credit bytes.
	recvCredit  int64    // outstanding: what the peer may still send
	unprocessed int64    // charged frames in inbox or the loop's pending list
	unread      int64    // complete messages in msgs
	assembling  int64    // the message being assembled (32 + declared length), 0 if none
	parked      bool     // the loop waits for Reads before it processes a START
	peak        int64    // highest unread + assembling + unprocessed
	inbox       [][]byte // validated data frames for the loop
	msgs        []message
	msgHead     int
	sendCredit  int64 // what we may still send
	// Control.
	framesIn    uint64 // every frame that arrived, for keepalive
	pongOwed    bool
	pongData    [frame.PingLen]byte
	failPending bool       // the socket failed: the loop must send failCode (if not 0) and close the link
	failCode    StatusCode // the CLOSE (REJECT during the handshake) that tells the peer why
	failReason  string
	// Closing.
	err             error // why the socket ended, first cause wins; Read returns it after the last message
	localClosed     bool  // Close or CloseNow was called
	discard         bool  // drop what arrives: the application closed, or the socket failed
	closingDone     bool  // closing was closed
	linkClosed      bool  // the link reported Closed
	linkCloseCalled bool

	linkCloseOnce sync.Once

	messagesIn, messagesOut, bytesIn, bytesOut atomic.Uint64
}

type message struct {
	typ  MessageType
	data []byte
}

func msgCost(n int) int64 { return frame.Cost + int64(n) }

func newSocket(l link, local, remote Addr, cfg *socketConfig, dialer bool, admit func(*Socket) error) *Socket {
	s := &Socket{
		l: l, local: local, remote: remote, cfg: cfg.withDefaults(), dialer: dialer, admit: admit,
		open:       make(chan struct{}),
		closing:    make(chan struct{}),
		localDone:  make(chan struct{}),
		peerClosed: make(chan struct{}),
		loopDone:   make(chan struct{}),
		wake:       make(chan struct{}, 1),
		readable:   make(chan struct{}, 1),
		creditCh:   make(chan struct{}, 1),
		writeLock:  make(chan struct{}, 1),
		sendLock:   make(chan struct{}, 1),
	}
	s.recvCredit = s.cfg.Window
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s
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
	case <-s.open:
	case <-s.closing:
	case <-ctx.Done():
	}
	if isDone(s.open) { // accepted, even if the peer closed right after: the messages it sent are there to read
		return s, nil
	}
	err := ctx.Err()
	s.mu.Lock()
	if s.err != nil {
		err = s.err
	}
	s.mu.Unlock()
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
	case <-s.open:
	case <-s.closing:
	case <-ctx.Done():
	}
	if isDone(s.open) {
		return s, nil
	}
	err := ctx.Err()
	s.mu.Lock()
	if s.err != nil {
		err = s.err
	}
	s.mu.Unlock()
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

// LocalAddr returns this end's address.
func (s *Socket) LocalAddr() net.Addr { return s.local }

// RemoteAddr returns the peer's address.
func (s *Socket) RemoteAddr() net.Addr { return s.remote }

// Stats returns the socket's counters.
func (s *Socket) Stats() SocketStats {
	st := SocketStats{
		MessagesIn: s.messagesIn.Load(), MessagesOut: s.messagesOut.Load(),
		BytesIn: s.bytesIn.Load(), BytesOut: s.bytesOut.Load(),
	}
	s.mu.Lock()
	st.Buffered, st.BufferedPeak = s.bufferedLocked(), s.peak
	s.mu.Unlock()
	return st
}

func (s *Socket) bufferedLocked() int64 { return s.unread + s.assembling + s.unprocessed }

// Read returns the next message. After the peer closed the socket, Read returns the messages that arrived before
// its CLOSE, then a CloseError. After the socket failed (protocol violation, keepalive timeout, lost link), it
// returns the complete messages that arrived, then the error. After Close or CloseNow it returns net.ErrClosed.
// Cancelling ctx makes Read return ctx.Err() and loses nothing.
//
// The returned slice is the caller's.
func (s *Socket) Read(ctx context.Context) (MessageType, []byte, error) {
	for {
		s.mu.Lock()
		if s.localClosed {
			s.mu.Unlock()
			return 0, nil, net.ErrClosed
		}
		if s.msgHead < len(s.msgs) {
			m := s.msgs[s.msgHead]
			s.msgs[s.msgHead] = message{}
			s.msgHead++
			if s.msgHead == len(s.msgs) {
				s.msgs, s.msgHead = s.msgs[:0], 0
			} else if s.msgHead >= 64 && s.msgHead*2 >= len(s.msgs) {
				n := copy(s.msgs, s.msgs[s.msgHead:])
				clear(s.msgs[n:])
				s.msgs, s.msgHead = s.msgs[:n], 0
			}
			s.unread -= msgCost(len(m.data))
			wakeLoop := s.parked || s.grantLocked() > 0
			more := s.msgHead < len(s.msgs)
			s.mu.Unlock()
			if wakeLoop {
				notify(s.wake)
			}
			if more {
				notify(s.readable) // for a concurrent Read
			}
			return m.typ, m.data, nil
		}
		s.mu.Unlock()
		select {
		case <-s.readable:
		case <-s.localDone:
		case <-s.loopDone:
			s.mu.Lock()
			empty := s.msgHead == len(s.msgs)
			err := s.err
			s.mu.Unlock()
			if empty {
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
	case <-s.open:
	default:
		select {
		case <-s.open:
		case <-s.closing:
			return s.writeErr()
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.mu.Lock()
	peerMax, peerFrame := s.peer.MaxMessage, s.peer.MaxFrame
	s.mu.Unlock()
	if uint64(len(p)) > peerMax {
		return fmt.Errorf("node: write of %d bytes to %v, whose limit is %d: %w", len(p), s.remote, peerMax, ErrMessageTooLarge)
	}
	select {
	case s.writeLock <- struct{}{}:
	case <-s.closing:
		return s.writeErr()
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.writeLock }()

	maxFrame := min(int(peerFrame), s.cfg.MaxFrameSize)
	bp := getFrameBuf(maxFrame)
	defer putFrameBuf(bp)
	buf := *bp

	if s.abortPending {
		if _, err := s.takeCredit(ctx, frame.Cost, frame.Cost); err != nil {
			return err
		}
		if err := s.send(ctx, frame.AppendAbort(buf[:0]), false); err != nil {
			s.refund(ctx, err, frame.Cost)
			return s.sendErr(err)
		}
		s.abortPending = false
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
				s.abortPending = true
				return err
			}
			n = int(c) - frame.Cost
			b = frame.AppendCont(buf[:0], p[off:off+n])
		}
		if err := s.send(ctx, b, false); err != nil {
			s.refund(ctx, err, int64(frame.Cost+n))
			if !first {
				s.abortPending = true
			}
			return s.sendErr(err)
		}
		off += n
	}
	s.messagesOut.Add(1)
	s.bytesOut.Add(uint64(len(p)))
	return nil
}

// takeCredit waits until at least need credit is available, then takes up to want of it.
func (s *Socket) takeCredit(ctx context.Context, need, want int64) (int64, error) {
	for {
		s.mu.Lock()
		if s.closingDone {
			s.mu.Unlock()
			return 0, s.writeErr()
		}
		if s.sendCredit >= need {
			c := min(s.sendCredit, want)
			s.sendCredit -= c
			s.mu.Unlock()
			return c, nil
		}
		s.mu.Unlock()
		select {
		case <-s.creditCh:
		case <-s.closing:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}

// refund gives back the credit of a frame that was not sent because ctx ended (the link contract: a Send that fails
// with ctx's error sent nothing).
func (s *Socket) refund(ctx context.Context, err error, c int64) {
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		s.mu.Lock()
		s.sendCredit += c
		s.mu.Unlock()
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

func (s *Socket) writeErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.localClosed || s.err == nil {
		return net.ErrClosed
	}
	return s.err
}

var errCloseSent = errors.New("node: CLOSE already sent")

// send hands one frame to the link. Only one goroutine calls l.Send at a time, and nothing is sent after a CLOSE
// (isClose marks the CLOSE itself).
func (s *Socket) send(ctx context.Context, b []byte, isClose bool) error {
	select {
	case s.sendLock <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.ctx.Done():
		return net.ErrClosed
	}
	defer func() { <-s.sendLock }()
	if !isClose && s.closeSent.Load() {
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
	s.mu.Lock()
	if s.localClosed {
		s.mu.Unlock()
		<-s.loopDone
		return net.ErrClosed
	}
	s.closeLocalLocked()
	var ce CloseError
	peerFirst := errors.As(s.err, &ce)
	sendClose := s.err == nil && s.rxOpen && !s.closeSent.Load()
	if sendClose {
		s.closeSent.Store(true)
	}
	s.mu.Unlock()
	notify(s.wake)

	var err error
	if sendClose {
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.CloseTimeout)
		var buf [1 + 2 + frame.MaxReason]byte
		err = s.send(ctx, frame.AppendClose(buf[:0], uint16(code), reason), true)
		s.closeWritten.Store(true)
		notify(s.wake)
		if err == nil {
			t := time.NewTimer(s.cfg.CloseTimeout)
			select {
			case <-s.peerClosed:
			case <-s.loopDone:
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
		case <-s.loopDone:
		case <-t.C:
		}
		t.Stop()
	} else {
		s.mu.Lock()
		err = s.err
		s.mu.Unlock()
	}
	s.closeLink()
	s.cancel()
	<-s.loopDone
	return err
}

// closeWaitErr is Close's result when the loop ended while Close waited for the peer's CLOSE.
func (s *Socket) closeWaitErr() error {
	if isDone(s.peerClosed) {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	return fmt.Errorf("node: close %v: link closed before the peer answered: %w", s.remote, io.ErrUnexpectedEOF)
}

// CloseNow closes the socket without a close handshake: the link is closed at once. The peer sees its link close
// (an abnormal closure). It returns net.ErrClosed if the socket was already closed by Close or CloseNow.
func (s *Socket) CloseNow() error {
	s.mu.Lock()
	if s.localClosed {
		s.mu.Unlock()
		<-s.loopDone
		return net.ErrClosed
	}
	s.closeLocalLocked()
	s.mu.Unlock()
	s.closeLink()
	s.cancel()
	notify(s.wake)
	<-s.loopDone
	return nil
}

func (s *Socket) closeLocalLocked() {
	s.localClosed, s.discard = true, true
	close(s.localDone)
	s.closingLocked()
}

func (s *Socket) closingLocked() {
	if !s.closingDone {
		s.closingDone = true
		close(s.closing)
	}
}

func (s *Socket) closeLink() {
	s.linkCloseOnce.Do(func() {
		s.mu.Lock()
		s.linkCloseCalled = true
		s.mu.Unlock()
		s.l.Close()
	})
}

// failLocked ends the socket with err (unless it already ended): the loop closes the link, after telling the peer
// why with a CLOSE (REJECT during the handshake) if code is not 0.
func (s *Socket) failLocked(code StatusCode, err error) {
	if s.err == nil {
		s.err = err
		s.failPending, s.failCode = true, code
		if code != 0 {
			s.failReason = frame.Reason(err.Error())
		}
	}
	s.discard = true
	s.closingLocked()
	notify(s.wake)
}

// failLink ends the socket because its link failed (a Send error that is not a context's).
func (s *Socket) failLink(err error) {
	s.mu.Lock()
	if s.err == nil && !s.localClosed {
		s.err = fmt.Errorf("node: socket %v: link failed: %w", s.remote, err)
	}
	s.discard = true
	s.closingLocked()
	s.mu.Unlock()
	s.closeLink()
	notify(s.wake)
}

func (s *Socket) violation(code StatusCode, format string, args ...any) error {
	wrap := ErrProtocol
	if code == StatusMessageTooBig {
		wrap = ErrMessageTooLarge
	}
	return fmt.Errorf("node: socket %v: %s: %w", s.remote, fmt.Sprintf(format, args...), wrap)
}

// grantLocked is how much credit the loop should grant now (SPEC.md §4): 0 unless at least a quarter window can be.
func (s *Socket) grantLocked() int64 {
	room := s.cfg.Window - (s.unread + s.unprocessed + s.recvCredit)
	if room < s.cfg.Window/4 || s.discard {
		return 0
	}
	return room
}

func (s *Socket) notePeakLocked() {
	if b := s.bufferedLocked(); b > s.peak {
		s.peak = b
	}
}

// socketHandler is a socket's linkHandler. Frame validates a frame and queues it, or handles a control frame on the
// spot; it never blocks (it may run inside a browser event callback). Everything slow is the loop's.
type socketHandler struct{ s *Socket }

func (h socketHandler) Frame(b []byte) {
	s := h.s
	defer func() {
		if r := recover(); r != nil { // a bug, not the peer's doing: contain it to this socket
			s.mu.Lock()
			s.failLocked(StatusInternalError, fmt.Errorf("node: socket %v: panic handling a frame: %v", s.remote, r))
			s.mu.Unlock()
		}
	}()
	f, decodeErr := frame.Decode(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.linkClosed {
		return
	}
	if s.discard { // closing or failed: only the peer's CLOSE still matters
		if decodeErr == nil && f.Type == frame.Close && s.rxOpen && !isDone(s.peerClosed) {
			close(s.peerClosed)
			notify(s.wake)
		}
		return
	}
	s.framesIn++
	if decodeErr != nil {
		s.failLocked(StatusProtocolError, s.violation(StatusProtocolError, "%v", decodeErr))
		return
	}
	if len(b) > s.cfg.MaxFrameSize {
		s.failLocked(StatusProtocolError, s.violation(StatusProtocolError, "%v frame of %d bytes is over the max-frame of %d", f.Type, len(b), s.cfg.MaxFrameSize))
		return
	}
	if !s.rxOpen {
		s.handshakeFrameLocked(&f)
		return
	}
	if isDone(s.peerClosed) { // nothing may follow a CLOSE
		return
	}
	switch f.Type {
	case frame.Start, frame.Cont, frame.Abort:
		if s.closeSent.Load() {
			return // we are closing: what the peer sent before it saw our CLOSE is discarded
		}
		switch {
		case f.Type == frame.Start && s.rxInMsg:
			s.failLocked(StatusProtocolError, s.violation(StatusProtocolError, "START while a message is in progress"))
			return
		case f.Type != frame.Start && !s.rxInMsg:
			s.failLocked(StatusProtocolError, s.violation(StatusProtocolError, "%v without a message in progress", f.Type))
			return
		case f.Type == frame.Start && f.Length > uint64(s.cfg.MaxMessageSize):
			s.failLocked(StatusMessageTooBig, s.violation(StatusMessageTooBig, "message of %d bytes is over the limit of %d", f.Length, s.cfg.MaxMessageSize))
			return
		case f.Type == frame.Cont && uint64(len(f.Payload)) > s.rxRemaining:
			s.failLocked(StatusProtocolError, s.violation(StatusProtocolError, "CONT of %d bytes overruns the message by %d", len(f.Payload), uint64(len(f.Payload))-s.rxRemaining))
			return
		}
		cost := int64(f.Cost())
		if cost > s.recvCredit {
			s.failLocked(StatusPolicyViolation, s.violation(StatusPolicyViolation, "flood: a %v frame costing %d exceeds the %d credit granted", f.Type, cost, s.recvCredit))
			return
		}
		switch f.Type {
		case frame.Start:
			s.rxRemaining = f.Length - uint64(len(f.Payload))
			s.rxInMsg = s.rxRemaining > 0
		case frame.Cont:
			s.rxRemaining -= uint64(len(f.Payload))
			s.rxInMsg = s.rxRemaining > 0
		case frame.Abort:
			s.rxInMsg, s.rxRemaining = false, 0
		}
		s.recvCredit -= cost
		if f.Type == frame.Start && !s.rxInMsg && s.unprocessed == 0 {
			// A whole message, and nothing before it waits for the loop: it goes to the readers from here, as the
			// loop would have put it (process), which saves a goroutine hand-off per message.
			typ := MessageBinary
			if f.Kind == frame.Text {
				typ = MessageText
			}
			s.pushLocked(typ, f.Payload)
			s.notePeakLocked()
			return
		}
		s.unprocessed += cost
		s.notePeakLocked()
		s.inbox = append(s.inbox, b)
		notify(s.wake)
	case frame.Credit:
		if s.sendCredit+int64(f.Credit) > int64(s.peer.Window) || f.Credit > frame.MaxVarint {
			s.failLocked(StatusProtocolError, s.violation(StatusProtocolError, "CREDIT of %d raises credit above the window of %d", f.Credit, s.peer.Window))
			return
		}
		s.sendCredit += int64(f.Credit)
		notify(s.creditCh)
	case frame.Close:
		s.rxInMsg = false
		if s.err == nil {
			s.err = CloseError{Code: StatusCode(f.Code), Reason: f.Reason}
		}
		close(s.peerClosed)
		s.closingLocked()
		notify(s.wake)
	case frame.Ping:
		if !s.closeSent.Load() {
			s.pongOwed, s.pongData = true, f.Data
			notify(s.wake)
		}
	case frame.Pong:
		// Arriving at all is what keepalive needs.
	default: // HELLO, ACCEPT, REJECT after the handshake
		s.failLocked(StatusProtocolError, s.violation(StatusProtocolError, "%v after the handshake", f.Type))
	}
}

// handshakeFrameLocked handles the first frame from the peer.
func (s *Socket) handshakeFrameLocked(f *frame.Frame) {
	switch {
	case !s.dialer && f.Type == frame.Hello && !s.helloIn:
		s.peer = f.Params
		s.peer.Version = min(f.Params.Version, frame.Version)
		s.sendCredit = int64(f.Params.Window)
		s.helloIn = true
		notify(s.wake)
	case s.dialer && f.Type == frame.Accept:
		if f.Params.Version != frame.Version {
			s.failLocked(0, s.violation(StatusProtocolError, "acceptor chose protocol version %d", f.Params.Version))
			return
		}
		s.peer = f.Params
		s.sendCredit = int64(f.Params.Window)
		s.rxOpen, s.openDone = true, true
		close(s.open)
		notify(s.wake) // the loop starts keepalive
	case s.dialer && f.Type == frame.Reject:
		s.failLocked(0, &RejectError{Code: StatusCode(f.Code), Reason: f.Reason})
	case s.helloIn:
		// The dialer sends nothing after HELLO until our ACCEPT.
		s.failLocked(StatusProtocolError, s.violation(StatusProtocolError, "%v before the handshake completed", f.Type))
	default:
		want := "HELLO"
		if s.dialer {
			want = "ACCEPT or REJECT"
		}
		s.failLocked(StatusProtocolError, s.violation(StatusProtocolError, "first frame is %v, want %s", f.Type, want))
	}
}

func (h socketHandler) Closed(err error) {
	s := h.s
	s.mu.Lock()
	s.linkClosed = true
	if s.err == nil && !s.localClosed {
		mid := ""
		if s.rxInMsg {
			mid = " in the middle of a message"
		}
		if err != nil {
			s.err = fmt.Errorf("node: socket %v: link lost%s: %w: %w", s.remote, mid, err, io.ErrUnexpectedEOF)
		} else {
			s.err = fmt.Errorf("node: socket %v: link closed%s without a close handshake: %w", s.remote, mid, io.ErrUnexpectedEOF)
		}
	}
	s.closingLocked()
	s.mu.Unlock()
	notify(s.wake)
}

// run is the socket's goroutine: it assembles messages from the frames Frame queued, grants credit, answers
// pings, keeps the socket alive, finishes the handshake (acceptor) and closes the link when the socket ends.
func (s *Socket) run() {
	var (
		pending    [][]byte // data frames taken from the inbox, in order; pending[0] may wait for Reads (parked)
		asm        assembly
		keepalive  *time.Ticker
		tick       <-chan time.Time
		lastFrames uint64
		idleTicks  int
	)
	hsTimer := time.NewTimer(s.cfg.HandshakeTimeout)
	hsC := hsTimer.C
	defer func() {
		if r := recover(); r != nil {
			s.mu.Lock()
			s.failLocked(0, fmt.Errorf("node: socket %v: internal error: %v", s.remote, r))
			s.mu.Unlock()
		}
		hsTimer.Stop()
		if keepalive != nil {
			keepalive.Stop()
		}
		s.closeLink()
		s.mu.Lock()
		s.closingLocked()
		s.unprocessed, s.assembling = 0, 0
		s.inbox = nil
		s.mu.Unlock()
		s.cancel()
		close(s.loopDone)
		if s.cfg.OnClose != nil {
			func() {
				defer func() { recover() }() // the callback's bug must not take the process down
				s.cfg.OnClose(s)
			}()
		}
	}()

	for {
		s.mu.Lock()
		if len(pending) == 0 {
			pending, s.inbox = s.inbox, pending[:0]
		} else {
			pending = append(pending, s.inbox...)
			clear(s.inbox)
			s.inbox = s.inbox[:0]
		}
		admit := s.helloIn && !s.rxOpen && !s.discard
		failPending, failCode, failReason := s.failPending, s.failCode, s.failReason
		s.failPending = false
		discard := s.discard
		s.mu.Unlock()

		if admit {
			s.admitPeer()
		}
		if failPending {
			s.sendFailure(failCode, failReason)
		}
		if discard {
			pending = s.drop(pending)
			asm = assembly{}
		} else {
			pending = s.process(pending, &asm)
		}
		switch {
		case isDone(s.peerClosed):
			s.answerClose()
		case !s.closeSent.Load():
			s.sendControl()
		}

		s.mu.Lock()
		if s.rxOpen && hsC != nil {
			hsTimer.Stop()
			hsC = nil
		}
		if s.openDone && keepalive == nil && s.cfg.KeepAlive > 0 {
			keepalive = time.NewTicker(s.cfg.KeepAlive)
			tick = keepalive.C
		}
		ended := (s.linkClosed || s.linkCloseCalled) && (len(pending) == 0 || s.discard)
		s.mu.Unlock()
		if ended {
			return
		}

		select {
		case <-s.wake:
		case <-s.ctx.Done():
			s.mu.Lock()
			s.discard = true
			s.mu.Unlock()
		case <-hsC:
			hsC = nil
			s.mu.Lock()
			if !s.rxOpen {
				s.failLocked(0, fmt.Errorf("node: socket %v: no handshake in %v: %w", s.remote, s.cfg.HandshakeTimeout, ErrTimeout))
				s.mu.Unlock()
				s.closeLink()
			} else {
				s.mu.Unlock()
			}
		case <-tick:
			s.mu.Lock()
			n := s.framesIn
			s.mu.Unlock()
			if n != lastFrames {
				lastFrames, idleTicks = n, 0
				break
			}
			idleTicks++
			switch {
			case idleTicks == 1:
				s.pingSeq++
				var data [frame.PingLen]byte
				for i := range data {
					data[i] = byte(s.pingSeq >> (8 * i))
				}
				var buf [1 + frame.PingLen]byte
				s.sendLoop(frame.AppendPing(buf[:0], frame.Ping, data))
			case idleTicks > 3:
				s.mu.Lock()
				s.failLocked(0, fmt.Errorf("node: socket %v: peer not responding for %v: %w", s.remote, 3*s.cfg.KeepAlive, ErrTimeout))
				s.mu.Unlock()
				s.closeLink()
			}
		}
	}
}

// admitPeer calls admit after the dialer's HELLO, and answers ACCEPT or REJECT.
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
		s.mu.Lock()
		s.failLocked(0, re)
		s.mu.Unlock()
		var buf [1 + 2 + frame.MaxReason]byte
		s.sendLoop(frame.AppendReject(buf[:0], uint16(code), re.Reason))
		s.closeLink()
		return
	}
	s.mu.Lock()
	s.rxOpen = true // before ACCEPT leaves: the dialer's data may follow it at once
	s.mu.Unlock()
	var buf [32]byte
	if s.sendLoop(frame.AppendHello(buf[:0], frame.Accept, s.cfg.params())) {
		s.mu.Lock()
		s.openDone = true
		close(s.open)
		s.mu.Unlock()
	}
}

func (s *Socket) callAdmit() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &RejectError{Code: StatusInternalError, Reason: "internal error"}
		}
	}()
	if s.admit == nil {
		return nil
	}
	return s.admit(s)
}

// sendFailure tells the peer why we failed the socket (unless code is 0), then closes the link without waiting for
// an answer.
func (s *Socket) sendFailure(code StatusCode, reason string) {
	s.mu.Lock()
	rxOpen := s.rxOpen
	s.mu.Unlock()
	var buf [1 + 2 + frame.MaxReason]byte
	switch {
	case code == 0:
	case rxOpen && s.closeSent.CompareAndSwap(false, true):
		s.sendCtl(frame.AppendClose(buf[:0], uint16(code), reason), true)
		s.closeWritten.Store(true)
	case !rxOpen && !s.dialer:
		s.sendCtl(frame.AppendReject(buf[:0], uint16(code), reason), true)
	}
	s.closeLink()
}

// answerClose answers the peer's CLOSE with the same code unless we sent one already, then closes the link: both
// CLOSEs have been seen.
func (s *Socket) answerClose() {
	if s.closeSent.CompareAndSwap(false, true) {
		s.mu.Lock()
		var code uint16 = uint16(StatusNormalClosure)
		var ce CloseError
		if errors.As(s.err, &ce) {
			code = uint16(ce.Code)
		}
		s.mu.Unlock()
		var buf [3]byte
		s.sendCtl(frame.AppendClose(buf[:0], code, ""), true)
		s.closeWritten.Store(true)
	}
	if s.closeWritten.Load() { // else Close is still sending ours; it closes the link when done
		s.closeLink()
	}
}

// sendControl sends what the loop owes the peer: a PONG and credit.
func (s *Socket) sendControl() {
	s.mu.Lock()
	pong, data := s.pongOwed, s.pongData
	s.pongOwed = false
	g := s.grantLocked()
	if g > 0 && !s.rxOpen {
		g = 0
	}
	s.recvCredit += g
	s.mu.Unlock()
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

// drop forgets pending frames (the socket is closing or failed).
func (s *Socket) drop(pending [][]byte) [][]byte {
	clear(pending)
	s.mu.Lock()
	s.unprocessed, s.assembling, s.parked = 0, 0, false
	s.mu.Unlock()
	return pending[:0]
}

// process turns pending data frames into messages, in order, and returns what it could not process yet: a START
// waits (is parked) while taking it on would exceed the memory bound of SPEC.md §4.
func (s *Socket) process(pending [][]byte, asm *assembly) [][]byte {
	i := 0
	defer func() {
		// Keep the unprocessed tail at the front of the slice, for reuse.
		n := copy(pending, pending[i:])
		clear(pending[n:])
	}()
	limit := s.cfg.Window + s.cfg.MaxMessageSize + frame.Cost
	for ; i < len(pending); i++ {
		f, err := frame.Decode(pending[i]) // checked by Frame already
		if err != nil {
			continue
		}
		cost := int64(f.Cost())
		switch f.Type {
		case frame.Start:
			typ := MessageBinary
			if f.Kind == frame.Text {
				typ = MessageText
			}
			if uint64(len(f.Payload)) == f.Length { // the whole message: the frame is ours, no copy
				s.mu.Lock()
				s.unprocessed -= cost
				s.pushLocked(typ, f.Payload)
				s.mu.Unlock()
				continue
			}
			length := int64(f.Length)
			s.mu.Lock()
			if s.unread+s.unprocessed+s.recvCredit+length-int64(len(f.Payload)) > limit {
				s.parked = true
				s.mu.Unlock()
				return pending[:len(pending)-i]
			}
			s.parked = false
			s.unprocessed -= cost
			s.assembling = msgCost(int(length))
			s.notePeakLocked()
			s.mu.Unlock()
			asm.start(typ, length, f.Payload, s.cfg.Window)
		case frame.Cont:
			asm.add(f.Payload)
			s.mu.Lock()
			s.unprocessed -= cost
			if asm.complete() {
				s.assembling = 0
				s.pushLocked(asm.typ, asm.buf)
				*asm = assembly{}
			}
			s.mu.Unlock()
		case frame.Abort:
			s.mu.Lock()
			s.unprocessed -= cost
			s.assembling = 0
			s.mu.Unlock()
			*asm = assembly{}
		}
	}
	return pending[:0]
}

func (s *Socket) pushLocked(typ MessageType, data []byte) {
	s.msgs = append(s.msgs, message{typ: typ, data: data})
	s.unread += msgCost(len(data))
	s.messagesIn.Add(1)
	s.bytesIn.Add(uint64(len(data)))
	notify(s.readable)
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

func isDone(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
