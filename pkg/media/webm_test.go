//go:build !js

package media_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media/oggwriter"

	"github.com/smokenet/smoke/pkg/media"
	"github.com/smokenet/smoke/pkg/node"
)

// testVP8Keyframes is testIVF with each frame given a VP8 keyframe header (RFC 6386 §9.1: start code, 320×240),
// which a WebM recording reads its picture size from.
func testVP8Keyframes(frames int) (ivf []byte, payloads [][]byte) {
	ivf, payloads = testIVF(frames)
	at := 32
	for _, p := range payloads {
		at += 12
		hdr := []byte{0x9d, 0x01, 0x2a, 320 & 0xff, 320 >> 8, 240 & 0xff, 240 >> 8}
		copy(p[3:], hdr)
		copy(ivf[at+3:], hdr)
		at += len(p)
	}
	return ivf, payloads
}

// testOgg is an Ogg stream of n Opus packets of 20 ms with random payloads (nothing decodes them).
func testOgg(t *testing.T, n int) (ogg []byte, payloads [][]byte) {
	var b bytes.Buffer
	w, err := oggwriter.NewWith(nopWriteCloser{&b}, 48000, 2)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	for i := range n {
		p := make([]byte, 60+r.IntN(100))
		for j := range p {
			p[j] = byte(r.Uint32())
		}
		p[0] = 0xfc // TOC: CELT fullband 20 ms, stereo, one frame (oggwriter reads it)
		payloads = append(payloads, p)
		if err := w.WriteRTP(&rtp.Packet{Header: rtp.Header{SequenceNumber: uint16(i), Timestamp: uint32(i * 960)}, Payload: p}); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	return b.Bytes(), payloads
}

type nopWriteCloser struct{ io.Writer }

var errDiskFull = errors.New("disk full")

// failingWriter takes left bytes, then fails.
type failingWriter struct{ left int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.left {
		return 0, errDiskFull
	}
	w.left -= len(p)
	return len(p), nil
}

func (nopWriteCloser) Close() error { return nil }

// inOrder checks that got is a run of want, in order, with at least nine in ten of want's frames.
func inOrder(t *testing.T, what string, got, want [][]byte) {
	t.Helper()
	if len(got) < len(want)*9/10 {
		t.Fatalf("%s: %d frames of %d", what, len(got), len(want))
	}
	first := -1
	for i, p := range want {
		if bytes.Equal(p, got[0]) {
			first = i
			break
		}
	}
	if first < 0 {
		t.Fatalf("%s: the first frame is not one that was sent", what)
	}
	for i, f := range got {
		if first+i >= len(want) || !bytes.Equal(f, want[first+i]) {
			t.Fatalf("%s: frame %d differs from sent frame %d", what, i, first+i)
		}
	}
}

// readAll reads every frame of each track at once (the tracks of a WebM are one interleaved stream), with the
// total of the durations.
func readAll(t *testing.T, frs []media.FrameReader) (frames [][][]byte, durations []time.Duration) {
	t.Helper()
	frames = make([][][]byte, len(frs))
	durations = make([]time.Duration, len(frs))
	errs := make(chan error, len(frs))
	for i, fr := range frs {
		go func() {
			for {
				f, d, err := fr.ReadFrame()
				if errors.Is(err, io.EOF) {
					errs <- nil
					return
				}
				if err != nil {
					errs <- err
					return
				}
				frames[i] = append(frames[i], f)
				durations[i] += d
			}
		}()
	}
	for range frs {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	return frames, durations
}

// TestRecordWebM: a Go node serves VP8 video and Opus audio as one media response; another records both into one
// WebM file, which WebM reads back as the frames that were sent, in order, at their timing; and a Go node serves
// that file again (both tracks), which records as the same frames.
func TestRecordWebM(t *testing.T) {
	ivf, video := testVP8Keyframes(60) // 2 s
	ogg, audio := testOgg(t, 100)      // 2 s
	var recorded bytes.Buffer
	_, client, addr := twoNodes(t, func(n *node.Node) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var tracks []*media.Track
			if r.URL.Path == "/recording" {
				frs, err := media.WebM(bytes.NewReader(recorded.Bytes()))
				if err != nil {
					http.Error(w, err.Error(), 500)
					return
				}
				for i, fr := range frs {
					tr, err := media.NewTrack(fr, []string{"video", "audio"}[i])
					if err != nil {
						http.Error(w, err.Error(), 500)
						return
					}
					tracks = append(tracks, tr)
				}
			} else {
				vr, err := media.IVF(bytes.NewReader(ivf))
				if err != nil {
					http.Error(w, err.Error(), 500)
					return
				}
				ar, err := media.Ogg(bytes.NewReader(ogg))
				if err != nil {
					http.Error(w, err.Error(), 500)
					return
				}
				vt, _ := media.NewTrack(vr, "video")
				at, _ := media.NewTrack(ar, "audio")
				tracks = []*media.Track{vt, at}
			}
			media.ServeTracks(w, r, n, tracks...)
		})
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	record := func(path string, w io.Writer) int {
		t.Helper()
		s := receive(ctx, t, client, "rest://"+addr+path)
		defer s.Close()
		if k := s.Kinds(); len(k) != 2 || k[0] != "video" || k[1] != "audio" {
			t.Fatalf("%s: kinds %q", path, k)
		}
		n, err := s.RecordWebM(ctx, w)
		if err != nil {
			t.Fatalf("%s: RecordWebM: %v", path, err)
		}
		return n
	}
	n := record("/live", &recorded)
	if !bytes.HasPrefix(recorded.Bytes(), []byte{0x1a, 0x45, 0xdf, 0xa3}) {
		t.Fatal("the recording does not start with an EBML header")
	}
	frs, err := media.WebM(bytes.NewReader(recorded.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if len(frs) != 2 || !strings.EqualFold(frs[0].Codec().MimeType, "video/VP8") || !strings.EqualFold(frs[1].Codec().MimeType, "audio/opus") {
		t.Fatalf("tracks read back: %d", len(frs))
	}
	got, durs := readAll(t, frs)
	t.Logf("recorded %d frames, %d bytes: %d video frames (%v), %d audio (%v)", n, recorded.Len(), len(got[0]), durs[0], len(got[1]), durs[1])
	inOrder(t, "video", got[0], video)
	inOrder(t, "audio", got[1], audio)
	for i, d := range durs {
		if d < 1500*time.Millisecond || d > 2500*time.Millisecond {
			t.Errorf("track %d lasts %v; 2 s were sent", i, d)
		}
	}

	// A writer that fails (a full disk) fails the recording at once; it does not hang it.
	s := receive(ctx, t, client, "rest://"+addr+"/live")
	start := time.Now()
	if _, err := s.RecordWebM(ctx, &failingWriter{left: 20_000}); !errors.Is(err, errDiskFull) {
		t.Fatalf("recording into a failing writer: %v, want %v", err, errDiskFull)
	}
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Errorf("recording into a failing writer took %v to fail; the stream lasts 2 s", d)
	}
	s.Close()

	var again bytes.Buffer
	record("/recording", &again)
	frs, err = media.WebM(bytes.NewReader(again.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	got2, _ := readAll(t, frs)
	inOrder(t, "video served from the WebM", got2[0], got[0])
	inOrder(t, "audio served from the WebM", got2[1], got[1])
}

// silence is an Opus track that never has a frame, as a live source that has not started: ReadFrame waits until
// Close.
type silence struct {
	once   sync.Once
	closed chan struct{}
}

func (s *silence) Codec() webrtc.RTPCodecCapability {
	return webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}
}

func (s *silence) ReadFrame() ([]byte, time.Duration, error) {
	<-s.closed
	return nil, 0, io.EOF
}

func (s *silence) Close() error {
	s.once.Do(func() { close(s.closed) })
	return nil
}

// TestRecordWebMSilentTrack: a track that never sends a packet does not keep a WebM recording from starting: the
// file starts without it, about a second after the first track's first packet, and holds the video that came.
func TestRecordWebMSilentTrack(t *testing.T) {
	ivf, video := testVP8Keyframes(120) // 4 s
	_, client, addr := twoNodes(t, func(n *node.Node) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			vr, err := media.IVF(bytes.NewReader(ivf))
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			vt, _ := media.NewTrack(vr, "video")
			at, _ := media.NewTrack(&silence{closed: make(chan struct{})}, "audio")
			media.ServeTracks(w, r, n, vt, at)
		})
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s := receive(ctx, t, client, "rest://"+addr+"/live")
	defer s.Close()
	var recorded bytes.Buffer
	rctx, rcancel := context.WithTimeout(ctx, 4*time.Second) // the silent track never ends the stream
	n, err := s.RecordWebM(rctx, &recorded)
	rcancel()
	if err != nil {
		t.Fatalf("RecordWebM: %v", err)
	}
	frs, err := media.WebM(bytes.NewReader(recorded.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if len(frs) != 1 || !strings.EqualFold(frs[0].Codec().MimeType, "video/VP8") {
		t.Fatalf("%d tracks in the file, want the video alone", len(frs))
	}
	got, durs := readAll(t, frs)
	t.Logf("recorded %d frames: %v of video", n, durs[0])
	if durs[0] < 2*time.Second {
		t.Errorf("%v of video recorded; 4 s were sent, and the file should start about 1 s in", durs[0])
	}
	for i, f := range got[0] {
		if !slices.ContainsFunc(video, func(v []byte) bool { return bytes.Equal(v, f) }) {
			t.Fatalf("frame %d of the file was not sent", i)
		}
	}
}

// TestWebMBadInput: what is not a WebM of servable tracks is an error, not a panic or a hang.
func TestWebMBadInput(t *testing.T) {
	for name, b := range map[string][]byte{
		"empty":     nil,
		"not EBML":  []byte("RIFF....WAVEfmt "),
		"truncated": {0x1a, 0x45, 0xdf, 0xa3, 0x9f},
	} {
		done := make(chan struct{})
		go func() {
			defer close(done)
			frs, err := media.WebM(bytes.NewReader(b))
			if err == nil {
				for _, fr := range frs {
					if _, _, err := fr.ReadFrame(); err == nil {
						t.Errorf("%s: a frame was read", name)
					}
				}
			}
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: WebM did not return", name)
		}
	}
}

// FuzzWebM: any bytes give tracks or an error, never a panic (ebml-go reads in goroutines of its own, where a panic
// could not be recovered).
func FuzzWebM(f *testing.F) {
	f.Add([]byte{0x1a, 0x45, 0xdf, 0xa3, 0x9f})
	f.Add([]byte("RIFF....WAVEfmt "))
	f.Fuzz(func(t *testing.T, b []byte) {
		frs, err := media.WebM(bytes.NewReader(b))
		if err != nil {
			return
		}
		for _, fr := range frs {
			for range 1000 {
				if _, _, err := fr.ReadFrame(); err != nil {
					break
				}
			}
			fr.(io.Closer).Close()
		}
	})
}
