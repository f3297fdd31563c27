package node

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/smokenet/smoke/pkg/hub"
	"github.com/smokenet/smoke/pkg/node/internal/rtc"
)

// pool is a node's peer connections: at most one RTCPeerConnection per remote node (docs/ARCHITECTURE.md, decision
// 2), made by whichever side needs it first, shared by every socket between the two nodes, and dropped from the
// pool when it closes so that the next use makes a new one. Signals from the hub are routed here to their peer; an
// offer from a node the pool does not know makes a new peer.
//
// The pool knows nothing of ports: a datachannel the remote opens is handed to accept.
type pool struct {
	hub      hub.Hub
	api      *rtc.API
	counters *counters
	// ctx is the node's lifetime (the node cancels it in Close): it bounds signalling.
	ctx               context.Context
	relayOnly         bool
	disconnectTimeout time.Duration
	// accept is called, on a goroutine of its own, for each datachannel a remote opens.
	accept func(p *peer, l *dcLink, label string)

	mu     sync.Mutex
	closed bool
	peers  map[string]*peer
	made   int // peer connections created over the node's life
}

func newPool(ctx context.Context, h hub.Hub, o *Options, c *counters, accept func(*peer, *dcLink, string)) *pool {
	return &pool{
		hub:               h,
		api:               rtc.NewAPI(o.WebRTC),
		counters:          c,
		ctx:               ctx,
		relayOnly:         o.RelayOnly,
		disconnectTimeout: o.DisconnectTimeout,
		accept:            accept,
		peers:             make(map[string]*peer),
	}
}

// addressLess reports whether this node's address sorts before remote: the smaller address is the polite side of
// perfect negotiation. Called only once the node is bound (a peer exists only after our address is known).
func (pl *pool) addressLess(remote string) bool {
	a, _ := pl.hub.Address(pl.ctx)
	return a < remote
}

// dispatch routes one hub message to its peer, creating the peer for a new offer.
func (pl *pool) dispatch(m hub.Message) {
	if m.Err != nil {
		// The hub could not deliver our signal: nobody has that address. Dials to it fail now, not at timeout.
		pl.mu.Lock()
		p := pl.peers[m.From]
		pl.mu.Unlock()
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
		if cfg, err = pl.iceConfig(); err != nil {
			return
		}
	}

	pl.mu.Lock()
	if pl.closed {
		pl.mu.Unlock()
		return
	}
	p := pl.peers[m.From]
	var stale *peer
	if known, same := p.remoteSessionMatches(s.Session); p != nil && known && !same && isOffer && s.To == "" {
		// The remote started a new connection (it restarted, or dropped the old one): replace ours.
		stale, p = p, nil
		delete(pl.peers, m.From)
	}
	if p == nil {
		if !isOffer {
			pl.mu.Unlock()
			if stale != nil {
				go stale.close(fmt.Errorf("%w: %s reconnected", ErrPeerGone, m.From), false)
			}
			return // only an offer can start a connection
		}
		var err error
		p, err = pl.createLocked(m.From, cfg)
		if err != nil {
			pl.mu.Unlock()
			return
		}
	}
	pl.mu.Unlock()
	if stale != nil {
		go stale.close(fmt.Errorf("%w: %s reconnected", ErrPeerGone, m.From), false)
	}
	p.ops.push(func() { p.handle(s) })
}

// replace swaps old (the polite side of an offer collision, never negotiated) for a fresh peer connection that
// answers offer. The new one keeps old's session id: the remote has already recorded it as ours.
func (pl *pool) replace(old *peer, offer rtc.SessionDescription) {
	cfg, err := pl.iceConfig()
	if err != nil {
		go old.close(fmt.Errorf("%w: %v", ErrPeerUnreachable, err), false)
		return
	}
	pl.mu.Lock()
	if pl.closed || pl.peers[old.remote] != old {
		pl.mu.Unlock()
		return
	}
	np, err := pl.createLocked(old.remote, cfg)
	if err != nil {
		pl.mu.Unlock()
		go old.close(fmt.Errorf("%w: %v", ErrPeerUnreachable, err), false)
		return
	}
	np.session = old.session
	remoteSession := old.remoteSession
	// Queue the answer before anyone else can see the new peer: a Dial's new channel must not make it offer first.
	np.ops.push(func() { np.handle(signal{Session: remoteSession, Description: &offer}) })
	pl.mu.Unlock()
	go old.close(errPeerReplaced, false)
}

// get returns the peer for remote, creating it if needed; closed is the error once the pool is closed.
func (pl *pool) get(remote string, closed func() error) (*peer, error) {
	pl.mu.Lock()
	p := pl.peers[remote]
	pl.mu.Unlock()
	if p != nil {
		return p, nil
	}
	cfg, err := pl.iceConfig()
	if err != nil {
		return nil, err
	}
	pl.mu.Lock()
	defer pl.mu.Unlock()
	if pl.closed {
		return nil, closed()
	}
	if p := pl.peers[remote]; p != nil {
		return p, nil
	}
	return pl.createLocked(remote, cfg)
}

// lookup returns the peer for remote, or nil.
func (pl *pool) lookup(remote string) *peer {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	return pl.peers[remote]
}

// has reports whether the pool has a peer connection to remote now.
func (pl *pool) has(remote string) bool {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	_, ok := pl.peers[remote]
	return ok
}

// iceConfig asks the hub for the ICE servers. It is called before taking pl.mu: a hub may wait, and nothing that
// holds pl.mu may (JS calls such as Stats take it synchronously).
func (pl *pool) iceConfig() (rtc.Configuration, error) {
	ctx, cancel := context.WithTimeout(pl.ctx, 10*time.Second)
	defer cancel()
	cfg, err := pl.hub.Configuration(ctx)
	if err != nil {
		return rtc.Configuration{}, fmt.Errorf("node: ICE configuration from hub: %w", err)
	}
	w := webrtcConfig(cfg)
	w.RelayOnly = pl.relayOnly
	return w, nil
}

// createLocked makes the peer for remote; pl.mu is held. Creating a peer connection does not wait on anything.
func (pl *pool) createLocked(remote string, cfg rtc.Configuration) (*peer, error) {
	pc, err := pl.api.NewPeerConnection(cfg)
	if err != nil {
		return nil, fmt.Errorf("node: new peer connection: %w", err)
	}
	p := pl.newPeer(remote, pc)
	pl.peers[remote] = p
	pl.made++
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
func (pl *pool) forget(p *peer) {
	pl.mu.Lock()
	if pl.peers[p.remote] == p {
		delete(pl.peers, p.remote)
	}
	pl.mu.Unlock()
}

// shut closes the pool to new peers and returns the ones it has; the caller closes them.
func (pl *pool) shut() []*peer {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	pl.closed = true
	peers := make([]*peer, 0, len(pl.peers))
	for _, p := range pl.peers {
		peers = append(peers, p)
	}
	return peers
}

// closeAll closes every peer with err, telling each remote, and waits until all are closed.
func closeAll(peers []*peer, err error) {
	var wg sync.WaitGroup
	for _, p := range peers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.close(err, true)
		}()
	}
	wg.Wait()
}

// snapshot returns the current peers and how many peer connections the pool has made.
func (pl *pool) snapshot() (peers []*peer, made int) {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	peers = make([]*peer, 0, len(pl.peers))
	for _, p := range pl.peers {
		peers = append(peers, p)
	}
	return peers, pl.made
}
