package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/smokenet/smoke/pkg/hub"
	"github.com/smokenet/smoke/pkg/node/internal/rtc"
)

// Node is one participant of a Smoke network: it has an address on its hub, listens on ports, and dials other
// nodes' ports. Between two nodes it keeps one WebRTC peer connection, shared by all their sockets; each socket is
// one datachannel labelled with the port.
//
// All methods are safe for concurrent use. Close ends every socket and peer connection and leaves the hub.
type Node struct {
	hub     hub.Hub
	hubErr  error // ErrHubInUse when the hub carries another node: then the node does nothing but report it
	opts    Options
	started time.Time

	// ctx lives as long as the node; Close cancels it.
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{} // closed when the hub receive loop has ended

	counters *counters
	closed   atomic.Bool // Close was called (or the node never started: ErrHubInUse)

	// A node is a pool plus ports: its peer connections (pool.go), and its port table (ports.go). Each has its
	// own lock; none is held while taking the other.
	pool  *pool
	ports *ports
}

// Options configures a node. Nil means all defaults.
type Options struct {
	// Hub is the node's signalling hub. Default: a new node on hub.DefaultPageHub(), the process's in-page hub,
	// which Close leaves. A hub given here is the node's own too: Close closes it.
	Hub hub.Hub

	// MaxMessageSize is the largest socket message this node accepts and sends. Default 64 MiB.
	MaxMessageSize int64
	// Window is how many bytes of unread messages a socket lets its peer send ahead (the flow-control window).
	// Default 1 MiB.
	Window int64
	// DialTimeout bounds Dial when its context has no deadline: connecting the peer, opening the channel and the
	// accept handshake. Default 30 s.
	DialTimeout time.Duration
	// DisconnectTimeout is how long a peer connection may stay "disconnected" (ICE hears nothing from the remote)
	// before the node gives up on it and fails its sockets. ICE itself reports disconnection after about 5 s of
	// silence, so a vanished peer is noticed within about 5 s + DisconnectTimeout. Default 5 s.
	DisconnectTimeout time.Duration
	// KeepAlive is how often an idle socket checks that its peer is alive; a dead peer is noticed within three
	// intervals. Default 15 s.
	KeepAlive time.Duration

	// RelayOnly makes the node's peer connections use TURN relays only (W3C iceTransportPolicy "relay"): peers
	// never learn this node's IP addresses, at the cost of a relay hop. It needs a hub that hands out TURN servers
	// (smoke-hub --turn); without one, no peer connection can be made.
	RelayOnly bool

	// WebRTC holds pion's knobs that are not part of the WebRTC standard (network types, interfaces, ports, ICE
	// timeouts, logging): natively a *webrtc.SettingEngine from github.com/pion/webrtc/v4. Nil: pion's defaults,
	// plus loopback candidates, without mDNS candidates or logs. In the browser there is nothing to set (see
	// WebRTCSettings).
	WebRTC *WebRTCSettings
}

// WebRTCSettings is the type of Options.WebRTC. Natively it is pion's webrtc.SettingEngine (an alias: pass a
// *webrtc.SettingEngine). In the browser (GOOS=js) it is an empty struct: the browser owns ICE, its interfaces and
// ports, and a browser build does not link pion at all (see the package doc's Wasm section), so code that sets
// Options.WebRTC must do so in a file built only natively.
type WebRTCSettings = rtc.Settings

// New creates a node. It does not wait for the hub: Address does.
func New(opts *Options) *Node {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.MaxMessageSize <= 0 {
		o.MaxMessageSize = 64 << 20
	}
	if o.Window <= 0 {
		o.Window = 1 << 20
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = 30 * time.Second
	}
	if o.DisconnectTimeout <= 0 {
		o.DisconnectTimeout = 5 * time.Second
	}
	if o.KeepAlive <= 0 {
		o.KeepAlive = 15 * time.Second
	}
	h := o.Hub
	if h == nil {
		h = hub.DefaultPageHub().Join()
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := &Node{
		hub:      h,
		opts:     o,
		started:  time.Now(),
		ctx:      ctx,
		cancel:   cancel,
		done:     make(chan struct{}),
		counters: new(counters),
		ports:    newPorts(),
	}
	n.pool = newPool(ctx, h, &n.opts, n.counters, n.accept)
	if !claimHub(h) {
		n.hubErr = fmt.Errorf("%w (create one hub for each node)", ErrHubInUse)
		n.closed.Store(true)
		n.pool.shut()
		n.ports.shut()
		close(n.done)
		return n
	}
	go n.receive()
	return n
}

// Hub returns the node's hub.
func (n *Node) Hub() hub.Hub { return n.hub }

// Address returns the node's address on its hub, waiting for the hub to assign it.
func (n *Node) Address(ctx context.Context) (string, error) {
	if n.hubErr != nil {
		return "", n.hubErr
	}
	a, err := n.hub.Address(ctx)
	if err != nil {
		return "", err
	}
	return a, nil
}

// receive handles the hub's messages until the node closes.
func (n *Node) receive() {
	defer close(n.done)
	for {
		m, err := n.hub.Receive(n.ctx)
		if err != nil {
			if n.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			// A hub that fails outright (not a closed one) gets a moment before we ask again.
			select {
			case <-time.After(100 * time.Millisecond):
			case <-n.ctx.Done():
				return
			}
			continue
		}
		n.pool.dispatch(m)
	}
}

// Listen binds port and returns a listener for the sockets other nodes (and this one) dial to it.
func (n *Node) Listen(port int) (*Listener, error) {
	if err := checkPort(port); err != nil {
		return nil, err
	}
	return n.ports.bind(n, port, n.errClosed)
}

func checkPort(port int) error {
	if port < 1 || port > 65535 {
		return fmt.Errorf("%w: %d (ports are 1-65535)", ErrInvalidPort, port)
	}
	return nil
}

// Dial opens a socket to port on the node at address. The address "localhost", or this node's own address, reaches
// this node's own listeners without WebRTC. Any other name that is not a known peer is first looked up as a
// hostname on the hub. A port nobody listens on fails at once with ErrPortNotListening.
func (n *Node) Dial(ctx context.Context, address string, port int) (*Socket, error) {
	if n.hubErr != nil {
		return nil, n.hubErr
	}
	if err := checkPort(port); err != nil {
		return nil, err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, n.opts.DialTimeout)
		defer cancel()
	}
	self, err := n.Address(ctx)
	if err != nil {
		return nil, err
	}
	if address == "localhost" || address == self {
		return n.dialLocal(ctx, self, port)
	}
	remote, err := n.resolve(ctx, address)
	if err != nil {
		return nil, err
	}
	if remote == self {
		return n.dialLocal(ctx, self, port)
	}
	var l *dcLink
	for attempt := 0; ; attempt++ {
		p, err := n.pool.get(remote, n.errClosed)
		if err != nil {
			return nil, err
		}
		l, err = p.openChannel(ctx, strconv.Itoa(port))
		if errors.Is(err, errPeerReplaced) && attempt < 3 {
			continue // lost an offer collision; the replacement connection carries on
		}
		if err != nil {
			return nil, err
		}
		break
	}
	s, err := dialSocket(ctx, l, Addr{Node: self, Port: 0}, Addr{Node: remote, Port: port}, n.socketConfig())
	if err != nil {
		l.Close()
		return nil, err
	}
	n.track(s)
	return s, nil
}

