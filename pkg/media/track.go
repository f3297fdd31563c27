//go:build !js

package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/pion/webrtc/v4"
	pionmedia "github.com/pion/webrtc/v4/pkg/media"
	"github.com/pion/webrtc/v4/pkg/media/ivfreader"
	"github.com/pion/webrtc/v4/pkg/media/oggreader"

	"github.com/smokenet/smoke/pkg/node"
)

// FrameReader gives encoded media one frame at a time: a video frame, or an Opus packet (an Ogg page's worth).
type FrameReader interface {
	// Codec is what the frames are: VP8, VP9 or AV1 video at 90 kHz, or Opus audio at 48 kHz.
	Codec() webrtc.RTPCodecCapability
	// ReadFrame returns the next frame and how long it lasts; io.EOF after the last.
	ReadFrame() (frame []byte, duration time.Duration, err error)
}

// IVF reads VP8, VP9 or AV1 frames from an IVF stream (the format of libvpx's tools, and of pion's examples).
func IVF(r io.Reader) (FrameReader, error) {
	ir, h, err := ivfreader.NewWith(r)
	if err != nil {
		return nil, fmt.Errorf("media: IVF: %w", err)
	}
	mime := map[string]string{"VP80": webrtc.MimeTypeVP8, "VP90": webrtc.MimeTypeVP9, "AV01": webrtc.MimeTypeAV1}[h.FourCC]
	if mime == "" {
		return nil, fmt.Errorf("media: IVF: codec %q is not VP8, VP9 or AV1", h.FourCC)
	}
	return &ivfFrames{r: ir, codec: webrtc.RTPCodecCapability{MimeType: mime, ClockRate: 90000}, frame: time.Second / 30,
		num: uint64(h.TimebaseNumerator), den: uint64(h.TimebaseDenominator)}, nil
}

type ivfFrames struct {
	r      *ivfreader.IVFReader
	codec  webrtc.RTPCodecCapability
	next   []byte
	nextTS uint64
	primed bool
	frame  time.Duration // the last frame's duration, reused for the final one
	// The stream's timebase is num/den seconds. ivfreader reports a frame's time as pts·den/num, so a gap of g
	// in its timestamps is g·num/den ticks of num/den seconds: g·num²/den² seconds.
	num, den uint64
}

func (f *ivfFrames) Codec() webrtc.RTPCodecCapability { return f.codec }

// ReadFrame reads one frame ahead: a frame's duration is the gap to the next one's timestamp.
func (f *ivfFrames) ReadFrame() ([]byte, time.Duration, error) {
	if !f.primed {
		f.primed = true
		b, h, err := f.r.ParseNextFrame()
		if err != nil {
			return nil, 0, eof(err)
		}
		f.next, f.nextTS = b, h.Timestamp
	}
	if f.next == nil {
		return nil, 0, io.EOF
	}
	cur, ts := f.next, f.nextTS
	b, h, err := f.r.ParseNextFrame()
	switch {
	case err == nil:
		f.next, f.nextTS = b, h.Timestamp
		if h.Timestamp > ts {
			pts := (h.Timestamp - ts) * f.num / f.den
			if d := time.Duration(pts*f.num) * time.Second / time.Duration(f.den); d > 0 && d < 10*time.Second {
				f.frame = d
			}
		}
	case errors.Is(err, io.EOF):
		f.next = nil
	default:
		return nil, 0, fmt.Errorf("media: IVF: %w", err)
	}
	return cur, f.frame, nil
}

// Ogg reads Opus packets from an Ogg stream (one per page, as pion's oggwriter and most encoders write it).
func Ogg(r io.Reader) (FrameReader, error) {
	or, h, err := oggreader.NewWith(r)
	if err != nil {
		return nil, fmt.Errorf("media: Ogg: %w", err)
	}
	return &oggFrames{r: or, codec: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: uint16(h.Channels)}}, nil
}

type oggFrames struct {
	r       *oggreader.OggReader
	codec   webrtc.RTPCodecCapability
	granule uint64
}

func (f *oggFrames) Codec() webrtc.RTPCodecCapability { return f.codec }

func (f *oggFrames) ReadFrame() ([]byte, time.Duration, error) {
	for {
		b, h, err := f.r.ParseNextPage()
		if err != nil {
			return nil, 0, eof(err)
		}
		if h.GranulePosition <= f.granule {
			continue // a header page (OpusTags), or one with no audio
		}
		d := time.Duration(h.GranulePosition-f.granule) * time.Second / 48000
		f.granule = h.GranulePosition
		return b, d, nil
	}
}

// eof turns the end of a stream, however a reader says it, into io.EOF.
func eof(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return io.EOF
	}
	return err
}

// Track is a track a Go node sends, fed from a FrameReader in real time.
type Track struct {
	fr    FrameReader
	local *webrtc.TrackLocalStaticSample
}

// NewTrack makes a track that sends fr's frames once Play runs. id names the track (its kind, "video" or "audio",
// is a good id); it is not the stream's name, which the mids are (SPEC.md).
func NewTrack(fr FrameReader, id string) (*Track, error) {
	local, err := webrtc.NewTrackLocalStaticSample(fr.Codec(), id, "smoke")
	if err != nil {
		return nil, fmt.Errorf("media: new track: %w", err)
	}
	return &Track{fr: fr, local: local}, nil
}

// Local returns the track to send (Serve, or node.SendMedia).
func (t *Track) Local() node.LocalTrack { return t.local }

// Kind is "video" or "audio".
func (t *Track) Kind() string { return t.local.Kind().String() }

// Play sends the frames, each when its time comes (pacing by the frames' durations, not by how fast the reader
// reads), until the last one (nil) or ctx ends (ctx's error). It closes the FrameReader if it is an io.Closer.
func (t *Track) Play(ctx context.Context) error {
	if c, ok := t.fr.(io.Closer); ok {
		defer c.Close() // a WebM track, say: the stream's other tracks go on without this one
	}
	start := time.Now()
	var at time.Duration // media time of the next frame
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		frame, d, err := t.fr.ReadFrame()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if wait := at - time.Since(start); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-ctx.Done():
				return ctx.Err()
			}
		} else if ctx.Err() != nil {
			return ctx.Err()
		}
		if err := t.local.WriteSample(pionmedia.Sample{Data: frame, Duration: d}); err != nil {
			return fmt.Errorf("media: sending a frame: %w", err)
		}
		at += d
	}
}
