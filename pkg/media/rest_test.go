//go:build !js

package media_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"github.com/pion/webrtc/v4/pkg/media/ivfreader"

	"github.com/smokenet/smoke/internal/testing/webrtctest"
	"github.com/smokenet/smoke/pkg/hub"
	"github.com/smokenet/smoke/pkg/media"
	"github.com/smokenet/smoke/pkg/node"
	"github.com/smokenet/smoke/pkg/rest"
)

// receive fetches url from client and takes the media response, failing the test if either fails.
func receive(ctx context.Context, t *testing.T, client *node.Node, url string) *media.Stream {
	t.Helper()
	resp, err := rest.NewClient(client).Get(url)
	if err != nil {
		t.Fatal(err)
	}
	s, err := media.Receive(ctx, client, resp)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// twoNodes makes a server and a client node on one page hub, and serves h on the server's port 80.
func twoNodes(t *testing.T, h func(n *node.Node) http.Handler) (server, client *node.Node, serverAddr string) {
	t.Helper()
	ph := hub.NewPageHub(nil)
	server = node.New(&node.Options{Hub: ph.Join(), WebRTC: webrtctest.Loopback()})
	client = node.New(&node.Options{Hub: ph.Join(), WebRTC: webrtctest.Loopback()})
	t.Cleanup(func() { client.Close(); server.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	addr, err := server.Address(ctx)
	if err != nil {
		t.Fatal(err)
	}
	l, err := server.Listen(80)
	if err != nil {
		t.Fatal(err)
	}
	srv := &rest.Server{Handler: h(server)}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return server, client, addr
}

// testIVF is an IVF stream of frames VP8 frames at 30 fps with random payloads (first byte even: each a
// keyframe, as a VP8 depacketizer tells them); nothing decodes them, so they need not be real pictures.
func testIVF(frames int) (ivf []byte, payloads [][]byte) {
	var b bytes.Buffer
	h := make([]byte, 32)
	copy(h, "DKIF")
	binary.LittleEndian.PutUint16(h[6:], 32)
	copy(h[8:], "VP80")
	binary.LittleEndian.PutUint16(h[12:], 320)
	binary.LittleEndian.PutUint16(h[14:], 240)
	binary.LittleEndian.PutUint32(h[16:], 30) // timebase 1/30
	binary.LittleEndian.PutUint32(h[20:], 1)
	binary.LittleEndian.PutUint32(h[24:], uint32(frames))
	b.Write(h)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range frames {
		p := make([]byte, 500+r.IntN(3000))
		for j := range p {
			p[j] = byte(r.Uint32())
		}
		p[0] &^= 1
		payloads = append(payloads, p)
		fh := make([]byte, 12)
		binary.LittleEndian.PutUint32(fh, uint32(len(p)))
		binary.LittleEndian.PutUint64(fh[4:], uint64(i))
		b.Write(fh)
		b.Write(p)
	}
	return b.Bytes(), payloads
}

// TestServeAndRecord: a Go node serves VP8 from an IVF as a media response; another fetches it, records what it
// receives as IVF, and gets the frames that were sent, until the server's source ends and the stream with it.
func TestServeAndRecord(t *testing.T) {
	ivf, payloads := testIVF(45)
	served := make(chan error, 1)
	_, client, addr := twoNodes(t, func(n *node.Node) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fr, err := media.IVF(bytes.NewReader(ivf))
			if err != nil {
				served <- err
				return
			}
			track, err := media.NewTrack(fr, "video")
			if err != nil {
				served <- err
				return
			}
			served <- media.ServeTracks(w, r, n, track)
		})
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := receive(ctx, t, client, "rest://"+addr+"/video")
	if k := s.Kinds(); len(k) != 1 || k[0] != "video" {
		t.Fatalf("kinds %q", k)
	}
	var out bytes.Buffer
	packets, err := s.Record(ctx, 0, &out)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.Done():
	case <-ctx.Done():
		t.Fatal("the stream did not end when the source did")
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	r, _, err := ivfreader.NewWith(&out)
	if err != nil {
		t.Fatalf("the recording is not IVF: %v", err)
	}
	var got [][]byte
	for {
		f, _, err := r.ParseNextFrame()
		if err != nil {
			break
		}
		got = append(got, f)
	}
	t.Logf("%d RTP packets, %d of %d frames recorded", packets, len(got), len(payloads))
	if len(got) < len(payloads)*9/10 {
		t.Fatalf("recorded %d frames of %d sent", len(got), len(payloads))
	}
	// Frames come in order; those recorded must be exactly frames that were sent, in a row.
	first := -1
	for i, p := range payloads {
		if bytes.Equal(p, got[0]) {
			first = i
		}
	}
	if first < 0 {
		t.Fatal("the first recorded frame is not one that was sent")
	}
	for i, f := range got {
		if first+i >= len(payloads) || !bytes.Equal(f, payloads[first+i]) {
			t.Fatalf("recorded frame %d differs from sent frame %d", i, first+i)
		}
	}
}

// TestClientStops: the client closing the stream ends the server's Serve.
func TestClientStops(t *testing.T) {
	ivf, _ := testIVF(3000) // 100 s: the source does not end on its own
	served := make(chan error, 1)
	_, client, addr := twoNodes(t, func(n *node.Node) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fr, _ := media.IVF(bytes.NewReader(ivf))
			track, _ := media.NewTrack(fr, "video")
			served <- media.ServeTracks(w, r, n, track)
		})
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := receive(ctx, t, client, "rest://"+addr+"/video")
	s.Close()
	select {
	case err := <-served:
		if err != nil {
			t.Fatal(err)
		}
	case <-ctx.Done():
		t.Fatal("Serve did not return after the client closed the stream")
	}
}

// TestNotMediaAndBadDescriptors: Receive refuses a response of another kind, and descriptors that break SPEC.md.
func TestNotMediaAndBadDescriptors(t *testing.T) {
	_, client, addr := twoNodes(t, func(n *node.Node) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/bytes":
				io.WriteString(w, "hello")
			case "/junk":
				rest.SetBodyKind(w, rest.KindMedia)
				io.WriteString(w, "not json\n")
			case "/long":
				rest.SetBodyKind(w, rest.KindMedia)
				w.Write(bytes.Repeat([]byte("x"), 10000))
			case "/unknown-mid":
				rest.SetBodyKind(w, rest.KindMedia)
				io.WriteString(w, `{"mids":["nope"],"kinds":["video"]}`+"\n")
			}
		})
	})
	c := rest.NewClient(client)
	for path, want := range map[string]error{"/bytes": media.ErrNotMedia, "/junk": media.ErrProtocol, "/long": media.ErrProtocol,
		"/unknown-mid": context.DeadlineExceeded} {
		resp, err := c.Get("rest://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err = media.Receive(ctx, client, resp)
		cancel()
		if !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", path, err, want)
		}
	}
}
