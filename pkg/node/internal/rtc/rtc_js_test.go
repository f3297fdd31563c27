//go:build js

package rtc

import (
	"bytes"
	"fmt"
	"testing"
	"time"
)

// pair connects two peer connections in this page: offer/answer by hand, candidates trickled once each side has
// its remote description. Chromium's flags in the test runner keep ICE on loopback.
func pair(t *testing.T, open func(a *PeerConnection)) (a, b *PeerConnection) {
	t.Helper()
	api := NewAPI(nil)
	var err error
	if a, err = api.NewPeerConnection(Configuration{}); err != nil {
		t.Fatal(err)
	}
	if b, err = api.NewPeerConnection(Configuration{}); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { close(done); a.Close(); b.Close() })
	forward := func(from, to *PeerConnection) chan struct{} {
		ready := make(chan struct{})
		cands := make(chan ICECandidateInit, 64)
		from.OnICECandidate(func(c ICECandidateInit) {
			select {
			case cands <- c:
			default: // never block the event; a loopback host has a handful of candidates
			}
		})
		go func() {
			select {
			case <-ready:
			case <-done:
				return
			}
			for {
				select {
				case c := <-cands:
					_ = to.AddICECandidate(c) // an unusable candidate is not fatal; ICE uses the others
				case <-done:
					return
				}
			}
		}()
		return ready
	}
	aReady, bReady := forward(b, a), forward(a, b)
	open(a)
	// The one-step negotiation pkg/node uses (SetLocalOfferOrAnswer): an offer from the stable state, an answer
	// from have-remote-offer, each the description now set.
	offer, err := a.SetLocalOfferOrAnswer()
	must(t, err)
	if offer.Type != SDPTypeOffer || a.SignalingState() != "have-local-offer" || a.LocalDescription().SDP != offer.SDP {
		t.Fatalf("SetLocalOfferOrAnswer from stable: %s, state %s", offer.Type, a.SignalingState())
	}
	must(t, b.SetRemoteDescription(offer))
	close(bReady)
	answer, err := b.SetLocalOfferOrAnswer()
	must(t, err)
	if answer.Type != SDPTypeAnswer || b.SignalingState() != SignalingStateStable {
		t.Fatalf("SetLocalOfferOrAnswer from have-remote-offer: %s, state %s", answer.Type, b.SignalingState())
	}
	must(t, a.SetRemoteDescription(answer))
	close(aReady)
	return a, b
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wait(t *testing.T, c <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(30 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}

func TestDataChannelInOrder(t *testing.T) {
	const n = 300
	var dc *DataChannel
	opened, echoed, closed := make(chan struct{}), make(chan struct{}), make(chan struct{})
	var got [][]byte
	a, b := pair(t, func(a *PeerConnection) {
		var err error
		dc, err = a.CreateDataChannel("7000")
		must(t, err)
		dc.OnOpen(func() { close(opened) })
		dc.OnMessage(func(m []byte) {
			got = append(got, m) // handlers run one at a time, in order
			if len(got) == n {
				close(echoed)
			}
		})
		dc.OnClose(func() { close(closed) })
	})
	labels := make(chan string, 1)
	b.OnDataChannel(func(d *DataChannel) {
		labels <- d.Label()
		d.OnMessage(func(m []byte) { d.Send(m) }) // echo
	})
	wait(t, opened, "open")
	if l := <-labels; l != "7000" {
		t.Fatalf("label %q", l)
	}
	for i := range n {
		must(t, dc.Send(fmt.Appendf(nil, "message %d", i)))
	}
	wait(t, echoed, "echoes")
	for i, m := range got {
		if want := fmt.Appendf(nil, "message %d", i); !bytes.Equal(m, want) {
			t.Fatalf("message %d is %q", i, m)
		}
	}
	if s := a.ConnectionState(); s != PeerConnectionStateConnected && s != PeerConnectionStateConnecting {
		t.Errorf("state %s", s)
	}
	// The remote closing the connection closes the channel here.
	b.Close()
	wait(t, closed, "close after the remote closed")
}

// TestRollback is renegotiation glare as perfect negotiation resolves it: both offer, the polite side rolls back.
func TestRollback(t *testing.T) {
	opened := make(chan struct{})
	a, b := pair(t, func(a *PeerConnection) {
		dc, err := a.CreateDataChannel("1")
		must(t, err)
		dc.OnOpen(func() { close(opened) })
	})
	wait(t, opened, "open")
	ao, err := a.CreateOffer()
	must(t, err)
	must(t, a.SetLocalDescription(ao))
	bo, err := b.CreateOffer()
	must(t, err)
	must(t, b.SetLocalDescription(bo))
	if b.SignalingState() == SignalingStateStable {
		t.Fatal("b is stable after its offer")
	}
	must(t, b.SetLocalDescription(SessionDescription{Type: SDPTypeRollback}))
	must(t, b.SetRemoteDescription(ao))
	ans, err := b.CreateAnswer()
	must(t, err)
	must(t, b.SetLocalDescription(ans))
	must(t, a.SetRemoteDescription(ans))
	if a.SignalingState() != SignalingStateStable || b.SignalingState() != SignalingStateStable {
		t.Fatalf("states %s %s", a.SignalingState(), b.SignalingState())
	}
	if d := a.CurrentRemoteDescription(); d == nil || d.Type != SDPTypeAnswer {
		t.Fatalf("current remote description %+v", d)
	}
}

func TestClosed(t *testing.T) {
	pc, err := NewAPI(nil).NewPeerConnection(Configuration{ICEServers: []ICEServer{{URLs: []string{"stun:127.0.0.1:3478"}}}})
	must(t, err)
	must(t, pc.Close())
	must(t, pc.Close())
	if _, err := pc.CreateOffer(); err == nil {
		t.Fatal("CreateOffer on a closed connection succeeded")
	}
	if s := pc.SignalingState(); s != "closed" {
		t.Fatalf("signalling state %s", s)
	}
}
