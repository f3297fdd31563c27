package node

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/smokenet/smoke/pkg/node/internal/rtc"
)

// Media: tracks sent from one node to another on the peer connection their sockets already share (pkg/media/SPEC.md). A
// sender adds its tracks, each on a transceiver of its own, and renegotiates; the receiver picks them out by the
// transceivers' mids, which the sender tells it out of band (pkg/rest puts them in a media response's head). So two
// media streams between the same two nodes never mix, and a stream ends for both sides when either stops it:
// stopping a transceiver renegotiates its m-line away, which each side reads from the session descriptions.

// LocalTrack is a track this node sends: natively a pion webrtc.TrackLocal, in the browser a MediaStreamTrack
// (a syscall/js.Value).
type LocalTrack = rtc.LocalTrack

// RemoteTrack is a track this node receives: natively a pion *webrtc.TrackRemote, in the browser a
// MediaStreamTrack (a syscall/js.Value).
type RemoteTrack = rtc.RemoteTrack

// Limits of one media stream, and of what a peer may make a node hold.
const (
	// MaxMediaTracks is the most tracks one SendMedia may carry.
	MaxMediaTracks = 16
	// MaxMediaStreams is the most streams a node sends to one remote node at once: each costs an encoder per
	// track (in a browser, a real video encode), so a client that asks for stream after stream without ever
	// letting one go cannot make a server encode without end.
	MaxMediaStreams = 32
	// maxUnclaimedTracks bounds the tracks a peer has sent that no ReceiveMedia has claimed yet: a sender that
	// adds tracks nobody asks for cannot make the receiver keep more.
	maxUnclaimedTracks = 64
)

// ErrTooManyStreams means a node already sends MaxMediaStreams streams to that remote node.
var ErrTooManyStreams = errors.New("node: too many media streams to one node")

// MediaSender is tracks this node sends to one remote node.
type MediaSender struct {
	p    *peer
	mids []string
	done chan struct{}
	once sync.Once

	// trs are added by an op, read by SendMedia's wait; addErr is what stopped adding them.
	mu     sync.Mutex
	trs    []*rtc.Transceiver
	addErr error
}

// added returns the transceivers added so far, and the error that stopped adding them.
func (s *MediaSender) added() ([]*rtc.Transceiver, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.trs, s.addErr
}

// SendMedia starts sending tracks to the node at address, on the peer connection to it (made if need be), and
// returns once the remote has agreed to receive them. Tell the remote the sender's Mids: ReceiveMedia picks the
// tracks out by them.
func (n *Node) SendMedia(ctx context.Context, address string, tracks []LocalTrack) (*MediaSender, error) {
	if len(tracks) == 0 || len(tracks) > MaxMediaTracks {
		return nil, fmt.Errorf("node: SendMedia takes 1 to %d tracks, got %d", MaxMediaTracks, len(tracks))
	}
	for attempt := 0; ; attempt++ {
		s, err := n.sendMedia(ctx, address, tracks)
		if errors.Is(err, errPeerReplaced) && attempt < 3 {
			continue // lost an offer collision on a new connection; the replacement carries on (as in Dial)
		}
		return s, err
	}
}

