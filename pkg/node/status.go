package node

import (
	"errors"
	"fmt"
)

// StatusCode says why a socket closed, or why a dial was rejected. The codes mirror WebSocket's (RFC 6455 §7.4,
// and the IANA registry): applications may use 3000-4999 for their own.
type StatusCode int

// Status codes. StatusNoStatusRcvd and StatusAbnormalClosure are never sent: they only describe what happened.
const (
	StatusNormalClosure           StatusCode = 1000
	StatusGoingAway               StatusCode = 1001
	StatusProtocolError           StatusCode = 1002
	StatusUnsupportedData         StatusCode = 1003
	StatusNoStatusRcvd            StatusCode = 1005
	StatusAbnormalClosure         StatusCode = 1006
	StatusInvalidFramePayloadData StatusCode = 1007
	StatusPolicyViolation         StatusCode = 1008
	StatusMessageTooBig           StatusCode = 1009
	StatusInternalError           StatusCode = 1011
	StatusTryAgainLater           StatusCode = 1013

	// StatusPortNotListening rejects a dial to a port nobody listens on (see RejectError).
	StatusPortNotListening StatusCode = 4404
	// StatusBusy rejects a dial when the listener's backlog is full or the node is closing.
	StatusBusy StatusCode = 4503
)

var statusNames = map[StatusCode]string{
	StatusNormalClosure:           "normal closure",
	StatusGoingAway:               "going away",
	StatusProtocolError:           "protocol error",
	StatusUnsupportedData:         "unsupported data",
	StatusNoStatusRcvd:            "no status received",
	StatusAbnormalClosure:         "abnormal closure",
	StatusInvalidFramePayloadData: "invalid payload data",
	StatusPolicyViolation:         "policy violation",
	StatusMessageTooBig:           "message too big",
	StatusInternalError:           "internal error",
	StatusTryAgainLater:           "try again later",
	StatusPortNotListening:        "not listening",
	StatusBusy:                    "busy",
}

func (c StatusCode) String() string {
	if n, ok := statusNames[c]; ok {
		return fmt.Sprintf("%d (%s)", int(c), n)
	}
	return fmt.Sprint(int(c))
}

// CloseError is how a socket reports that its peer closed it: Read returns it once the messages that arrived before
// the peer's close have been read, and Write returns it at once. Match it with errors.As, or use CloseStatus.
type CloseError struct {
	Code   StatusCode
	Reason string
}

func (e CloseError) Error() string {
	if e.Reason == "" {
		return fmt.Sprintf("node: socket closed by peer: status %v", e.Code)
	}
	return fmt.Sprintf("node: socket closed by peer: status %v: %s", e.Code, e.Reason)
}

// CloseStatus returns the status code of the CloseError in err's chain, or -1 if there is none.
func CloseStatus(err error) StatusCode {
	var ce CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return -1
}
