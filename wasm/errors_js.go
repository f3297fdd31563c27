package main

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/smokenet/smoke/internal/jsx"
	"github.com/smokenet/smoke/pkg/hub"
	"github.com/smokenet/smoke/pkg/idb"
	"github.com/smokenet/smoke/pkg/node"
	"github.com/smokenet/smoke/pkg/rest/restcore"
)

// codedError gives a Go error the code property its JavaScript Error gets (jsx.ErrorValue reads JSCode), so that
// JavaScript can tell failures apart without parsing messages: err.code === 'ERR_PORT_NOT_LISTENING'.
type codedError struct {
	code string
	err  error
}

func (e *codedError) Error() string  { return e.err.Error() }
func (e *codedError) Unwrap() error  { return e.err }
func (e *codedError) JSCode() string { return e.code }

// namedError makes err a JavaScript error of another class (a RangeError) without changing its text:
// jsx.ErrorValue takes the name from the first jsx.Error in the chain and the message from the whole error.
type namedError struct {
	err  error
	name *jsx.Error
}

func (e *namedError) Error() string   { return e.err.Error() }
func (e *namedError) Unwrap() []error { return []error{e.err, e.name} }

// Errors of the JS face itself.
var (
	errDisposed    = errors.New("smoke: node disposed")
	errClosed      = errors.New("smoke: socket is closing or closed")
	errBufferFull  = errors.New("smoke: send buffer full")
	errUnavailable = errors.New("smoke: not available")
)

// codes maps the errors JavaScript may see to their codes, most specific first.
var codes = []struct {
	err  error
	code string
}{
	{errDisposed, "ERR_DISPOSED"},
	{errClosed, "ERR_INVALID_STATE"},
	{errBufferFull, "ERR_BUFFER_FULL"},
	{errUnavailable, "ERR_NOT_AVAILABLE"},
	{errDBClosed, "ERR_DISPOSED"},
	{idb.ErrQuotaExceeded, "ERR_QUOTA_EXCEEDED"},
	{idb.ErrInvalidRecord, "ERR_INVALID_RECORD"},
	{idb.ErrKeyExists, "ERR_KEY_EXISTS"},
	{idb.ErrBlocked, "ERR_BLOCKED"},
	{idb.ErrClosed, "ERR_DISPOSED"},
	{idb.ErrUnsupported, "ERR_NOT_AVAILABLE"},
	{errClientGone, "ERR_ABORTED"},
	{errFetchAborted, "ERR_ABORTED"},
	{restcore.ErrProtocol, "ERR_PROTOCOL"},
	{restcore.ErrServerClosed, "ERR_CLOSED"},
	{node.ErrPortNotListening, "ERR_PORT_NOT_LISTENING"},
	{node.ErrPortInUse, "ERR_PORT_IN_USE"},
	{node.ErrInvalidPort, "ERR_INVALID_PORT"},
	{node.ErrPeerUnreachable, "ERR_PEER_UNREACHABLE"},
	{node.ErrPeerGone, "ERR_PEER_GONE"},
	{node.ErrDialTimeout, "ERR_TIMEOUT"},
	{node.ErrTimeout, "ERR_TIMEOUT"},
	{node.ErrMessageTooLarge, "ERR_MESSAGE_TOO_LARGE"},
	{node.ErrProtocol, "ERR_PROTOCOL"},
	{hub.ErrHostnameNotFound, "ERR_HOSTNAME_NOT_FOUND"},
	{hub.ErrHostnameTaken, "ERR_HOSTNAME_TAKEN"},
	{hub.ErrInvalidHostname, "ERR_INVALID_HOSTNAME"},
	{hub.ErrTooManyHostnames, "ERR_TOO_MANY_HOSTNAMES"},
	{hub.ErrDisconnected, "ERR_HUB_DISCONNECTED"},
	{hub.ErrInvalidURL, "ERR_INVALID_URL"},
	{node.ErrHubInUse, "ERR_HUB_IN_USE"},
	{hub.ErrUnknownAddress, "ERR_PEER_UNREACHABLE"},
	{context.DeadlineExceeded, "ERR_TIMEOUT"},
	{net.ErrClosed, "ERR_CLOSED"},
}

// coded returns err with its code, prefixed with what was being done (op, may be empty). Errors that already
// carry a name for JavaScript (a jsx.Error: TypeError, RangeError) keep it.
func coded(op string, err error) error {
	if err == nil {
		return nil
	}
	if op != "" {
		err = fmt.Errorf("%s: %w", op, err)
	}
	for _, c := range codes {
		if errors.Is(err, c.err) {
			if c.code == "ERR_INVALID_PORT" {
				err = &namedError{err: err, name: &jsx.Error{Name: "RangeError"}}
			}
			return &codedError{code: c.code, err: err}
		}
	}
	return err
}

// typeError and rangeError are the errors for bad arguments, thrown as JavaScript TypeError and RangeError.
func typeError(format string, args ...any) error {
	return &jsx.Error{Name: "TypeError", Message: fmt.Sprintf(format, args...)}
}

func rangeError(code, format string, args ...any) error {
	return &jsx.Error{Name: "RangeError", Message: fmt.Sprintf(format, args...), Code: code}
}
