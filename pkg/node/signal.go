package node

import (
	"encoding/hex"

	rand "github.com/smokenet/smoke/internal/random"
	"github.com/smokenet/smoke/pkg/node/internal/rtc"
)

// signal is what nodes send each other through the hub to set up and tear down a peer connection: the JSON value
// of a hub message. Perfect negotiation (W3C WebRTC §10.7) runs over it.
//
// Every peer connection instance has a random session id. A node that rebuilds its connection to a peer (after a
// failure, or after the peer restarted) starts a new session, so messages meant for an old instance are told apart
// and dropped instead of confusing the new one.
type signal struct {
	// Session is the sender's peer-connection instance.
	Session string `json:"session"`
	// To is the receiver's instance the message answers, when the sender knows it.
	To string `json:"to,omitempty"`

	Description *rtc.SessionDescription `json:"description,omitempty"`
	Candidate   *rtc.ICECandidateInit   `json:"candidate,omitempty"`
	// Bye says the sender closed this session: the receiver tears its side down at once instead of waiting for
	// ICE to notice.
	Bye bool `json:"bye,omitempty"`
	// NoRollback says the sender cannot roll back an offer (a pion node): in an offer collision the other side
	// yields, whatever the addresses (peer.yields).
	NoRollback bool `json:"noRollback,omitempty"`
	// Turn asks for ("ask") or grants ("grant") the next renegotiation offer. Between two nodes that both cannot
	// roll back (two pion nodes), an offer collision on a negotiated connection has no way out, so they take
	// turns instead: a node that wants to renegotiate asks, and offers only once granted; a node that granted
	// makes no offer until the remote's offer has come and been answered (peer.negotiate, peer.handleTurn).
	Turn string `json:"turn,omitempty"`
}

// The values of signal.Turn.
const (
	turnAsk   = "ask"
	turnGrant = "grant"
)

func newSessionID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
