package node

import (
	"errors"
	"fmt"
	"os"
)

// Errors of sockets and dials. Sockets also return net.ErrClosed after the application closed them, a CloseError
// after the peer did, and io.ErrUnexpectedEOF (wrapped) when the link went away without a close handshake.
var (
	// ErrMessageTooLarge means a message is over the receiver's limit: Write returns it (and sends nothing) for a
	// message over the peer's limit; Read returns it, wrapped, after the peer sent one over ours (the socket is then
	// closed with StatusMessageTooBig).
	ErrMessageTooLarge = errors.New("node: message too large")

	// ErrPortNotListening means the remote node has no listener on the port dialed. A *RejectError with
	// StatusPortNotListening matches it.
	ErrPortNotListening = errors.New("node: port not listening")

	// ErrProtocol means the peer broke the socket protocol (internal/frame/SPEC.md): garbage or out-of-order
	// frames, or more data than the credit it was granted. The socket is closed with StatusProtocolError or
	// StatusPolicyViolation; the wrapping error says what happened.
	ErrProtocol = errors.New("node: socket protocol violation")

	// ErrTimeout means something did not happen in time: a dial's handshake, a close handshake, or any sign of life
	// from a peer that keepalive pinged. It is a net.Error whose Timeout is true and it matches
	// os.ErrDeadlineExceeded.
	ErrTimeout error = timeoutError{}

	// ErrHubInUse means the hub passed in Options.Hub already carries another node. A hub is one node's identity
	// on the network (one address, one stream of signalling), so nodes cannot share one: a node made with a hub in
	// use returns this error from Address, Listen and Dial. The hub is free again once its node is closed.
	ErrHubInUse = errors.New("node: the hub already carries another node")
)

type timeoutError struct{}

func (timeoutError) Error() string        { return "node: timeout" }
func (timeoutError) Timeout() bool        { return true }
func (timeoutError) Temporary() bool      { return true }
func (timeoutError) Is(target error) bool { return target == os.ErrDeadlineExceeded }

// RejectError is the answer of a node that refused a dial: nothing listens on the port (StatusPortNotListening, which
// matches ErrPortNotListening), the listener is busy (StatusBusy), or the dialer spoke the protocol wrong.
type RejectError struct {
	Code   StatusCode
	Reason string
}

// Error says the reason, or else the status: one plain sentence ("node: dial rejected: port 8080 is not
// listening"); the code is in Code for those who need it.
func (e *RejectError) Error() string {
	if e.Reason == "" {
		return fmt.Sprintf("node: dial rejected: status %v", e.Code)
	}
	return "node: dial rejected: " + e.Reason
}

// Is makes a rejection for StatusPortNotListening match ErrPortNotListening.
func (e *RejectError) Is(target error) bool {
	return target == ErrPortNotListening && e.Code == StatusPortNotListening
}
