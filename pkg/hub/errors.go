package hub

import (
	"errors"
	"fmt"
)

var (
	// ErrUnknownAddress means no node on the hub has the address a message was sent to.
	ErrUnknownAddress = errors.New("hub: unknown address")
	// ErrRecipientBusy means the recipient's queue was full and the hub dropped the message.
	ErrRecipientBusy = errors.New("hub: recipient busy")
	// ErrHostnameTaken means another node holds the hostname.
	ErrHostnameTaken = errors.New("hub: hostname taken")
	// ErrHostnameNotFound means no node holds the hostname.
	ErrHostnameNotFound = errors.New("hub: hostname not found")
	// ErrInvalidHostname means the name is not 1-253 characters of a-z 0-9 - . _ (compared case-insensitively).
	ErrInvalidHostname = errors.New("hub: invalid hostname")
	// ErrTooManyHostnames means the node already holds the most hostnames a hub allows (16).
	ErrTooManyHostnames = errors.New("hub: too many hostnames")
	// ErrInvalidData means a message's data is not one JSON value.
	ErrInvalidData = errors.New("hub: data is not a JSON value")
	// ErrMessageTooLarge means a message is over the hub's size limit.
	ErrMessageTooLarge = errors.New("hub: message too large")
	// ErrDisconnected means a network hub is not connected right now (it is reconnecting). Calls fail fast with it
	// rather than queue: signalling goes stale quickly, and after a failed resume a queued message would leave
	// from a different address.
	ErrDisconnected = errors.New("hub: disconnected from hub server")
	// ErrInvalidURL means a network hub's URL is not ws://, wss://, http:// or https:// with a host. It is final:
	// the hub does not try to connect, and every call returns it.
	ErrInvalidURL = errors.New("hub: invalid hub URL")
)

// ServerError is an error the hub server reported for a request, with a code that has no sentinel here (newer
// servers may add codes).
type ServerError struct {
	Code    string
	Message string
}

func (e *ServerError) Error() string {
	return fmt.Sprintf("hub: server error %s: %s", e.Code, e.Message)
}

// CloseError is why a hub server closed the connection (a WebSocket close code and reason), when it did.
type CloseError struct {
	Code   int
	Reason string
}

func (e *CloseError) Error() string {
	return fmt.Sprintf("hub: server closed the connection: %d %s", e.Code, e.Reason)
}
