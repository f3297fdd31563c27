package restcore

import "errors"

// ErrServerClosed is what Server.Serve returns after Close or Shutdown.
var ErrServerClosed = errors.New("rest: server closed")

// Errors of the client and of record streams.
var (
	// ErrUnsupportedScheme means a request URL whose scheme is not "rest".
	ErrUnsupportedScheme = errors.New("rest: unsupported protocol scheme")
	// ErrProtocol means the peer broke the wire protocol (SPEC.md); the socket was closed. The wrapping error says
	// what happened.
	ErrProtocol = errors.New("rest: protocol violation")
	// ErrNotRecords means a response that is not a record stream was given to NewRecordReader.
	ErrNotRecords = errors.New("rest: response is not a record stream")
	// ErrBodyKind means a body of one kind was written as another: bytes written to a record stream, say, or
	// SetBodyKind after the head was sent.
	ErrBodyKind = errors.New("rest: wrong body kind")
)