func (n *Node) sendMedia(ctx context.Context, address string, tracks []LocalTrack) (*MediaSender, error) {
	p, err := n.mediaPeer(ctx, address, true)
	if err != nil {
		return nil, err
	}
	s := &MediaSender{p: p, done: make(chan struct{})}
	if !p.media.reserve() {
		return nil, fmt.Errorf("%w: %d to %s", ErrTooManyStreams, MaxMediaStreams, p.remote)
	}
	add := func() {
		select {
		case <-s.done:
			return // SendMedia gave up while the tracks waited for our turn: nothing to release
		default:
		}
		for _, t := range tracks {
			tr, err := p.pc.AddTrack(t)
			s.mu.Lock()
			if err != nil {
				s.addErr = err
			} else {
				s.trs = append(s.trs, tr)
			}
			s.mu.Unlock()
			if err != nil {
				break
			}
		}
		p.notify()
	}
	ok := p.ops.push(func() {
		if p.takesTurns() {
			// The tracks go on transceivers when our turn to offer comes, not before: pion may put a track on a
			// transceiver it reuses, and a remote offer applied in between (the remote's turn) could mark that
			// m-line inactive, which pion then keeps as the transceiver's direction for good.
			p.media.adds = append(p.media.adds, add)
		} else {
			add()
		}
		p.media.wantOffer = true
		p.negotiate()
	})
	if !ok {
		return nil, p.errOr(ErrPeerGone)
	}
	err = p.waitFor(ctx, func() bool {
		trs, addErr := s.added()
		if addErr != nil {
			return true
		}
		if len(trs) != len(tracks) || p.pc.SignalingState() != rtc.SignalingStateStable {
			return false
		}
		// Done when a negotiation has agreed that these transceivers send: our description says we send on each
		// and the remote's says it receives.
		local, remote := p.pc.LocalDescription(), p.pc.CurrentRemoteDescription()
		if local == nil || remote == nil {
			return false
		}
		ll, rl := mediaLines(local.SDP), mediaLines(remote.SDP)
		for _, tr := range trs {
			mid := tr.Mid()
			if mid == "" || !ll[mid].sends(true) || !rl[mid].sends(false) {
				return false
			}
		}
		return true
	})
	trs, addErr := s.added()
	if err == nil {
		err = addErr
	}
	if err != nil {
		p.media.unreserve()
		s.stop()
		return nil, err
	}
	for _, tr := range trs {
		s.mids = append(s.mids, tr.Mid())
	}
	p.media.addSender(s)
	return s, nil
}

// Mids returns the mids of the sender's transceivers, one per track in SendMedia's order.
func (s *MediaSender) Mids() []string { return s.mids }

// Done is closed when the stream ends: Close, the receiver stopping it, or the peer connection closing.
func (s *MediaSender) Done() <-chan struct{} { return s.done }

// Close stops sending: the transceivers stop, and the remote's tracks end once the renegotiation that follows is
// done.
func (s *MediaSender) Close() error {
	s.stop()
	return nil
}

func (s *MediaSender) stop() {
	s.once.Do(func() {
		close(s.done)
		s.p.media.removeSender(s)
		s.p.ops.push(func() {
			trs, _ := s.added()
			for _, tr := range trs {
				_ = s.p.pc.Release(tr)
			}
			s.p.media.wantOffer = true
			s.p.negotiate()
		})
	})
}

// ended is the sender's end seen from outside (the remote stopped receiving, or the peer closed): nothing to
// renegotiate if the peer is gone.
func (s *MediaSender) ended() { s.stop() }

// MediaReceiver is tracks this node receives from one remote node.
type MediaReceiver struct {
	p      *peer
	mids   []string
	tracks []RemoteTrack
	done   chan struct{}
	once   sync.Once
}

// ReceiveMedia waits for the tracks with mids from the node at address (the mids its MediaSender has) and returns
// them. It does not make a peer connection: the sender makes one, and the mids come to us over it.
func (n *Node) ReceiveMedia(ctx context.Context, address string, mids []string) (*MediaReceiver, error) {
	if len(mids) == 0 || len(mids) > MaxMediaTracks {
		return nil, fmt.Errorf("node: ReceiveMedia takes 1 to %d mids, got %d", MaxMediaTracks, len(mids))
	}
	p, err := n.mediaPeer(ctx, address, false)
	if err != nil {
		return nil, err
	}
	r := &MediaReceiver{p: p, mids: mids, done: make(chan struct{})}
	if err := p.waitFor(ctx, func() bool { return p.media.claim(r) }); err != nil {
		return nil, err
	}
	return r, nil
}

// Tracks returns the received tracks, in the order of the mids. Natively, a track on a reused transceiver may not
// have received its first packet yet: its Codec is empty until then, and pion's SetReadDeadline panics on such a
// track (ReadRTP waits). pkg/media's recorders wait for the codec.
func (r *MediaReceiver) Tracks() []RemoteTrack { return r.tracks }

