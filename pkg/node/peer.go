package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/smokenet/smoke/pkg/hub"
	"github.com/smokenet/smoke/pkg/node/internal/rtc"
)

// peer is this node's one RTCPeerConnection to one remote node. Peers are created lazily (by a Dial, or by the
// remote's first offer), shared by every socket between the two nodes, and torn down when the connection fails or
// either side leaves; the next use creates a new one.
//
// All negotiation runs on ops, one step at a time, which is what makes the W3C "perfect negotiation" pattern
// simple here: between two ops nothing is half-done, so an offer collision is exactly "an offer arrived while our
// signalling state is not stable".
type peer struct {
	pool    *pool
	remote  string
	polite  bool   // the smaller address yields in a collision (docs/ARCHITECTURE.md, decision 2)
	session string // this peer connection's instance id
	pc      *rtc.PeerConnection
	ops     opQueue
	created time.Time

	// Negotiation state, touched only by ops (remoteSession is written by ops under mu, read by dispatch).
	remoteSession    string
	remoteNoRollback bool // the remote said it cannot roll back an offer (signal.NoRollback)
	ignoreOffer      bool
	pending          []rtc.ICECandidateInit // remote candidates that came before the remote description
	turn             offerTurns             // who offers next, when neither side can roll back (signal.Turn)

	state atomic.Value // rtc.PeerConnectionState

	done    chan struct{} // closed by close
	errOnce sync.Once
	err     error

	mu    sync.Mutex
	links map[*dcLink]struct{}

	media *peerMedia
	// changed is closed and replaced whenever negotiation moves or a track arrives: waitFor's wake-up.
	changedMu sync.Mutex
	changed   chan struct{}
}

// errPeerReplaced closes a polite peer that gave way to the remote's offer in a collision; Dial retries.
var errPeerReplaced = errors.New("node: peer connection replaced after an offer collision")

func (pl *pool) newPeer(remote string, pc *rtc.PeerConnection) *peer {
	p := &peer{
		pool:    pl,
		remote:  remote,
		polite:  pl.addressLess(remote),
		session: newSessionID(),
		pc:      pc,
		created: time.Now(),
		done:    make(chan struct{}),
		links:   make(map[*dcLink]struct{}),
		media:   newPeerMedia(),
		changed: make(chan struct{}),
	}
	p.state.Store(rtc.PeerConnectionStateNew)
	pc.OnTrack(func(t rtc.RemoteTrack, mid string) {
		p.media.track(t, mid)
		p.notify()
	})
	p.ops.onPanic = func(r any) { p.fail(fmt.Errorf("node: negotiating with %s: internal error: %v", remote, r)) }
	pc.OnNegotiationNeeded(func() { p.ops.push(p.negotiate) })
	pc.OnICECandidate(func(c rtc.ICECandidateInit) {
		p.ops.push(func() { p.send(signal{Candidate: &c}) })
	})
	pc.OnConnectionStateChange(func(s rtc.PeerConnectionState) {
		p.state.Store(s)
		switch s {
		case rtc.PeerConnectionStateFailed:
			go p.close(fmt.Errorf("%w: connection to %s failed", ErrPeerUnreachable, remote), true)
		case rtc.PeerConnectionStateClosed:
			go p.close(fmt.Errorf("connection to %s closed", remote), true)
		case rtc.PeerConnectionStateDisconnected:
			// ICE hears nothing from the remote. It may come back (a network blip); if not, giving up now beats
			// waiting for ICE to call it failed (~25 s more in pion, ~30 s in Chrome): the sockets can say so.
			time.AfterFunc(pl.disconnectTimeout, func() {
				if p.State() == rtc.PeerConnectionStateDisconnected {
					p.close(fmt.Errorf("%w: connection to %s lost", ErrPeerUnreachable, remote), true)
				}
			})
		}
	})
	pc.OnDataChannel(func(dc *rtc.DataChannel) {
		// Attach the link now, inside the callback, so no frame that arrives right after open is missed.
		l := p.newLink(dc)
		go pl.accept(p, l, dc.Label())
	})
	return p
}