// resolve turns a hostname into an address; a name that is no hostname is taken to be an address already.
func (n *Node) resolve(ctx context.Context, name string) (string, error) {
	if n.pool.has(name) {
		return name, nil
	}
	a, err := n.hub.Lookup(ctx, name)
	switch {
	case err == nil:
		return a, nil
	case errors.Is(err, hub.ErrHostnameNotFound), errors.Is(err, hub.ErrInvalidHostname):
		return name, nil
	default:
		return "", fmt.Errorf("node: resolving %q: %w", name, err)
	}
}

// dialLocal connects to this node's own listener through an in-memory pipe.
func (n *Node) dialLocal(ctx context.Context, self string, port int) (*Socket, error) {
	ln := n.ports.listener(port)
	if ln == nil {
		return nil, fmt.Errorf("%w: %s:%d", ErrPortNotListening, self, port)
	}
	a, b := newPipe()
	n.serveIncoming(b, Addr{Node: self, Port: port}, Addr{Node: self, Port: 0})
	s, err := dialSocket(ctx, a, Addr{Node: self, Port: 0}, Addr{Node: self, Port: port}, n.socketConfig())
	if err != nil {
		a.Close()
		return nil, err
	}
	n.track(s)
	return s, nil
}

// accept handles a datachannel a remote opened to us: label is the port.
func (n *Node) accept(p *peer, l *dcLink, label string) {
	self, _ := n.hub.Address(n.ctx)
	port, err := strconv.Atoi(label)
	if err != nil || checkPort(port) != nil {
		rejectSocket(l, StatusPolicyViolation, fmt.Sprintf("bad port %q", label))
		return
	}
	n.serveIncoming(l, Addr{Node: self, Port: port}, Addr{Node: p.remote, Port: 0})
}

// serveIncoming answers a dial that arrived on a new link: it queues the socket on the port's listener once the
// handshake is done, or rejects it (nobody listens there, or the backlog is full). It never blocks.
func (n *Node) serveIncoming(l link, local, remote Addr) {
	ln := n.ports.listener(local.Port)
	if ln == nil {
		rejectSocket(l, StatusPortNotListening, fmt.Sprintf("port %d is not listening", local.Port))
		return
	}
	admitSocket(l, local, remote, n.socketConfig(), func(s *Socket) error {
		n.track(s)
		if !ln.enqueue(s) {
			return &RejectError{Code: StatusBusy, Reason: fmt.Sprintf("port %d is busy (backlog full or closing)", local.Port)}
		}
		return nil
	})
}

func (n *Node) socketConfig() *socketConfig {
	return &socketConfig{
		MaxMessageSize: n.opts.MaxMessageSize,
		Window:         n.opts.Window,
		KeepAlive:      n.opts.KeepAlive,
		OnClose:        n.untrack,
	}
}

func (n *Node) track(s *Socket) {
	n.ports.track(s)
	n.counters.socketsOpened.Add(1)
}

func (n *Node) untrack(s *Socket) { n.ports.untrack(s) }

func (n *Node) errClosed() error {
	if n.hubErr != nil {
		return n.hubErr
	}
	return fmt.Errorf("node: closed: %w", net.ErrClosed)
}

// Close closes every socket, listener and peer connection, and leaves the hub. It is idempotent.
func (n *Node) Close() error {
	if !n.closed.CompareAndSwap(false, true) {
		return nil
	}
	peers := n.pool.shut()
	listeners, sockets := n.ports.shut()
	for _, l := range listeners {
		l.Close()
	}
	for _, s := range sockets {
		s.CloseNow()
	}
	closeAll(peers, fmt.Errorf("%w: node closed", ErrPeerGone))
	n.cancel()
	<-n.done
	err := n.hub.Close()
	releaseHub(n.hub)
	return err
}
