//go:build !js

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/smokenet/smoke/pkg/hub"
	"github.com/smokenet/smoke/pkg/idb"
	"github.com/smokenet/smoke/pkg/node"
)

// TestMessages checks the sentences for errors shaped as pkg/node, pkg/hub and pkg/idb make them, including those a
// page cannot provoke on its own (another tab closing under a socket, a custom rejection), and that each keeps its
// chain for errors.Is.
func TestMessages(t *testing.T) {
	remote := node.Addr{Node: "0.0.0.1", Port: 7000}
	for _, c := range []struct {
		what, code, msg string
		err             error
	}{
		{"cannot connect to 0.0.9.9:80", "ERR_PEER_UNREACHABLE",
			"smoke: cannot connect to 0.0.9.9:80: no node has that address or hostname",
			fmt.Errorf("%w: %w", node.ErrPeerUnreachable, fmt.Errorf("%w: %q", hub.ErrUnknownAddress, "0.0.9.9"))},
		{"cannot connect to 0.0.0.1:9999", "ERR_PORT_NOT_LISTENING",
			"smoke: cannot connect to 0.0.0.1:9999: nothing listens on that port",
			&node.RejectError{Code: node.StatusPortNotListening, Reason: "port 9999 is not listening"}},
		{"cannot connect to 0.0.0.1:7000", "ERR_REJECTED",
			"smoke: cannot connect to 0.0.0.1:7000: the other node refused the connection (room is full)",
			&node.RejectError{Code: 4000, Reason: "room is full"}},
		{"the socket to 0.0.0.1:7000 failed", "ERR_PEER_GONE",
			"smoke: the socket to 0.0.0.1:7000 failed: the connection to the other node was lost (its page closed, or the network failed)",
			fmt.Errorf("node: socket %v: link lost: %w: %w", remote, errors.New("datachannel closed"), io.ErrUnexpectedEOF)},
		{"the socket to 0.0.0.1:7000 failed", "ERR_TIMEOUT",
			"smoke: the socket to 0.0.0.1:7000 failed: the other node did not answer in time",
			fmt.Errorf("node: socket %v: peer not responding for 30s: %w", remote, node.ErrTimeout)},
		{`cannot register hostname "bob"`, "ERR_HOSTNAME_TAKEN",
			`smoke: cannot register hostname "bob": another node holds that hostname`,
			fmt.Errorf("%w: %q", hub.ErrHostnameTaken, "bob")},
		{"", "ERR_BUFFER_FULL",
			"smoke: 17000000 bytes wait to be sent, the limit is 16777216 (wait for bufferedAmount to fall)",
			fmt.Errorf("%w: 17000000 bytes wait to be sent, the limit is 16777216 (wait for bufferedAmount to fall)", errBufferFull)},
		{`database "app" cannot commit`, "ERR_INVALID_RECORD",
			`smoke: database "app" cannot commit: a record needs a string key property, got undefined`,
			fmt.Errorf("%w: a record needs a string key property, got undefined", idb.ErrInvalidRecord)},
		{"cannot get the node's address", "ERR_TIMEOUT",
			"smoke: cannot get the node's address: it took too long",
			fmt.Errorf("waiting for the hub: %w", context.DeadlineExceeded)},
		{"cannot connect to x:1", "ERR_FAILED",
			"smoke: cannot connect to x:1: ice failed",
			fmt.Errorf("node: peer 0.0.0.1: webrtc: %w", errors.New("ice failed"))},
	} {
		code, _, msg := message(c.what, c.err)
		if code != c.code || msg != c.msg {
			t.Errorf("message(%q, %q)\n = %s %q\nwant %s %q", c.what, c.err, code, msg, c.code, c.msg)
		}
		if p := plainSentenceProblem(msg); p != "" {
			t.Errorf("%q: %s", msg, p)
		}
	}
}
