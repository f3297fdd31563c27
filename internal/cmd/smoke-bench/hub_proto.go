//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync/atomic"
)

// signaller is how the benchmark speaks to one signalling server: join as a client, and have the server relay a
// number to another client. Messages are built and scanned by hand rather than with encoding/json so that the
// benchmark's own cost per message stays small beside the server's: both run on the same two cores.
type signaller interface {
	// join connects a new client and waits until the server has accepted it, returning the connection and the
	// address other clients send to.
	join(ctx context.Context) (*wsConn, string, error)
	// relay appends to b a message asking the server to relay n to the client at address to.
	relay(b []byte, to string, n int64) []byte
	// relayed returns the number in a message the server relayed from another client; ok is false for any other
	// message (an error, an undeliverable report, …).
	relayed(msg []byte) (n int64, ok bool)
}

// smokeHub speaks pkg/hub/PROTOCOL.md version 1.
type smokeHub struct{ url string }

func (s *smokeHub) join(ctx context.Context) (*wsConn, string, error) {
	c, err := dialWS(ctx, s.url+"/?v=1")
	if err != nil {
		return nil, "", err
	}
	b, err := c.readCtx(ctx, nil)
	if err != nil {
		c.close()
		return nil, "", fmt.Errorf("waiting for the binding: %w", err)
	}
	var m struct{ Type, Address string }
	if err := json.Unmarshal(b, &m); err != nil || m.Type != "binding" || m.Address == "" {
		c.close()
		return nil, "", fmt.Errorf("first message is not a binding: %.200s", b)
	}
	return c, m.Address, nil
}

func (s *smokeHub) relay(b []byte, to string, n int64) []byte {
	b = append(b, `{"type":"forward","to":"`...)
	b = append(b, to...)
	b = append(b, `","data":`...)
	b = strconv.AppendInt(b, n, 10)
	return append(b, '}')
}

func (s *smokeHub) relayed(msg []byte) (int64, bool) {
	return numberAt(msg, `"type":"forward"`, `"data":`, "data")
}

// peerJS speaks the protocol of peerjs-server (npm package peer), as read from its source: the client connects to
// /peerjs?key=…&id=…&token=… with an id of its choosing, the server answers {"type":"OPEN"}, and relays an OFFER,
// ANSWER or CANDIDATE message to its "dst" with "src" set, passing "payload" through.
type peerJS struct {
	url  string
	next atomic.Int64 // ids are never reused: a closed client's id may not be released yet
}

func (p *peerJS) join(ctx context.Context) (*wsConn, string, error) {
	id := "bench" + strconv.FormatInt(p.next.Add(1), 10)
	c, err := dialWS(ctx, p.url+"/peerjs?key=peerjs&id="+id+"&token=t"+id)
	if err != nil {
		return nil, "", err
	}
	b, err := c.readCtx(ctx, nil)
	if err != nil {
		c.close()
		return nil, "", fmt.Errorf("waiting for OPEN: %w", err)
	}
	var m struct{ Type string }
	if err := json.Unmarshal(b, &m); err != nil || m.Type != "OPEN" {
		c.close()
		return nil, "", fmt.Errorf("first message is not OPEN: %.200s", b)
	}
	return c, id, nil
}

func (p *peerJS) relay(b []byte, to string, n int64) []byte {
	b = append(b, `{"type":"OFFER","dst":"`...)
	b = append(b, to...)
	b = append(b, `","payload":`...)
	b = strconv.AppendInt(b, n, 10)
	return append(b, '}')
}

func (p *peerJS) relayed(msg []byte) (int64, bool) {
	return numberAt(msg, `"type":"OFFER"`, `"payload":`, "payload")
}

// numberAt finds the integer after key in a compact JSON object that contains typ (both servers write compact JSON
// in a fixed field order); for anything else it falls back to a full decode, where field is the integer's name.
func numberAt(msg []byte, typ, key, field string) (int64, bool) {
	if bytes.Contains(msg, []byte(typ)) {
		if i := bytes.Index(msg, []byte(key)); i >= 0 {
			rest := msg[i+len(key):]
			j := 0
			if j < len(rest) && rest[j] == '-' {
				j++
			}
			for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
				j++
			}
			if j < len(rest) && (rest[j] == '}' || rest[j] == ',') {
				if n, err := strconv.ParseInt(string(rest[:j]), 10, 64); err == nil {
					return n, true
				}
			}
		}
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(msg, &m) != nil {
		return 0, false
	}
	var t string
	json.Unmarshal(m["type"], &t)
	if `"type":"`+t+`"` != typ {
		return 0, false
	}
	var n int64
	if json.Unmarshal(m[field], &n) != nil {
		return 0, false
	}
	return n, true
}
