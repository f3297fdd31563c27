//go:build !js

package rtc

import (
	"fmt"

	"github.com/pion/webrtc/v4"
)

// LocalTrack is a track this side sends: a pion TrackLocal (in the browser, a MediaStreamTrack).
type LocalTrack = webrtc.TrackLocal

// RemoteTrack is a track the remote sends: a pion *TrackRemote (in the browser, a MediaStreamTrack).
type RemoteTrack = *webrtc.TrackRemote

type transceiverImpl struct {
	t *webrtc.RTPTransceiver
	s *webrtc.RTPSender // the sender AddTrack made (a reused transceiver gets a new one)
}

// AddTrack sends t on a transceiver that no stream uses (pion's AddTrack reuses one that RemoveTrack freed, of t's
// kind), or else on a new one. Reusing transceivers keeps their number, and the session description, as small as
// the most streams at once: pion never drops a stopped transceiver, so stopping them would grow the SDP by an m-line
// per stream. The sender's RTCP is read (and dropped) until it stops, as pion needs for its interceptors to run.
func (p *PeerConnection) AddTrack(t LocalTrack) (*Transceiver, error) {
	s, err := p.pc.AddTrack(t)
	if err != nil {
		return nil, fmt.Errorf("rtc: AddTrack: %w", err)
	}
	go func() {
		buf := make([]byte, 1500)
		for {
			if _, _, err := s.Read(buf); err != nil {
				return
			}
		}
	}()
	for _, tr := range p.pc.GetTransceivers() {
		if tr.Sender() == s {
			return &Transceiver{transceiverImpl{tr, s}}, nil
		}
	}
	return nil, fmt.Errorf("rtc: AddTrack: no transceiver holds the new sender")
}

// Release stops sending on tr (its direction becomes inactive or recvonly, which ends the stream for the remote
// once negotiated) and frees it for a later AddTrack of the same kind.
func (p *PeerConnection) Release(tr *Transceiver) error {
	if err := p.pc.RemoveTrack(tr.s); err != nil {
		return fmt.Errorf("rtc: RemoveTrack: %w", err)
	}
	return nil
}

// OnTrack calls f with each track the remote starts sending and the mid of its transceiver.
func (p *PeerConnection) OnTrack(f func(t RemoteTrack, mid string)) {
	p.pc.OnTrack(func(t *webrtc.TrackRemote, r *webrtc.RTPReceiver) {
		if tr := r.RTPTransceiver(); tr != nil {
			f(t, tr.Mid())
		}
	})
}

// Transceivers returns how many transceivers the connection holds.
func (p *PeerConnection) Transceivers() int { return len(p.pc.GetTransceivers()) }

// Mid returns the transceiver's mid, "" until negotiation has given it one.
func (t *Transceiver) Mid() string { return t.t.Mid() }

// TrackKind is "audio" or "video".
func TrackKind(t RemoteTrack) string { return t.Kind().String() }

// TransceiverByMid returns the transceiver with mid, or nil.
func (p *PeerConnection) TransceiverByMid(mid string) *Transceiver {
	for _, t := range p.pc.GetTransceivers() {
		if t.Mid() == mid {
			return &Transceiver{transceiverImpl{t: t}}
		}
	}
	return nil
}

// StatsReport is the connection's statistics: pion's StatsReport (in the browser, an RTCStatsReport).
type StatsReport = webrtc.StatsReport

// GetStats returns the connection's statistics.
func (p *PeerConnection) GetStats() (StatsReport, error) { return p.pc.GetStats(), nil }

// KeepSending restores the direction of each transceiver that has a track to send, where applying a remote
// description lowered it, and says whether it changed any (then a new offer is needed). pion keeps one direction
// per transceiver and lowers it to what a remote offer allows: a track added on a reused transceiver while the
// remote's offer marked that m-line inactive was left inactive for good. Browsers keep the wanted direction apart
// from the negotiated one, so there this never happens.
func (p *PeerConnection) KeepSending() bool {
	changed := false
	for _, t := range p.pc.GetTransceivers() {
		s := t.Sender()
		if s == nil || s.Track() == nil {
			continue
		}
		if d := t.Direction(); d == webrtc.RTPTransceiverDirectionInactive || d == webrtc.RTPTransceiverDirectionRecvonly {
			if err := t.SetSender(s, s.Track()); err == nil {
				changed = true
			}
		}
	}
	return changed
}