// newLink wraps a datachannel of this peer and tracks it so closing the peer closes its sockets.
func (p *peer) newLink(dc *rtc.DataChannel) *dcLink {
	l := newDCLink(dc, p.pool.counters, func(l *dcLink) {
		p.mu.Lock()
		delete(p.links, l)
		p.mu.Unlock()
	})
	p.mu.Lock()
	p.links[l] = struct{}{}
	p.mu.Unlock()
	return l
}

// openChannel opens a datachannel for a socket on port and waits until it is open. The first one on a new peer
// connection starts the negotiation.
func (p *peer) openChannel(ctx context.Context, label string) (*dcLink, error) {
	dc, err := p.pc.CreateDataChannel(label)
	if err != nil {
		return nil, fmt.Errorf("node: opening a channel to %s: %w", p.remote, err)
	}
	l := p.newLink(dc)
	select {
	case <-l.opened:
		return l, nil
	case <-p.done:
		l.Close()
		return nil, p.err
	case <-l.closed:
		return nil, fmt.Errorf("node: channel to %s closed before it opened", p.remote)
	case <-ctx.Done():
		l.Close()
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("%w: no connection to %s (state %s)", ErrDialTimeout, p.remote, p.State())
		}
		return nil, ctx.Err()
	}
}

// State returns the peer connection's state as last reported.
func (p *peer) State() rtc.PeerConnectionState {
	return p.state.Load().(rtc.PeerConnectionState)
}

// negotiate makes and sends an offer (the W3C negotiationneeded handler).
func (p *peer) negotiate() {
	if p.pc.SignalingState() != rtc.SignalingStateStable {
		// An exchange is under way; the browser (or pion) fires negotiationneeded again when it is over, if needed.
		return
	}
	if d := p.pc.CurrentRemoteDescription(); d != nil && strings.Contains(d.SDP, "m=application") && !p.media.wantOffer {
		// Datachannels need no renegotiation once SCTP is negotiated, but pion may still ask for it after the
		// first channel. Skipping it avoids needless offer collisions (and pion's lack of local rollback).
		// Media, which does need renegotiation, sets wantOffer (media.go).
		return
	}
	if p.takesTurns() {
		switch {
		case p.turn.lent:
			return // the remote offers next; once that is answered, handleDescription calls negotiate again
		case !p.turn.held:
			if !p.turn.asked {
				p.turn.asked = true
				p.send(signal{Turn: turnAsk})
			}
			return // wantOffer stays set: the grant calls negotiate again
		}
		p.turn.held = false
	}
	p.media.runAdds()
	p.media.wantOffer = false
	offer, err := p.pc.SetLocalOfferOrAnswer() // one step in the browser (rtc): the offer goes out sooner
	if err != nil {
		p.fail(fmt.Errorf("node: making an offer to %s: %w", p.remote, err))
		return
	}
	p.send(signal{Description: &offer})
	p.described(&offer, true)
}

// handle applies one signalling message from the remote (an op).
func (p *peer) handle(s signal) {
	if s.To != "" && s.To != p.session {
		return // meant for an older instance of our connection
	}
	if p.remoteSession == "" {
		p.mu.Lock()
		p.remoteSession = s.Session
		p.mu.Unlock()
	}
	if s.Session != p.remoteSession {
		return // from an older instance of the remote's connection
	}
	p.remoteNoRollback = s.NoRollback
	switch {
	case s.Bye:
		go p.close(fmt.Errorf("%w: %s closed the connection", ErrPeerGone, p.remote), false)
	case s.Turn != "":
		p.handleTurn(s.Turn)
	case s.Description != nil:
		p.handleDescription(*s.Description)
	case s.Candidate != nil:
		if p.pc.RemoteDescription() == nil {
			if len(p.pending) < maxPendingCandidates {
				p.pending = append(p.pending, *s.Candidate)
			}
			return
		}
		if err := p.pc.AddICECandidate(*s.Candidate); err != nil && !p.ignoreOffer {
			// A candidate the agent cannot use (another address family, a stale generation) is not fatal:
			// the others may still connect, and ICE reports failure if none do.
			_ = err
		}
	}
}

