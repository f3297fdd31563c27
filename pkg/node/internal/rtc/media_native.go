//go:build !js

package rtc

import (
	"fmt"

	"github.com/pion/rtcp"
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
		tr := r.RTPTransceiver()
		if tr == nil {
			return
		}
		p.mu.Lock()
		p.receiving[tr.Mid()] = trackReceiver{t, r}
		p.mu.Unlock()
		f(t, tr.Mid())
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

// Receiving returns the track the transceiver of mid receives on, given t, the last one OnTrack reported for it.
// pion gives a transceiver a new receiver, with a new track, when a renegotiation changes what the remote sends on
// it (as a stream on a reused transceiver can): t then reads io.EOF, and OnTrack reports the new track only with
// its first packet, which may be later than a caller waiting for the mid. Until that packet the new track has no
// codec, and pion's SetReadDeadline on it panics (its stream is not open): wait for Codec first, as pkg/media
// does. t nil asks for a transceiver's first track, which pion makes when it starts receiving, from the SSRC the
// description names, and reports only at its first packet. false: the transceiver receives nothing (yet).
func (p *PeerConnection) Receiving(mid string, t RemoteTrack) (RemoteTrack, bool) {
	p.mu.Lock()
	last := p.receiving[mid]
	p.mu.Unlock()
	for _, tr := range p.pc.GetTransceivers() {
		if tr.Mid() != mid || tr.Receiver() == nil {
			continue
		}
		if last.t == t && tr.Receiver() == last.r {
			return t, true
		}
		if tracks := tr.Receiver().Tracks(); len(tracks) > 0 {
			p.mu.Lock()
			p.receiving[mid] = trackReceiver{tracks[0], tr.Receiver()}
			p.mu.Unlock()
			return tracks[0], true
		}
	}
	return nil, false
}

// SameTrack reports whether a and b are one track.
func SameTrack(a, b RemoteTrack) bool { return a == b }

// trackReceiver is a track and the receiver it came by.
type trackReceiver struct {
	t RemoteTrack
	r *webrtc.RTPReceiver
}

// StatsReport is the connection's statistics: pion's StatsReport (in the browser, an RTCStatsReport).
type StatsReport = webrtc.StatsReport

// GetStats returns the connection's statistics.
func (p *PeerConnection) GetStats() (StatsReport, error) { return p.pc.GetStats(), nil }

// RequestKeyframe asks the remote to send a keyframe on t (RTCP picture loss indication): a recorder that joins a
// stream must start at one, and an encoder on a reused transceiver sends the next one only when asked.
func (p *PeerConnection) RequestKeyframe(t RemoteTrack) error {
	return p.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(t.SSRC())}})
}
