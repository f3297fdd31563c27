package rtc

import (
	"encoding/json"
	"fmt"
)

// API makes peer connections. Natively it holds pion's API built from Settings; in the browser it is empty.
type API struct{ apiImpl }

// Configuration is the RTCConfiguration a peer connection is made with: its ICE servers and transport policy.
type Configuration struct {
	ICEServers []ICEServer
	RelayOnly  bool // iceTransportPolicy "relay"
}

// ICEServer is one STUN or TURN server (W3C RTCIceServer).
type ICEServer struct {
	URLs       []string
	Username   string
	Credential string
}

// SDPType is the type of a session description (W3C RTCSdpType): "offer", "pranswer", "answer" or "rollback".
type SDPType string

// The session description types.
const (
	SDPTypeOffer    SDPType = "offer"
	SDPTypePranswer SDPType = "pranswer"
	SDPTypeAnswer   SDPType = "answer"
	SDPTypeRollback SDPType = "rollback"
)

func (t SDPType) String() string { return string(t) }

// UnmarshalJSON accepts only the four types, as pion's SDPType does, so a signal with any other type fails to
// decode here exactly as it does in a pion node.
func (t *SDPType) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	switch v := SDPType(s); v {
	case SDPTypeOffer, SDPTypePranswer, SDPTypeAnswer, SDPTypeRollback:
		*t = v
		return nil
	default:
		return fmt.Errorf("rtc: unknown SDP type %q", s)
	}
}

// SessionDescription is an offer or answer (W3C RTCSessionDescriptionInit). Its JSON is pion's:
// {"type":"offer","sdp":"v=0..."}.
type SessionDescription struct {
	Type SDPType `json:"type"`
	SDP  string  `json:"sdp"`
}

// ICECandidateInit is one trickled ICE candidate (W3C RTCIceCandidateInit, what candidate.toJSON() returns). Its
// fields and JSON are pion's webrtc.ICECandidateInit: absent members are null.
type ICECandidateInit struct {
	Candidate        string  `json:"candidate"`
	SDPMid           *string `json:"sdpMid"`
	SDPMLineIndex    *uint16 `json:"sdpMLineIndex"`
	UsernameFragment *string `json:"usernameFragment"`
}

// PeerConnectionState is W3C RTCPeerConnectionState: "new", "connecting", "connected", "disconnected", "failed" or
// "closed".
type PeerConnectionState string

// The peer connection states.
const (
	PeerConnectionStateNew          PeerConnectionState = "new"
	PeerConnectionStateConnecting   PeerConnectionState = "connecting"
	PeerConnectionStateConnected    PeerConnectionState = "connected"
	PeerConnectionStateDisconnected PeerConnectionState = "disconnected"
	PeerConnectionStateFailed       PeerConnectionState = "failed"
	PeerConnectionStateClosed       PeerConnectionState = "closed"
)

func (s PeerConnectionState) String() string { return string(s) }

// SignalingState is W3C RTCSignalingState: "stable", "have-local-offer", "have-remote-offer", … or "closed".
type SignalingState string

// Signalling states pkg/node tests for.
const (
	SignalingStateStable          SignalingState = "stable"            // no offer/answer exchange under way
	SignalingStateHaveRemoteOffer SignalingState = "have-remote-offer" // an offer to answer
)

func (s SignalingState) String() string { return string(s) }

// PeerConnection is one RTCPeerConnection. See the package doc for what its handlers and calls may do.
type PeerConnection struct{ pcImpl }

// DataChannel is one RTCDataChannel, ordered and reliable.
type DataChannel struct{ dcImpl }

// The method sets both backends implement: a method missing on one platform is a compile error there.
var (
	_ interface {
		NewPeerConnection(Configuration) (*PeerConnection, error)
	} = (*API)(nil)

	_ interface {
		CreateOffer() (SessionDescription, error)
		CreateAnswer() (SessionDescription, error)
		SetLocalDescription(SessionDescription) error
		SetRemoteDescription(SessionDescription) error
		LocalDescription() *SessionDescription
		RemoteDescription() *SessionDescription
		CurrentRemoteDescription() *SessionDescription
		PendingLocalDescription() *SessionDescription
		SetLocalOfferOrAnswer() (SessionDescription, error)
		AddICECandidate(ICECandidateInit) error
		CreateDataChannel(label string) (*DataChannel, error)
		OnNegotiationNeeded(func())
		OnConnectionStateChange(func(PeerConnectionState))
		OnICECandidate(func(ICECandidateInit))
		OnDataChannel(func(*DataChannel))
		ConnectionState() PeerConnectionState
		SignalingState() SignalingState
		Close() error
	} = (*PeerConnection)(nil)

	_ interface {
		Label() string
		OnOpen(func())
		OnClose(func())
		OnMessage(func([]byte))
		OnBufferedAmountLow(func())
		SetBufferedAmountLowThreshold(uint64)
		BufferedAmount() uint64
		Send([]byte) error
		Close() error
	} = (*DataChannel)(nil)
)

// Transceiver is one m-line of a peer connection: one track sent (W3C RTCRtpTransceiver, pion's RTPTransceiver).
type Transceiver struct{ transceiverImpl }

// CanRollback says whether this backend can roll back a local offer (W3C setLocalDescription({type: "rollback"})),
// which perfect negotiation's polite side does in an offer collision. Browsers can; pion cannot (it rejects a
// local rollback from have-local-offer), so a pion peer must not be the side that yields.
const CanRollback = canRollback
