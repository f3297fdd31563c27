package main

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/smokenet/smoke/pkg/hub"
	"github.com/smokenet/smoke/pkg/idb"
	"github.com/smokenet/smoke/pkg/node"
	"github.com/smokenet/smoke/pkg/rest/restcore"
)

// What JavaScript users read when something fails. Go errors wrap (node: socket 0.0.0.1:80: link lost: …: unexpected
// EOF), which is right for errors.Is and for Go logs, but a page's user reads err.code and err.message: so every
// error that reaches JavaScript gets a code (ERR_…) and a message of one plain sentence — "smoke: " (which library
// said it), what failed, and why, in words, with no Go package names, no status numbers and nothing said twice.
// This part builds natively too, so that TestMessages checks the sentences for the errors pkg/node, pkg/hub,
// pkg/rest and pkg/idb really return.

// Errors of the JS face itself.
var (
	errDisposed    = errors.New("smoke: node disposed")
	errClosed      = errors.New("smoke: socket is closing or closed")
	errBufferFull  = errors.New("smoke: send buffer full")
	errUnavailable = errors.New("smoke: not available")
)

// A reason is the code and plain words for the errors that match err.
type reason struct {
	err  error
	code string
	// say is the reason in plain words; "" takes the detail the error carries after the sentinel's own text
	// ("idb: invalid record: a record needs a string key" says "a record needs a string key").
	say string
	// name is the JavaScript class when it is not Error: "TypeError" or "RangeError" for bad arguments.
	name string
}

// reasons are the errors JavaScript may see, most specific first. Code-only table lookups (codeOf) use it too.
var reasons = []reason{
	{errDisposed, "ERR_DISPOSED", "the node has been disposed", ""},
	{errClosed, "ERR_INVALID_STATE", "the socket is closing or closed", ""},
	{errBufferFull, "ERR_BUFFER_FULL", "", ""},
	{errUnavailable, "ERR_NOT_AVAILABLE", "", ""},
	{idb.ErrQuotaExceeded, "ERR_QUOTA_EXCEEDED", "the browser's storage quota is used up, and nothing was written", ""},
	{idb.ErrInvalidRecord, "ERR_INVALID_RECORD", "", ""},
	{idb.ErrKeyExists, "ERR_KEY_EXISTS", "a record with that key is there already, and nothing was written", ""},
	{idb.ErrBlocked, "ERR_BLOCKED", "another tab holds the database open and did not let go", ""},
	{idb.ErrClosed, "ERR_DISPOSED", "the database has been disposed", ""},
	{idb.ErrUnsupported, "ERR_NOT_AVAILABLE", "IndexedDB is not available here", ""},
	{restcore.ErrProtocol, "ERR_PROTOCOL", "the other node broke the REST protocol", ""},
	{restcore.ErrServerClosed, "ERR_CLOSED", "the server has been closed", ""},
	{node.ErrPortNotListening, "ERR_PORT_NOT_LISTENING", "nothing listens on that port", ""},
	{node.ErrPortInUse, "ERR_PORT_IN_USE", "the port is in use", ""},
	{node.ErrInvalidPort, "ERR_INVALID_PORT", "a port is a number from 1 to 65535", "RangeError"},
	{hub.ErrHostnameNotFound, "ERR_HOSTNAME_NOT_FOUND", "no node has registered that hostname", ""},
	{hub.ErrUnknownAddress, "ERR_PEER_UNREACHABLE", "no node has that address or hostname", ""},
	{node.ErrPeerUnreachable, "ERR_PEER_UNREACHABLE", "the other node could not be reached", ""},
	{node.ErrPeerGone, "ERR_PEER_GONE", "the other node went away", ""},
	{io.ErrUnexpectedEOF, "ERR_PEER_GONE", "the connection to the other node was lost (its page closed, or the network failed)", ""},
	{node.ErrDialTimeout, "ERR_TIMEOUT", "the other node did not answer in time", ""},
	{node.ErrTimeout, "ERR_TIMEOUT", "the other node did not answer in time", ""},
	{node.ErrMessageTooLarge, "ERR_MESSAGE_TOO_LARGE", "the message is larger than the other node accepts", ""},
	{node.ErrProtocol, "ERR_PROTOCOL", "the other node broke the socket protocol", ""},
	{hub.ErrHostnameTaken, "ERR_HOSTNAME_TAKEN", "another node holds that hostname", ""},
	{hub.ErrInvalidHostname, "ERR_INVALID_HOSTNAME", "a hostname is 1 to 253 of the characters a-z, 0-9, '-', '.' and '_'", ""},
	{hub.ErrTooManyHostnames, "ERR_TOO_MANY_HOSTNAMES", "this node holds as many hostnames as the hub allows", ""},
	{hub.ErrDisconnected, "ERR_HUB_DISCONNECTED", "the node lost its connection to the hub", ""},
	{hub.ErrInvalidURL, "ERR_INVALID_URL", "a hub URL starts with ws:// or wss://", ""},
	{node.ErrTooManyStreams, "ERR_TOO_MANY_STREAMS", "this node already sends as many media streams to that node as it may", ""},
	{node.ErrHubInUse, "ERR_HUB_IN_USE", "that hub already carries another node (give each node its own hub)", ""},
	{context.DeadlineExceeded, "ERR_TIMEOUT", "it took too long", ""},
	{net.ErrClosed, "ERR_CLOSED", "it has been closed", ""},
}

// codeFailed is the code of an error no reason matches: something this table does not know yet went wrong.
const codeFailed = "ERR_FAILED"

// message returns err's code, its JavaScript class ("" for Error) and its one-sentence message. what says what
// failed ("cannot connect to 0.0.9.9:80"; "" when the reason says it all).
func message(what string, err error) (code, name, msg string) {
	code, say := codeFailed, ""
	for _, r := range reasons {
		if errors.Is(err, r.err) {
			code, say, name = r.code, r.say, r.name
			if say == "" {
				say = detail(err, r.err)
			}
			break
		}
	}
	var re *node.RejectError
	if errors.As(err, &re) && !errors.Is(re, node.ErrPortNotListening) {
		code = "ERR_REJECTED"
		if say = plain(re.Reason); say == "" {
			say = "the other node refused the connection"
		} else {
			say = "the other node refused the connection (" + say + ")"
		}
	}
	if say == "" {
		say = detail(err, nil)
	}
	switch {
	case what == "":
		msg = say
	case say == "":
		msg = what
	default:
		msg = what + ": " + say
	}
	return code, name, "smoke: " + msg
}

// detail is what err says beyond sentinel's own text: the last part of its chain, with no package prefixes.
func detail(err, sentinel error) string {
	s := err.Error()
	if sentinel != nil {
		if i := strings.LastIndex(s, sentinel.Error()); i >= 0 {
			s = s[i+len(sentinel.Error()):]
		}
	}
	if i := strings.LastIndex(s, ": "); i >= 0 {
		s = s[i+2:]
	}
	return plain(s)
}

// prefixes are the Go package names errors start with.
var prefixes = []string{"smoke: ", "node: ", "hub: ", "rest: ", "idb: ", "jsx: "}

// plain strips package prefixes and stray punctuation from s.
func plain(s string) string {
	for changed := true; changed; {
		changed = false
		for _, p := range prefixes {
			if t, ok := strings.CutPrefix(s, p); ok {
				s, changed = t, true
			}
		}
	}
	return strings.TrimRight(strings.TrimSpace(s), ".:")
}
