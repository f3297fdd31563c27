package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
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
	api     *rtc.API
	started time.Time

	// ctx lives as long as the node; Close cancels it.
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{} // closed when the hub receive loop has ended

	counters *counters

	addrOnce sync.Once
	addr     string
	addrErr  error

	mu        sync.Mutex
	closed    bool
	peers     map[string]*peer
	listeners map[int]*Listener
	sockets   map[*Socket]struct{}
	peersMade int // peer connections created over the node's life
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
		hub:       h,
		opts:      o,
		api:       rtc.NewAPI(o.WebRTC),
		started:   time.Now(),
		ctx:       ctx,
		cancel:    cancel,
		done:      make(chan struct{}),
		counters:  new(counters),
		peers:     make(map[string]*peer),
		listeners: make(map[int]*Listener),
		sockets:   make(map[*Socket]struct{}),
	}
	if !claimHub(h) {
		n.hubErr = fmt.Errorf("%w (create one hub for each node)", ErrHubInUse)
		n.closed = true
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

// addressLess reports whether this node's address sorts before remote: the smaller address is the polite side of
// perfect negotiation. Called only once the node is bound (a peer exists only after our address is known).
func (n *Node) addressLess(remote string) bool {
	a, _ := n.hub.Address(n.ctx)
	return a < remote
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
		n.dispatch(m)
	}
}

// dispatch routes one hub message to its peer, creating the peer for a new offer.
func (n *Node) dispatch(m hub.Message) {
	if m.Err != nil {
		// The hub could not deliver our signal: nobody has that address. Dials to it fail now, not at timeout.
		n.mu.Lock()
		p := n.peers[m.From]
		n.mu.Unlock()
		if p != nil {
			go p.close(fmt.Errorf("%w: %v", ErrPeerUnreachable, m.Err), false)
		}
		return
	}
	var s signal
	if err := json.Unmarshal(m.Data, &s); err != nil || s.Session == "" {
		return // not a signal of ours; a hub may carry other traffic
	}
	isOffer := s.Description != nil && s.Description.Type == rtc.SDPTypeOffer
	var cfg rtc.Configuration
	if isOffer {
		var err error
		if cfg, err = n.iceConfig(); err != nil {
			return
		}
	}

	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return
	}
	p := n.peers[m.From]
	var stale *peer
	if known, same := p.remoteSessionMatches(s.Session); p != nil && known && !same && isOffer && s.To == "" {
		// The remote started a new connection (it restarted, or dropped the old one): replace ours.
		stale, p = p, nil
		delete(n.peers, m.From)
	}
	if p == nil {
		if !isOffer {
			n.mu.Unlock()
			if stale != nil {
				go stale.close(fmt.Errorf("%w: %s reconnected", ErrPeerGone, m.From), false)
			}
			return // only an offer can start a connection
		}
		var err error
		p, err = n.createPeerLocked(m.From, cfg)
		if err != nil {
			n.mu.Unlock()
			return
		}
	}
	n.mu.Unlock()
	if stale != nil {
		go stale.close(fmt.Errorf("%w: %s reconnected", ErrPeerGone, m.From), false)
	}
	p.ops.push(func() { p.handle(s) })
}

// replace swaps old (the polite side of an offer collision, never negotiated) for a fresh peer connection that
// answers offer. The new one keeps old's session id: the remote has already recorded it as ours.
func (n *Node) replace(old *peer, offer rtc.SessionDescription) {
	cfg, err := n.iceConfig()
	if err != nil {
		go old.close(fmt.Errorf("%w: %v", ErrPeerUnreachable, err), false)
		return
	}
	n.mu.Lock()
	if n.closed || n.peers[old.remote] != old {
		n.mu.Unlock()
		return
	}
	np, err := n.createPeerLocked(old.remote, cfg)
	if err != nil {
		n.mu.Unlock()
		go old.close(fmt.Errorf("%w: %v", ErrPeerUnreachable, err), false)
		return
	}
	np.session = old.session
	remoteSession := old.remoteSession
	// Queue the answer before anyone else can see the new peer: a Dial's new channel must not make it offer first.
	np.ops.push(func() { np.handle(signal{Session: remoteSession, Description: &offer}) })
	n.mu.Unlock()
	go old.close(errPeerReplaced, false)
}