// maxPendingCandidates bounds what a peer that sends candidates without ever sending a description can make us keep.
const maxPendingCandidates = 64

func (p *peer) handleDescription(d rtc.SessionDescription) {
	collision := d.Type == rtc.SDPTypeOffer && p.pc.SignalingState() != rtc.SignalingStateStable
	p.ignoreOffer = !p.yields() && collision
	if p.ignoreOffer {
		return // the impolite side keeps its own offer; the polite side will answer it
	}
	if collision && p.pc.CurrentRemoteDescription() == nil {
		// The polite side yields. On a connection that was never negotiated the cheapest sure way is a fresh peer
		// connection that answers the other's offer (pion natively rejects a local rollback from have-local-offer).
		// Dials waiting on this one retry on the new one.
		p.pool.replace(p, d)
		return
	}
	if collision {
		// Renegotiation glare: withdraw our offer to take the other's (explicit rollback; browsers support it).
		rb := rtc.SessionDescription{Type: rtc.SDPTypeRollback}
		if ld := p.pc.PendingLocalDescription(); ld != nil {
			rb.SDP = ld.SDP // pion parses the SDP even for a rollback
		}
		if err := p.pc.SetLocalDescription(rb); err != nil {
			p.fail(fmt.Errorf("node: rolling back an offer to %s: %w", p.remote, err))
			return
		}
		// The withdrawn offer was made for a reason (media, most likely): it is made again once this exchange is
		// over (below; Chromium does not fire negotiationneeded again after a rollback).
		p.media.wantOffer = true
	}
	if err := p.pc.SetRemoteDescription(d); err != nil {
		p.fail(fmt.Errorf("node: applying %s from %s: %w", d.Type, p.remote, err))
		return
	}
	for _, c := range p.pending {
		_ = p.pc.AddICECandidate(c) // see handle: an unusable candidate is not fatal
	}
	p.pending = nil
	p.described(&d, false)
	if d.Type == rtc.SDPTypeOffer {
		answer, err := p.pc.SetLocalOfferOrAnswer() // as in negotiate
		if err != nil {
			p.fail(fmt.Errorf("node: answering %s: %w", p.remote, err))
			return
		}
		p.send(signal{Description: &answer})
		p.described(&answer, true)
	}
	if p.pc.SignalingState() != rtc.SignalingStateStable {
		return
	}
	if d.Type == rtc.SDPTypeOffer {
		p.turn.lent = false // the turn lent has been used
	}
	if p.turn.deferred && !p.turn.lent && !p.turn.held {
		// The remote asked for a turn while we were busy: it goes before our own next offer, so that neither
		// side can keep the other waiting.
		p.turn.deferred = false
		p.turn.lent = true
		p.send(signal{Turn: turnGrant})
		return
	}
	// Back to stable with an offer still wanted (media changed while an exchange was under way, or our offer was
	// rolled back): make it now. Chromium does not always fire negotiationneeded again in these cases.
	if p.media.wantOffer {
		p.negotiate()
	}
}

// offerTurns is the state of the turn-taking (signal.Turn) between two nodes that cannot roll back an offer. Ops
// only.
type offerTurns struct {
	asked    bool // we asked for a turn and wait for the grant
	held     bool // we were granted a turn: our next offer is safe
	lent     bool // we granted the remote a turn: we make no offer until its offer is answered
	deferred bool // the remote asked while we could not grant: grant once back to stable
}

// takesTurns says whether renegotiation offers on this connection go by turns: when neither side can roll back an
// offer and the connection has been negotiated once (a collision on the first offer is settled by replacing the
// polite side's connection; see handleDescription).
func (p *peer) takesTurns() bool {
	return !rtc.CanRollback && p.remoteNoRollback && p.pc.CurrentRemoteDescription() != nil
}

