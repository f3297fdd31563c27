//go:build !js

package rtc

import (
	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/logging"
	"github.com/pion/webrtc/v4"
	"sync"
)

// Settings is pion's SettingEngine: its knobs that are not part of the WebRTC standard (network types, interfaces,
// ports, ICE timeouts, logging). In the browser it is an empty struct (rtc_js.go).
type Settings = webrtc.SettingEngine

type apiImpl struct{ api *webrtc.API }

// NewAPI builds the pion API from s. With s nil: loopback candidates are included (a loopback-only host, like the
// test namespace, has no other); mDNS candidates are off (they hide addresses behind names that need multicast to
// resolve, which a server process gains nothing from); pion does not log (a library does not write to the
// application's stderr; an application that wants pion's logs brings Settings with a LoggerFactory).
func NewAPI(s *Settings) *API {
	var se webrtc.SettingEngine
	if s != nil {
		se = *s
	} else {
		se.SetIncludeLoopbackCandidate(true)
		se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
		se.LoggerFactory = &logging.DefaultLoggerFactory{DefaultLogLevel: logging.LogLevelDisabled}
	}
	// Media needs codecs to negotiate and interceptors (NACK, RTCP reports) to keep a stream healthy; both cost
	// nothing until a track is added.
	var m webrtc.MediaEngine
	ir := &interceptor.Registry{}
	if err := m.RegisterDefaultCodecs(); err == nil {
		_ = webrtc.RegisterDefaultInterceptors(&m, ir)
	}
	return &API{apiImpl{webrtc.NewAPI(webrtc.WithSettingEngine(se), webrtc.WithMediaEngine(&m), webrtc.WithInterceptorRegistry(ir))}}
}

// NewPeerConnection makes a peer connection.
func (a *API) NewPeerConnection(c Configuration) (*PeerConnection, error) {
	var wc webrtc.Configuration
	for _, s := range c.ICEServers {
		wc.ICEServers = append(wc.ICEServers, webrtc.ICEServer{URLs: s.URLs, Username: s.Username, Credential: s.Credential})
	}
	if c.RelayOnly {
		wc.ICETransportPolicy = webrtc.ICETransportPolicyRelay
	}
	pc, err := a.api.NewPeerConnection(wc)
	if err != nil {
		return nil, err
	}
	return &PeerConnection{pcImpl{pc: pc, receiving: make(map[string]trackReceiver)}}, nil
}

type pcImpl struct {
	pc *webrtc.PeerConnection

	mu        sync.Mutex
	receiving map[string]trackReceiver // by mid, the track OnTrack last reported and its receiver (Receiving)
}

func toPion(d SessionDescription) webrtc.SessionDescription {
	return webrtc.SessionDescription{Type: webrtc.NewSDPType(string(d.Type)), SDP: d.SDP}
}

func fromPion(d webrtc.SessionDescription) SessionDescription {
	return SessionDescription{Type: SDPType(d.Type.String()), SDP: d.SDP}
}

func fromPionPtr(d *webrtc.SessionDescription) *SessionDescription {
	if d == nil {
		return nil
	}
	s := fromPion(*d)
	return &s
}

func (p *PeerConnection) CreateOffer() (SessionDescription, error) {
	d, err := p.pc.CreateOffer(nil)
	return fromPion(d), err
}

func (p *PeerConnection) CreateAnswer() (SessionDescription, error) {
	d, err := p.pc.CreateAnswer(nil)
	return fromPion(d), err
}

// SetLocalOfferOrAnswer makes the offer or the answer the signalling state calls for, sets it as the local
// description and returns it, as a browser's setLocalDescription() without arguments does; pion has no such call,
// so it takes two here.
func (p *PeerConnection) SetLocalOfferOrAnswer() (SessionDescription, error) {
	create := p.CreateOffer
	if p.SignalingState() == SignalingStateHaveRemoteOffer {
		create = p.CreateAnswer
	}
	d, err := create()
	if err == nil {
		err = p.SetLocalDescription(d)
	}
	if err != nil {
		return SessionDescription{}, err
	}
	return *p.LocalDescription(), nil
}

