package node

import "errors"

// Errors of the peer pool and ports. (The socket layer's own are in errors.go.)
var (
	// ErrPeerUnreachable means no connection to the remote node could be made: the hub knows no such address, or
	// ICE failed.
	ErrPeerUnreachable = errors.New("node: peer unreachable")
	// ErrPeerGone means the remote node closed its side, or left.
	ErrPeerGone = errors.New("node: peer gone")
	// ErrDialTimeout means Dial's deadline passed before the socket was open.
	ErrDialTimeout = errors.New("node: dial timed out")
	// ErrPortInUse means a listener already holds the port.
	ErrPortInUse = errors.New("node: port in use")
	// ErrInvalidPort means a port outside 1-65535.
	ErrInvalidPort = errors.New("node: invalid port")

	errLinkClosed = errors.New("node: channel closed")
)