// handleTurn applies a turn message (signal.Turn).
func (p *peer) handleTurn(t string) {
	switch t {
	case turnAsk:
		busy := p.pc.SignalingState() != rtc.SignalingStateStable || p.turn.lent || p.turn.held
		if busy || (p.turn.asked && !p.yields()) {
			// Both asked at once: the side that yields grants (below, on its side); this one goes first.
			p.turn.deferred = true
			return
		}
		p.turn.lent = true
		p.send(signal{Turn: turnGrant})
	case turnGrant:
		if !p.turn.asked {
			return // not ours to use: a stale grant
		}
		p.turn.asked = false
		p.turn.held = true
		p.media.wantOffer = true // the remote waits for our offer: make one even if nothing changed since
		p.negotiate()
	}
}

// described tells the media streams of a session description just applied, and wakes waitFor.
func (p *peer) described(d *rtc.SessionDescription, local bool) {
	if d != nil {
		p.media.described(d.SDP, local, p.pc.Receiving)
	}
	p.notify()
}

// notify wakes every waitFor to check its condition again.
func (p *peer) notify() {
	p.changedMu.Lock()
	close(p.changed)
	p.changed = make(chan struct{})
	p.changedMu.Unlock()
}

// waitFor waits until cond holds, checking it after each change of negotiation (notify), or until ctx ends or the
// peer closes.
func (p *peer) waitFor(ctx context.Context, cond func() bool) error {
	for {
		p.changedMu.Lock()
		ch := p.changed
		p.changedMu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-ch:
		case <-p.done:
			return p.err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// errOr returns the error the peer closed with, or err if it has not closed.
func (p *peer) errOr(err error) error {
	select {
	case <-p.done:
		return p.err
	default:
		return err
	}
}

// yields says whether this side gives way in an offer collision: when only one side can roll back an offer (pion
// cannot), that side; else the smaller address (p.polite). Both sides decide the same: each has the other's
// NoRollback from the offer that collided.
func (p *peer) yields() bool {
	if rtc.CanRollback == p.remoteNoRollback {
		return rtc.CanRollback
	}
	return p.polite
}

// send signals the remote through the hub.
func (p *peer) send(s signal) {
	s.Session = p.session
	s.To = p.remoteSession
	s.NoRollback = !rtc.CanRollback
	b, err := json.Marshal(s)
	if err != nil {
		p.fail(fmt.Errorf("node: encoding a signal: %w", err))
		return
	}
	ctx, cancel := context.WithTimeout(p.pool.ctx, 10*time.Second)
	defer cancel()
	if err := p.pool.hub.Send(ctx, p.remote, b); err != nil {
		if errors.Is(err, hub.ErrUnknownAddress) {
			p.fail(fmt.Errorf("%w: %w", ErrPeerUnreachable, err))
			return
		}
		p.fail(fmt.Errorf("node: signalling %s: %w", p.remote, err))
	}
}

// fail closes the peer because negotiation cannot go on.
func (p *peer) fail(err error) { go p.close(err, true) }

// close tears the peer down: closes its sockets with err, closes the peer connection, forgets it, and (if bye)
// tells the remote so it does not wait for ICE to notice. Safe to call more than once; the first error wins.
func (p *peer) close(err error, bye bool) {
	first := false
	p.errOnce.Do(func() {
		first = true
		p.err = err
		close(p.done)
	})
	if !first {
		return
	}
	p.pool.forget(p)
	p.ops.close()
	p.media.close()
	if bye {
		s := signal{Session: p.session, To: p.remoteSession, Bye: true}
		if b, err := json.Marshal(s); err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			p.pool.hub.Send(ctx, p.remote, b)
			cancel()
		}
	}
	p.mu.Lock()
	links := make([]*dcLink, 0, len(p.links))
	for l := range p.links {
		links = append(links, l)
	}
	p.mu.Unlock()
	for _, l := range links {
		l.fail(err)
	}
	p.pc.Close()
}

// remoteSessionMatches reports whether the remote's session id is known, and whether it is id.
// A nil peer knows nothing.
func (p *peer) remoteSessionMatches(id string) (known, same bool) {
	if p == nil {
		return false, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.remoteSession != "", p.remoteSession == id
}