// Done is closed when the stream ends: the sender stopped it, Close, or the peer connection closed.
func (r *MediaReceiver) Done() <-chan struct{} { return r.done }

// RequestKeyframe asks the sender for a keyframe on t, one of Tracks (an RTCP picture loss indication): a
// recorder that starts in the middle of a stream needs one, and an encoder whose transceiver is reused sends the
// next one only when asked. In the browser it does nothing: the browser's receiver asks by itself.
func (r *MediaReceiver) RequestKeyframe(t RemoteTrack) error { return r.p.pc.RequestKeyframe(t) }

// Close stops receiving here: Tracks are no longer this receiver's, and Done closes. The sender is not told (a
// receiver's transceiver cannot stop the remote's without costing an m-line for good): tell it through the exchange
// that carried the mids, as pkg/rest does when a media response's client goes away.
func (r *MediaReceiver) Close() error {
	r.end()
	return nil
}

func (r *MediaReceiver) end() {
	r.once.Do(func() {
		r.p.media.removeReceiver(r)
		close(r.done)
	})
}

// mediaPeer returns the peer connection to address; create says whether to make one.
func (n *Node) mediaPeer(ctx context.Context, address string, create bool) (*peer, error) {
	if n.hubErr != nil {
		return nil, n.hubErr
	}
	remote, err := n.resolve(ctx, address)
	if err != nil {
		return nil, err
	}
	if self, err := n.Address(ctx); err != nil {
		return nil, err
	} else if remote == self {
		return nil, fmt.Errorf("node: media to this node itself: use the tracks directly")
	}
	if create {
		return n.pool.get(remote, n.errClosed)
	}
	if p := n.pool.lookup(remote); p != nil {
		return p, nil
	}
	return nil, fmt.Errorf("%w: no peer connection to %s for media", ErrPeerGone, remote)
}

// peerMedia is one peer connection's media: what it sends and receives, and what arrived unclaimed.
type peerMedia struct {
	// wantOffer makes negotiate offer even though the connection is already negotiated (media changed); adds are
	// tracks to add right before our next offer (SendMedia, when the peers take turns). Both touched only by ops.
	wantOffer bool
	adds      []func()

	mu      sync.Mutex
	closed  bool
	sending int                    // streams reserved or sending (MaxMediaStreams)
	arrived map[string]RemoteTrack // mid → track not yet claimed
	order   []string               // arrival order of arrived, to drop the oldest
	// known is every track the remote has sent, by mid (at most maxUnclaimedTracks): a transceiver the remote
	// reuses for a new stream keeps its track, and pion reports a track only once, for its first packet.
	known      map[string]RemoteTrack
	knownOrder []string
	senders    map[*MediaSender]struct{}
	receivers  map[*MediaReceiver]struct{}
}

func newPeerMedia() *peerMedia {
	return &peerMedia{
		arrived:   make(map[string]RemoteTrack),
		known:     make(map[string]RemoteTrack),
		senders:   make(map[*MediaSender]struct{}),
		receivers: make(map[*MediaReceiver]struct{}),
	}
}

// track records a track the remote started sending (from the track event, which must not block).
func (m *peerMedia) track(t RemoteTrack, mid string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	m.remember(t, mid)
	// described may have handed this track to a receiver before its first packet, which is when pion reports it:
	// it is not there to be claimed again.
	for r := range m.receivers {
		for i, rmid := range r.mids {
			if rmid == mid && rtc.SameTrack(r.tracks[i], t) {
				return
			}
		}
	}
	m.arrive(t, mid)
}

// remember makes t the last track known for mid; m.mu is held.
func (m *peerMedia) remember(t RemoteTrack, mid string) {
	if _, ok := m.known[mid]; !ok {
		m.knownOrder = append(m.knownOrder, mid)
	}
	m.known[mid] = t
	for len(m.knownOrder) > maxUnclaimedTracks {
		delete(m.known, m.knownOrder[0])
		m.knownOrder = m.knownOrder[1:]
	}
}

