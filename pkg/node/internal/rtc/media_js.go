//go:build js

package rtc

import (
	"fmt"
	"syscall/js"

	"github.com/smokenet/smoke/internal/jsx"
)

// LocalTrack is a track this side sends: a MediaStreamTrack in the browser (natively, a pion TrackLocal).
type LocalTrack = js.Value

// RemoteTrack is a track the remote sends: a MediaStreamTrack in the browser (natively, a pion *TrackRemote).
type RemoteTrack = js.Value

type transceiverImpl struct{ v js.Value }

// AddTrack sends t on a transceiver that no stream uses (one AddTrack made and Release freed, of t's kind), or else
// on a new one (direction sendonly). Reusing transceivers keeps their number, and the session description, as small
// as the most streams at once: browsers drop stopped transceivers, but pion never does. The transceiver's mid is
// known once the offer that carries it has been set as the local description.
func (p *PeerConnection) AddTrack(t LocalTrack) (*Transceiver, error) {
	kind := prop(t, "kind").String()
	p.mu.Lock()
	for tr := range p.idle {
		if prop(prop(tr.v, "receiver"), "track").Get("kind").String() == kind && prop(tr.v, "currentDirection").String() != "sendonly" {
			delete(p.idle, tr)
			p.mu.Unlock()
			pr, err := jsx.Call(prop(tr.v, "sender"), "replaceTrack", t)
			if err == nil {
				_, err = jsx.Await(p.life, pr)
			}
			if err == nil {
				err = jsx.Set(tr.v, "direction", "sendonly")
			}
			if err != nil {
				return nil, fmt.Errorf("rtc: reusing a transceiver: %w", err)
			}
			return tr, nil
		}
	}
	p.mu.Unlock()
	v, err := jsx.Call(p.v, "addTransceiver", t, map[string]any{"direction": "sendonly"})
	if err != nil {
		return nil, fmt.Errorf("rtc: addTransceiver: %w", err)
	}
	return &Transceiver{transceiverImpl{v}}, nil
}

// Release stops sending on tr (its direction becomes inactive, which ends the stream for the remote once
// negotiated) and keeps it for a later AddTrack of the same kind.
func (p *PeerConnection) Release(tr *Transceiver) error {
	pr, err := jsx.Call(prop(tr.v, "sender"), "replaceTrack", js.Null())
	if err == nil {
		_, err = jsx.Await(p.life, pr)
	}
	if err == nil {
		err = jsx.Set(tr.v, "direction", "inactive")
	}
	if err != nil {
		return fmt.Errorf("rtc: releasing a transceiver: %w", err)
	}
	p.mu.Lock()
	if p.idle == nil {
		p.idle = make(map[*Transceiver]struct{})
	}
	p.idle[tr] = struct{}{}
	p.mu.Unlock()
	return nil
}

// OnTrack calls f with each track the remote starts sending and the mid of its transceiver.
func (p *PeerConnection) OnTrack(f func(t RemoteTrack, mid string)) {
	p.on("track", func(ev js.Value) {
		tr, track := prop(ev, "transceiver"), prop(ev, "track")
		if mid := prop(tr, "mid"); mid.Type() == js.TypeString && track.Type() == js.TypeObject {
			f(track, mid.String())
		}
	})
}

// Transceivers returns how many transceivers the connection holds (stopped ones leave after the next negotiation).
func (p *PeerConnection) Transceivers() int {
	v, err := jsx.Call(p.v, "getTransceivers")
	if err != nil {
		return 0
	}
	return v.Length()
}

// Mid returns the transceiver's mid, "" until negotiation has given it one.
func (t *Transceiver) Mid() string {
	if m := prop(t.v, "mid"); m.Type() == js.TypeString {
		return m.String()
	}
	return ""
}

// TrackKind is "audio" or "video".
func TrackKind(t js.Value) string { return prop(t, "kind").String() }

// Receiving is pion's (see the native version): a browser keeps one track per transceiver's receiver for the
// transceiver's life, so a track it reported stays the one the transceiver receives on. (No track: false; the
// browser reports each track when the description that carries it is applied.)
func (p *PeerConnection) Receiving(mid string, t RemoteTrack) (RemoteTrack, bool) {
	return t, !t.IsUndefined()
}

// SameTrack reports whether a and b are one track.
func SameTrack(a, b RemoteTrack) bool { return a.Equal(b) }

// TransceiverByMid returns the transceiver with mid, or nil.
func (p *PeerConnection) TransceiverByMid(mid string) *Transceiver {
	v, err := jsx.Call(p.v, "getTransceivers")
	if err != nil {
		return nil
	}
	for i := 0; i < v.Length(); i++ {
		if m := prop(v.Index(i), "mid"); m.Type() == js.TypeString && m.String() == mid {
			return &Transceiver{transceiverImpl{v.Index(i)}}
		}
	}
	return nil
}

// StatsReport is the connection's statistics: the browser's RTCStatsReport (natively, pion's StatsReport).
type StatsReport = js.Value

// GetStats returns the connection's statistics (RTCPeerConnection.getStats()).
func (p *PeerConnection) GetStats() (StatsReport, error) {
	return p.await("getStats")
}

// RequestKeyframe is pion's (see the native version): a browser's receiver asks for keyframes itself.
func (p *PeerConnection) RequestKeyframe(t RemoteTrack) error { return nil }
