package hub

import (
	"context"
	"encoding/json"
)

// Hub is one node's connection to a signalling hub: it knows the node's address, hands out the ICE configuration,
// and carries small JSON messages to and from other nodes on the same hub.
//
// All methods are safe for concurrent use, except that Receive should be called by one goroutine at a time: it
// hands out each message once, in arrival order.
//
// After Close, every method returns an error that matches net.ErrClosed (errors.Is), and a blocked Receive returns
// at once. Close is idempotent.
//
// Custom hubs implement this interface; a node needs nothing else from its hub.
type Hub interface {
	// Address returns this node's address, waiting for the hub to assign it if necessary. A network hub's address
	// can change if the connection was lost for longer than the server's grace period; see NetworkHub.
	Address(ctx context.Context) (string, error)

	// Configuration returns the ICE servers (STUN/TURN) that nodes on this hub should use.
	Configuration(ctx context.Context) (Configuration, error)

	// Send forwards data, which must be one JSON value, to the node at address to. A nil error means the hub
	// accepted the message, not that it was delivered: a hub that learns later that it could not deliver reports
	// that through Receive, as a Message whose Err is set (like ICMP "destination unreachable"). A hub that knows at
	// once returns ErrUnknownAddress.
	Send(ctx context.Context, to string, data json.RawMessage) error

	// Receive returns the next message for this node.
	Receive(ctx context.Context) (Message, error)

	// Register leases hostname to this node until the node unregisters it or leaves the hub. Registering a name
	// this node already holds succeeds; a name held by another node fails with ErrHostnameTaken.
	Register(ctx context.Context, hostname string) error

	// Unregister gives up a hostname this node holds.
	Unregister(ctx context.Context, hostname string) error

	// Lookup returns the address that holds hostname, or ErrHostnameNotFound.
	Lookup(ctx context.Context, hostname string) (string, error)

	// Close leaves the hub: the node's address and hostnames are released.
	Close() error
}

// Message is a signalling message received from another node, or a delivery failure.
type Message struct {
	// From is the sender's address, as set by the hub (a node cannot forge it). For a delivery failure it is the
	// address the failed message was sent to.
	From string
	// Data is the JSON value the sender passed to Send. Nil when Err is set.
	Data json.RawMessage
	// Err is set when this is a report that a message sent to From could not be delivered; it matches
	// ErrUnknownAddress or ErrRecipientBusy.
	Err error
}

// Configuration is what a hub tells nodes about the network, shaped like the W3C RTCConfiguration fields it feeds.
type Configuration struct {
	ICEServers []ICEServer `json:"iceServers"`
}

// ICEServer is one STUN or TURN server, shaped like the W3C RTCIceServer dictionary.
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}