// arrive makes t the unclaimed track of mid; m.mu is held.
func (m *peerMedia) arrive(t RemoteTrack, mid string) {
	if _, ok := m.arrived[mid]; !ok {
		m.order = append(m.order, mid)
	}
	m.arrived[mid] = t
	for len(m.order) > maxUnclaimedTracks {
		delete(m.arrived, m.order[0])
		m.order = m.order[1:]
	}
}

// claim gives r its tracks if all have arrived.
func (m *peerMedia) claim(r *MediaReceiver) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, mid := range r.mids {
		if _, ok := m.arrived[mid]; !ok {
			return false
		}
	}
	for _, mid := range r.mids {
		r.tracks = append(r.tracks, m.arrived[mid])
		delete(m.arrived, mid)
	}
	m.order = slicesDelete(m.order, r.mids)
	m.receivers[r] = struct{}{}
	return true
}

// runAdds adds the tracks waiting for our offer (adds); ops only.
func (m *peerMedia) runAdds() {
	adds := m.adds
	m.adds = nil
	for _, add := range adds {
		add()
	}
}

// reserve takes a place for one more stream to send, if there is one.
func (m *peerMedia) reserve() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sending >= MaxMediaStreams {
		return false
	}
	m.sending++
	return true
}

func (m *peerMedia) unreserve() {
	m.mu.Lock()
	m.sending--
	m.mu.Unlock()
}

// addSender records a stream whose place reserve took; removeSender gives the place back.
func (m *peerMedia) addSender(s *MediaSender) {
	m.mu.Lock()
	closed := m.closed
	if !closed {
		m.senders[s] = struct{}{}
	}
	m.mu.Unlock()
	if closed {
		s.ended()
	}
}

func (m *peerMedia) removeSender(s *MediaSender) {
	m.mu.Lock()
	if _, ok := m.senders[s]; ok {
		delete(m.senders, s)
		m.sending--
	}
	m.mu.Unlock()
}

func (m *peerMedia) removeReceiver(r *MediaReceiver) {
	m.mu.Lock()
	delete(m.receivers, r)
	m.mu.Unlock()
}

// described reads a session description just applied (local says whose): a stream whose m-lines no longer flow
// has ended, and a track that arrived for such an m-line is stale. receiving gives the track the transceiver of a
// mid receives on now, from the one it last reported (rtc.PeerConnection.Receiving).
func (m *peerMedia) described(sdp string, local bool, receiving func(mid string, t RemoteTrack) (RemoteTrack, bool)) {
	lines := mediaLines(sdp)
	m.mu.Lock()
	var ended []func()
	for s := range m.senders {
		for _, mid := range s.mids {
			if l, ok := lines[mid]; ok && !l.sends(local) {
				ended = append(ended, s.ended)
				break
			}
		}
	}
	for r := range m.receivers {
		for _, mid := range r.mids {
			if l, ok := lines[mid]; ok && !l.sends(!local) {
				ended = append(ended, r.end)
				break
			}
		}
	}
	for mid := range m.arrived {
		if l, ok := lines[mid]; ok && !l.sends(!local) {
			delete(m.arrived, mid)
			m.order = slicesDelete(m.order, []string{mid})
		}
	}
	// A reused transceiver flowing again carries a new stream on the track it had: it is there to be claimed
	// (the browser fires track again, pion does not). pion may have replaced the track, though: claiming the old
	// one would give a stream that ends at once. (receiving asks the peer connection, so it is called without
	// m.mu held.)
	claimed := make(map[string]bool)
	for r := range m.receivers {
		for _, mid := range r.mids {
			claimed[mid] = true
		}
	}
	// A new m-line that flows to us is asked about too (with no track): pion reports a track only with its first
	// packet, and a track that never sends one (a server's source with no frame yet) would keep its stream from
	// ever being received; pion makes the track when it starts receiving, from the SSRC the
	// description names. (In the browser, track fires for it when the description is applied.)
	again := make(map[string]RemoteTrack)
	for mid, l := range lines {
		if l.sends(!local) && !claimed[mid] {
			if _, there := m.arrived[mid]; !there {
				again[mid] = m.known[mid]
			}
		}
	}
	m.mu.Unlock()
	for mid, t := range again {
		if now, ok := receiving(mid, t); ok {
			again[mid] = now
		} else {
			delete(again, mid)
		}
	}
	m.mu.Lock()
	for mid, t := range again {
		if _, there := m.arrived[mid]; !there && !m.closed {
			m.remember(t, mid)
			m.arrive(t, mid)
		}
	}
	m.mu.Unlock()
	for _, f := range ended {
		f()
	}
}