// peer returns the peer for remote, creating it if needed.
func (n *Node) peer(ctx context.Context, remote string) (*peer, error) {
	n.mu.Lock()
	p := n.peers[remote]
	n.mu.Unlock()
	if p != nil {
		return p, nil
	}
	cfg, err := n.iceConfig()
	if err != nil {
		return nil, err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return nil, n.errClosed()
	}
	if p := n.peers[remote]; p != nil {
		return p, nil
	}
	return n.createPeerLocked(remote, cfg)
}

// iceConfig asks the hub for the ICE servers. It is called before taking n.mu: a hub may wait, and nothing that
// holds n.mu may (JS calls such as Listen and Stats take it synchronously).
func (n *Node) iceConfig() (rtc.Configuration, error) {
	ctx, cancel := context.WithTimeout(n.ctx, 10*time.Second)
	defer cancel()
	cfg, err := n.hub.Configuration(ctx)
	if err != nil {
		return rtc.Configuration{}, fmt.Errorf("node: ICE configuration from hub: %w", err)
	}
	w := webrtcConfig(cfg)
	w.RelayOnly = n.opts.RelayOnly
	return w, nil
}

// createPeerLocked makes the peer for remote; n.mu is held. Creating a peer connection does not wait on anything.
func (n *Node) createPeerLocked(remote string, cfg rtc.Configuration) (*peer, error) {
	pc, err := n.api.NewPeerConnection(cfg)
	if err != nil {
		return nil, fmt.Errorf("node: new peer connection: %w", err)
	}
	p := n.newPeer(remote, pc)
	n.peers[remote] = p
	n.peersMade++
	return p, nil
}

func webrtcConfig(c hub.Configuration) rtc.Configuration {
	var w rtc.Configuration
	for _, s := range c.ICEServers {
		w.ICEServers = append(w.ICEServers, rtc.ICEServer{URLs: s.URLs, Username: s.Username, Credential: s.Credential})
	}
	return w
}

// forget drops p from the pool if it is still the peer for its address.
func (n *Node) forget(p *peer) {
	n.mu.Lock()
	if n.peers[p.remote] == p {
		delete(n.peers, p.remote)
	}
	n.mu.Unlock()
}

// Listen binds port and returns a listener for the sockets other nodes (and this one) dial to it.
func (n *Node) Listen(port int) (*Listener, error) {
	if err := checkPort(port); err != nil {
		return nil, err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return nil, n.errClosed()
	}
	if _, ok := n.listeners[port]; ok {
		return nil, fmt.Errorf("%w: %d", ErrPortInUse, port)
	}
	l := newListener(n, port)
	n.listeners[port] = l
	return l, nil
}

func (n *Node) unbind(l *Listener) {
	n.mu.Lock()
	if n.listeners[l.port] == l {
		delete(n.listeners, l.port)
	}
	n.mu.Unlock()
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
		p, err := n.peer(ctx, remote)
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
	n.mu.Lock()
	_, known := n.peers[name]
	n.mu.Unlock()
	if known {
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
	n.mu.Lock()
	ln := n.listeners[port]
	n.mu.Unlock()
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
	n.mu.Lock()
	ln := n.listeners[local.Port]
	n.mu.Unlock()
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
	n.mu.Lock()
	n.sockets[s] = struct{}{}
	n.mu.Unlock()
	n.counters.socketsOpened.Add(1)
}

func (n *Node) untrack(s *Socket) {
	n.mu.Lock()
	delete(n.sockets, s)
	n.mu.Unlock()
}

func (n *Node) errClosed() error {
	if n.hubErr != nil {
		return n.hubErr
	}
	return fmt.Errorf("node: closed: %w", net.ErrClosed)
}

// Close closes every socket, listener and peer connection, and leaves the hub. It is idempotent.
func (n *Node) Close() error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	peers := make([]*peer, 0, len(n.peers))
	for _, p := range n.peers {
		peers = append(peers, p)
	}
	listeners := make([]*Listener, 0, len(n.listeners))
	for _, l := range n.listeners {
		listeners = append(listeners, l)
	}
	sockets := make([]*Socket, 0, len(n.sockets))
	for s := range n.sockets {
		sockets = append(sockets, s)
	}
	n.mu.Unlock()

	for _, l := range listeners {
		l.Close()
	}
	for _, s := range sockets {
		s.CloseNow()
	}
	var wg sync.WaitGroup
	for _, p := range peers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.close(fmt.Errorf("%w: node closed", ErrPeerGone), true)
		}()
	}
	wg.Wait()
	n.cancel()
	<-n.done
	err := n.hub.Close()
	releaseHub(n.hub)
	return err
}
