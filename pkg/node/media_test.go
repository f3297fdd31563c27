package node_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/smokenet/smoke/pkg/node"
)

// TestMedia sends a video and an audio track from one node to another, picks them out by mid, and ends the stream
// from the sender: the receiver sees it end.
func TestMedia(t *testing.T) {
	ns := newNodes(t, 2)
	a, b := ns[0], ns[1]
	bAddr, aAddr := address(t, b), address(t, a)
	ctx := testCtx(t, 30*time.Second)

	s, err := a.SendMedia(ctx, bAddr, []node.LocalTrack{testTrack(t, "video"), testTrack(t, "audio")})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Mids()) != 2 || s.Mids()[0] == s.Mids()[1] {
		t.Fatalf("mids %q: want two different ones", s.Mids())
	}
	r, err := b.ReceiveMedia(ctx, aAddr, s.Mids())
	if err != nil {
		t.Fatal(err)
	}
	kinds := []string{trackKind(r.Tracks()[0]), trackKind(r.Tracks()[1])}
	if !slices.Equal(kinds, []string{"video", "audio"}) {
		t.Fatalf("received kinds %q, want [video audio]", kinds)
	}
	select {
	case <-r.Done():
		t.Fatal("the receiver ended before the sender stopped")
	default:
	}

	s.Close()
	select {
	case <-r.Done():
	case <-ctx.Done():
		t.Fatal("the receiver did not see the sender stop")
	}
}

// TestMediaReceiverGoes: a receiver's Close ends its stream here only; the receiving node closing ends it for the
// sender too.
func TestMediaReceiverGoes(t *testing.T) {
	ns := newNodes(t, 2)
	a, b := ns[0], ns[1]
	bAddr, aAddr := address(t, b), address(t, a)
	ctx := testCtx(t, 30*time.Second)

	s, err := a.SendMedia(ctx, bAddr, []node.LocalTrack{testTrack(t, "video")})
	if err != nil {
		t.Fatal(err)
	}
	r, err := b.ReceiveMedia(ctx, aAddr, s.Mids())
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	select {
	case <-r.Done():
	default:
		t.Fatal("a closed receiver's Done is open")
	}
	select {
	case <-s.Done():
		t.Fatal("the sender ended when the receiver closed only itself")
	case <-time.After(200 * time.Millisecond):
	}
	b.Close()
	select {
	case <-s.Done():
	case <-ctx.Done():
		t.Fatal("the sender did not see the receiving node close")
	}
}