func (p *PeerConnection) SetLocalDescription(d SessionDescription) error {
	return p.pc.SetLocalDescription(toPion(d))
}

func (p *PeerConnection) SetRemoteDescription(d SessionDescription) error {
	return p.pc.SetRemoteDescription(toPion(d))
}

func (p *PeerConnection) LocalDescription() *SessionDescription {
	return fromPionPtr(p.pc.LocalDescription())
}

func (p *PeerConnection) RemoteDescription() *SessionDescription {
	return fromPionPtr(p.pc.RemoteDescription())
}

func (p *PeerConnection) CurrentRemoteDescription() *SessionDescription {
	return fromPionPtr(p.pc.CurrentRemoteDescription())
}

func (p *PeerConnection) PendingLocalDescription() *SessionDescription {
	return fromPionPtr(p.pc.PendingLocalDescription())
}

func (p *PeerConnection) AddICECandidate(c ICECandidateInit) error {
	return p.pc.AddICECandidate(webrtc.ICECandidateInit(c))
}

// CreateDataChannel opens an ordered, reliable datachannel labelled label.
func (p *PeerConnection) CreateDataChannel(label string) (*DataChannel, error) {
	ordered := true
	dc, err := p.pc.CreateDataChannel(label, &webrtc.DataChannelInit{Ordered: &ordered})
	if err != nil {
		return nil, err
	}
	return &DataChannel{dcImpl{dc}}, nil
}

func (p *PeerConnection) OnNegotiationNeeded(f func()) { p.pc.OnNegotiationNeeded(f) }

func (p *PeerConnection) OnConnectionStateChange(f func(PeerConnectionState)) {
	p.pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) { f(PeerConnectionState(s.String())) })
}

// OnICECandidate calls f with each local candidate as the JSON the remote's addIceCandidate takes; the end of
// gathering is not reported.
func (p *PeerConnection) OnICECandidate(f func(ICECandidateInit)) {
	p.pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c != nil {
			f(ICECandidateInit(c.ToJSON()))
		}
	})
}

func (p *PeerConnection) OnDataChannel(f func(*DataChannel)) {
	p.pc.OnDataChannel(func(dc *webrtc.DataChannel) { f(&DataChannel{dcImpl{dc}}) })
}

func (p *PeerConnection) ConnectionState() PeerConnectionState {
	return PeerConnectionState(p.pc.ConnectionState().String())
}

func (p *PeerConnection) SignalingState() SignalingState {
	return SignalingState(p.pc.SignalingState().String())
}

func (p *PeerConnection) Close() error { return p.pc.Close() }

type dcImpl struct{ dc *webrtc.DataChannel }

func (d *DataChannel) Label() string                          { return d.dc.Label() }
func (d *DataChannel) OnOpen(f func())                        { d.dc.OnOpen(f) }
func (d *DataChannel) OnClose(f func())                       { d.dc.OnClose(f) }
func (d *DataChannel) OnBufferedAmountLow(f func())           { d.dc.OnBufferedAmountLow(f) }
func (d *DataChannel) SetBufferedAmountLowThreshold(n uint64) { d.dc.SetBufferedAmountLowThreshold(n) }
func (d *DataChannel) BufferedAmount() uint64                 { return d.dc.BufferedAmount() }
func (d *DataChannel) Send(b []byte) error                    { return d.dc.Send(b) }
func (d *DataChannel) Close() error                           { return d.dc.Close() }

// OnMessage calls f with each message. pion calls it from the channel's one read loop, in order, with a fresh
// copy of each message.
func (d *DataChannel) OnMessage(f func([]byte)) {
	d.dc.OnMessage(func(m webrtc.DataChannelMessage) { f(m.Data) })
}