// close ends every stream of the peer.
func (m *peerMedia) close() {
	m.mu.Lock()
	m.closed = true
	var ended []func()
	for s := range m.senders {
		ended = append(ended, s.ended)
	}
	for r := range m.receivers {
		ended = append(ended, r.end)
	}
	m.arrived, m.order, m.known, m.knownOrder = nil, nil, nil, nil
	m.mu.Unlock()
	for _, f := range ended {
		f()
	}
}

// mline is what media.go needs of one m-line of an SDP.
type mline struct {
	stopped   bool   // port 0 without bundle-only: rejected or stopped
	direction string // sendrecv, sendonly, recvonly or inactive
}

// sends reports whether the side that wrote the m-line (ours: own) says that media flows from the side that sends
// on it: in our own description that we send, in the remote's that it receives what we send. For a stream the
// remote sends, ask with own flipped.
func (l mline) sends(own bool) bool {
	if l.stopped || l.direction == "" {
		return false
	}
	if own {
		return l.direction == "sendonly" || l.direction == "sendrecv"
	}
	return l.direction == "recvonly" || l.direction == "sendrecv"
}

// mediaLines reads an SDP's audio and video m-lines by mid.
func mediaLines(sdp string) map[string]mline {
	out := make(map[string]mline)
	var cur *mline
	var mid string
	flush := func() {
		if cur != nil && mid != "" {
			out[mid] = *cur
		}
		cur, mid = nil, ""
	}
	for _, line := range strings.Split(sdp, "\n") {
		line = strings.TrimRight(line, "\r")
		switch {
		case strings.HasPrefix(line, "m="):
			flush()
			f := strings.Fields(line[2:])
			if len(f) >= 2 && (f[0] == "audio" || f[0] == "video") {
				cur = &mline{stopped: f[1] == "0", direction: "sendrecv"}
			}
		case cur == nil:
		case strings.HasPrefix(line, "a=mid:"):
			mid = strings.TrimPrefix(line, "a=mid:")
		case line == "a=bundle-only":
			// Port 0 with bundle-only is an m-line offered inside the BUNDLE group (RFC 8843), not a rejected
			// one: Firefox offers every m-line it adds to a connection this way.
			cur.stopped = false
		case line == "a=sendrecv" || line == "a=sendonly" || line == "a=recvonly" || line == "a=inactive":
			cur.direction = line[2:]
		}
	}
	flush()
	return out
}

// slicesDelete returns s without the values in drop.
func slicesDelete(s, drop []string) []string {
	out := s[:0]
	for _, v := range s {
		keep := true
		for _, d := range drop {
			if v == d {
				keep = false
				break
			}
		}
		if keep {
			out = append(out, v)
		}
	}
	return out
}

// StatsReport is a peer connection's statistics (W3C RTCStatsReport): natively pion's webrtc.StatsReport, in the
// browser the RTCStatsReport itself (a syscall/js.Value). For media, its inbound-rtp and outbound-rtp entries give
// frame rates, sizes, bytes and jitter-buffer delay.
type StatsReport = rtc.StatsReport

// StatsReport returns the statistics of the peer connection to the node at address; ErrPeerGone if there is none.
func (n *Node) StatsReport(ctx context.Context, address string) (StatsReport, error) {
	var zero StatsReport
	p, err := n.mediaPeer(ctx, address, false)
	if err != nil {
		return zero, err
	}
	return p.pc.GetStats()
}