// TestMediaConcurrentStreams sends two streams between the same two nodes at once, one each way and one more
// from a: each receiver gets its own tracks, and ending one leaves the others playing.
func TestMediaConcurrentStreams(t *testing.T) {
	ns := newNodes(t, 2)
	a, b := ns[0], ns[1]
	bAddr, aAddr := address(t, b), address(t, a)
	ctx := testCtx(t, 60*time.Second)

	type stream struct {
		s    *node.MediaSender
		r    *node.MediaReceiver
		kind string
	}
	streams := make([]stream, 3)
	errs := make(chan error, 3)
	for i, c := range []struct {
		from, to *node.Node
		toAddr   string
		kind     string
	}{{a, b, bAddr, "video"}, {a, b, bAddr, "audio"}, {b, a, aAddr, "video"}} {
		go func() {
			s, err := c.from.SendMedia(ctx, c.toAddr, []node.LocalTrack{testTrack(t, c.kind)})
			streams[i] = stream{s: s, kind: c.kind}
			errs <- err
		}()
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for i, from := range []string{aAddr, aAddr, bAddr} {
		to := b
		if i == 2 {
			to = a
		}
		r, err := to.ReceiveMedia(ctx, from, streams[i].s.Mids())
		if err != nil {
			t.Fatalf("stream %d: %v", i, err)
		}
		if k := trackKind(r.Tracks()[0]); k != streams[i].kind {
			t.Fatalf("stream %d: got a %s track, want %s", i, k, streams[i].kind)
		}
		streams[i].r = r
	}
	streams[0].s.Close()
	select {
	case <-streams[0].r.Done():
	case <-ctx.Done():
		t.Fatal("stream 0 did not end")
	}
	time.Sleep(200 * time.Millisecond)
	for _, st := range streams[1:] {
		select {
		case <-st.r.Done():
			t.Fatal("ending stream 0 ended another")
		default:
		}
	}
}

// TestMediaTransceiversBounded runs many short streams in a row between two nodes: stopped transceivers do not pile
// up on the peer connection.
func TestMediaTransceiversBounded(t *testing.T) {
	ns := newNodes(t, 2)
	a, b := ns[0], ns[1]
	bAddr, aAddr := address(t, b), address(t, a)
	ctx := testCtx(t, 120*time.Second)
	const runs = 30
	most := 0
	for i := range runs {
		s, err := a.SendMedia(ctx, bAddr, []node.LocalTrack{testTrack(t, "video")})
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		r, err := b.ReceiveMedia(ctx, aAddr, s.Mids())
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		s.Close()
		select {
		case <-r.Done():
		case <-ctx.Done():
			t.Fatalf("run %d: the stream did not end", i)
		}
		most = max(most, node.Transceivers(a, bAddr), node.Transceivers(b, aAddr))
	}
	t.Logf("at most %d transceivers on either side over %d streams", most, runs)
	if most > 4 {
		t.Fatalf("%d transceivers after %d sequential streams: stopped ones pile up", most, runs)
	}
}

// TestMediaStreamLimit: a node sends at most MaxMediaStreams streams to one node at once (each costs an encode);
// one more fails with ErrTooManyStreams, and ending one makes room.
func TestMediaStreamLimit(t *testing.T) {
	ns := newNodes(t, 2)
	a, b := ns[0], ns[1]
	bAddr := address(t, b)
	address(t, a)
	ctx := testCtx(t, 120*time.Second)
	var senders []*node.MediaSender
	for i := range node.MaxMediaStreams {
		s, err := a.SendMedia(ctx, bAddr, []node.LocalTrack{testTrack(t, "audio")})
		if err != nil {
			t.Fatalf("stream %d: %v", i, err)
		}
		senders = append(senders, s)
	}
	if _, err := a.SendMedia(ctx, bAddr, []node.LocalTrack{testTrack(t, "audio")}); !errors.Is(err, node.ErrTooManyStreams) {
		t.Fatalf("stream %d: %v, want ErrTooManyStreams", node.MaxMediaStreams, err)
	}
	senders[0].Close()
	if _, err := a.SendMedia(ctx, bAddr, []node.LocalTrack{testTrack(t, "audio")}); err != nil {
		t.Fatalf("after one ended: %v", err)
	}
}

// TestMediaBothWaysAtOnce starts a stream each way at the same moment between two nodes that are already connected,
// ten times over, on reused transceivers: every stream gets through, on the one peer connection, and the socket
// that shares it keeps working. Between two native nodes neither side can roll back an offer, so an offer
// collision used to fail the connection; they now take turns (signal.Turn).
func TestMediaBothWaysAtOnce(t *testing.T) {
	ns := newNodes(t, 2)
	a, b := ns[0], ns[1]
	bAddr, aAddr := address(t, b), address(t, a)
	ctx := testCtx(t, 60*time.Second)
	echo(t, b, 7)
	sock, err := a.Dial(ctx, bAddr, 7)
	if err != nil {
		t.Fatal(err)
	}
	defer sock.Close(node.StatusNormalClosure, "")
	for round := range 10 {
		var fromA, fromB *node.MediaSender
		errs := make(chan error, 2)
		go func() {
			var err error
			fromA, err = a.SendMedia(ctx, bAddr, []node.LocalTrack{testTrack(t, "video")})
			errs <- err
		}()
		go func() {
			var err error
			fromB, err = b.SendMedia(ctx, aAddr, []node.LocalTrack{testTrack(t, "video")})
			errs <- err
		}()
		for range 2 {
			if err := <-errs; err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
		atB, err := b.ReceiveMedia(ctx, aAddr, fromA.Mids())
		if err != nil {
			t.Fatalf("round %d: b receiving a's stream: %v", round, err)
		}
		atA, err := a.ReceiveMedia(ctx, bAddr, fromB.Mids())
		if err != nil {
			t.Fatalf("round %d: a receiving b's stream: %v", round, err)
		}
		for _, r := range []*node.MediaReceiver{atB, atA} {
			if err := flowing(r.Tracks()[0]); err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
		fromA.Close()
		fromB.Close()
	}
	msg := []byte("still there")
	if err := sock.Write(ctx, node.MessageText, msg); err != nil {
		t.Fatal(err)
	}
	if _, got, err := sock.Read(ctx); err != nil || string(got) != string(msg) {
		t.Fatalf("the socket after the streams: %q, %v", got, err)
	}
	if got := a.Stats().PeerConnectionsCreated; got != 1 {
		t.Fatalf("a made %d peer connections, want 1", got)
	}
}
