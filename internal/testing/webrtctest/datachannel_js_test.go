//go:build js

package webrtctest

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// TestDataChannel connects two RTCPeerConnections of one page, with the
// offer, the answer and the ICE candidates passed in process and no STUN
// server, then sends a text and a binary message each way and closes.
func TestDataChannel(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	// The trickle goroutines call t, so they must end before the test does:
	// cancel, then wait.
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()

	offerer, offererCandidates := newPeer(ctx, t, "offerer")
	answerer, answererCandidates := newPeer(ctx, t, "answerer")

	// The channel must exist before the offer, so the offer has a data
	// section.
	dc, err := offerer.CreateDataChannel("test", nil)
	if err != nil {
		t.Fatal(err)
	}
	opened, offererClosed := make(chan struct{}), make(chan struct{})
	dc.OnOpen(func() { close(opened) })
	dc.OnClose(func() { close(offererClosed) })
	offererGot := make(chan webrtc.DataChannelMessage, 2)
	dc.OnMessage(func(m webrtc.DataChannelMessage) { offererGot <- m })

	// The answerer's channel, with its handlers set: the offerer sends only
	// once they are, or a message could find no handler.
	answererDC := make(chan *webrtc.DataChannel, 1)
	answererGot := make(chan webrtc.DataChannelMessage, 2)
	answererClosed := make(chan struct{})
	answerer.OnDataChannel(func(d *webrtc.DataChannel) {
		d.OnMessage(func(m webrtc.DataChannelMessage) { answererGot <- m })
		d.OnClose(func() { close(answererClosed) })
		answererDC <- d
	})

	offer, err := offerer.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := offerer.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	if err := answerer.SetRemoteDescription(offer); err != nil {
		t.Fatal(err)
	}
	answer, err := answerer.CreateAnswer(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := answerer.SetLocalDescription(answer); err != nil {
		t.Fatal(err)
	}
	if err := offerer.SetRemoteDescription(answer); err != nil {
		t.Fatal(err)
	}
	// A candidate can only be added once the remote description is set;
	// until now the candidates waited in their channels.
	wg.Go(func() { trickle(ctx, t, offererCandidates, answerer) })
	wg.Go(func() { trickle(ctx, t, answererCandidates, offerer) })

	wait(ctx, t, opened, "the offerer's channel to open")
	remote := wait(ctx, t, answererDC, "the answerer's channel")

	binary := make([]byte, 1024)
	for i := range binary {
		binary[i] = byte(i) // every byte value, 0x00 and 0xff included
	}
	reversed := bytes.Clone(binary)
	for i, j := 0, len(reversed)-1; i < j; i, j = i+1, j-1 {
		reversed[i], reversed[j] = reversed[j], reversed[i]
	}
	send(t, dc, "ping ✓", binary)
	checkMessages(ctx, t, "answerer", answererGot, "ping ✓", binary)
	send(t, remote, "pong ✓", reversed)
	checkMessages(ctx, t, "offerer", offererGot, "pong ✓", reversed)

	if err := dc.Close(); err != nil {
		t.Fatal(err)
	}
	wait(ctx, t, offererClosed, "the offerer's channel to close")
	wait(ctx, t, answererClosed, "the answerer's channel to close")
	for _, pc := range []*webrtc.PeerConnection{offerer, answerer} {
		if err := pc.Close(); err != nil {
			t.Fatal(err)
		}
		if s := pc.ConnectionState(); s != webrtc.PeerConnectionStateClosed {
			t.Errorf("connection state after Close = %s, want closed", s)
		}
	}
}

// newPeer returns a PeerConnection that has no ICE server, and the channel
// its candidates arrive on until ctx ends. The test closes it at the end.
func newPeer(ctx context.Context, t *testing.T, name string) (*webrtc.PeerConnection, <-chan candidate) {
	t.Helper()
	pc, err := webrtc.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	candidates := make(chan candidate, 16)
	// The handler runs in a goroutine that the test does not wait for, so it
	// leaves t alone: trickle checks and logs.
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c == nil {
			return // gathering is complete
		}
		select {
		case candidates <- candidate{from: name, c: *c}:
		case <-ctx.Done():
		}
	})
	return pc, candidates
}

type candidate struct {
	from string
	c    webrtc.ICECandidate
}

// trickle adds the candidates to pc until ctx ends.
func trickle(ctx context.Context, t *testing.T, candidates <-chan candidate, pc *webrtc.PeerConnection) {
	for {
		select {
		case c := <-candidates:
			init := candidateInit(c.c)
			t.Logf("%s: %s", c.from, init.Candidate)
			// Chromium hands out mDNS names instead of addresses unless the
			// page may use media, which --use-fake-ui-for-media-stream
			// grants. A name cannot connect in a namespace that has only lo.
			if strings.HasSuffix(c.c.Address, ".local") {
				t.Errorf("%s: mDNS candidate %s: the browser hides its addresses", c.from, c.c)
			}
			if err := pc.AddICECandidate(init); err != nil {
				t.Errorf("%s: adding %s: %v", c.from, init.Candidate, err)
			}
		case <-ctx.Done():
			return
		}
	}
}

// candidateInit is c.ToJSON(), fixed for pion under js. pion builds the
// candidate anew from the fields of the browser's RTCIceCandidate, and
// Chromium gives an IPv6 address in brackets, "[::1]", which pion cannot
// parse: ToJSON then returns the empty candidate "candidate:".
func candidateInit(c webrtc.ICECandidate) webrtc.ICECandidateInit {
	c.Address = strings.TrimSuffix(strings.TrimPrefix(c.Address, "["), "]")
	return c.ToJSON()
}

// send sends text as a text message and binary as a binary one.
func send(t *testing.T, dc *webrtc.DataChannel, text string, binary []byte) {
	t.Helper()
	if err := dc.SendText(text); err != nil {
		t.Fatal(err)
	}
	if err := dc.Send(binary); err != nil {
		t.Fatal(err)
	}
}

// checkMessages receives two messages and checks that they are text and
// binary, in any order: under js, pion calls the handler from a new
// goroutine for each message, so it does not promise the order of the calls.
func checkMessages(ctx context.Context, t *testing.T, who string, got <-chan webrtc.DataChannelMessage, text string, binary []byte) {
	t.Helper()
	for range 2 {
		m := wait(ctx, t, got, who+"'s messages")
		switch {
		case m.IsString && string(m.Data) != text:
			t.Errorf("%s: text message %q, want %q", who, m.Data, text)
		case !m.IsString && !bytes.Equal(m.Data, binary):
			t.Errorf("%s: binary message of %d bytes % x..., want %d bytes % x...", who, len(m.Data), m.Data[:min(8, len(m.Data))], len(binary), binary[:8])
		}
		text, binary = mark(m.IsString, text, binary)
	}
}

// mark returns text and binary with the kind just received replaced by an
// impossible value, so that a second message of the same kind fails.
func mark(isString bool, text string, binary []byte) (string, []byte) {
	if isString {
		return "\x00<text again>", binary
	}
	return text, []byte("\x00<binary again>")
}

// wait returns the next value of ch, or fails the test when ctx ends first.
func wait[T any](ctx context.Context, t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-ctx.Done():
		t.Fatalf("waiting for %s: %v", what, context.Cause(ctx))
		panic("unreachable")
	}
}
