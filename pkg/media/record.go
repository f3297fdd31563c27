//go:build !js

package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media/ivfwriter"
	"github.com/pion/webrtc/v4/pkg/media/oggwriter"

	"github.com/smokenet/smoke/pkg/node"
)

// Record writes what track t receives to w until ctx ends or the track does: video (VP8, VP9, AV1) as IVF, Opus as
// Ogg. It returns the RTP packets it wrote. A stream's tracks stop flowing when it ends, without an error from the
// track: end ctx then (Stream.Record does).
func Record(ctx context.Context, t node.RemoteTrack, w io.Writer) (packets int, err error) {
	// The codec is known from the track's first packet (a track handed over before it has received has none yet).
	first, err := readRTP(ctx, t)
	if first == nil || err != nil {
		return 0, err
	}
	codec := t.Codec()
	var write func(*rtp.Packet) error
	var closeW func() error
	switch mime := strings.ToLower(codec.MimeType); mime {
	case strings.ToLower(webrtc.MimeTypeOpus):
		ow, err := oggwriter.NewWith(nopCloser{w}, codec.ClockRate, max(codec.Channels, 1))
		if err != nil {
			return 0, fmt.Errorf("media: Ogg writer: %w", err)
		}
		write, closeW = ow.WriteRTP, ow.Close
	case strings.ToLower(webrtc.MimeTypeVP8), strings.ToLower(webrtc.MimeTypeVP9), strings.ToLower(webrtc.MimeTypeAV1):
		iw, err := ivfwriter.NewWith(nopCloser{w}, ivfwriter.WithCodec(codec.MimeType))
		if err != nil {
			return 0, fmt.Errorf("media: IVF writer: %w", err)
		}
		write, closeW = iw.WriteRTP, iw.Close
	default:
		return 0, fmt.Errorf("media: cannot record %s", codec.MimeType)
	}
	defer func() {
		if cerr := closeW(); err == nil && cerr != nil {
			err = fmt.Errorf("media: finishing the file: %w", cerr)
		}
	}()
	for p := first; p != nil; {
		if err := write(p); err != nil {
			return packets, fmt.Errorf("media: writing: %w", err)
		}
		packets++
		if p, err = readRTP(ctx, t); err != nil {
			return packets, err
		}
	}
	return packets, nil
}

// readRTP returns t's next packet; nil when ctx ends or the track does.
func readRTP(ctx context.Context, t node.RemoteTrack) (*rtp.Packet, error) {
	// A track pion made for a reused transceiver has no codec, and no stream open, until its first packet:
	// SetReadDeadline would panic on it then (node.MediaReceiver can hand such a track over).
	for t.Codec().MimeType == "" {
		select {
		case <-ctx.Done():
			return nil, nil
		case <-time.After(20 * time.Millisecond):
		}
	}
	// ReadRTP blocks while nothing comes; a short deadline lets ctx be checked.
	for ctx.Err() == nil {
		_ = t.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		p, _, err := t.ReadRTP()
		if err != nil {
			if ne, ok := err.(interface{ Timeout() bool }); ok && ne.Timeout() {
				continue
			}
			if errors.Is(err, io.EOF) {
				return nil, nil
			}
			return nil, fmt.Errorf("media: reading the track: %w", err)
		}
		return p, nil
	}
	return nil, nil
}

// nopCloser keeps pion's writers from closing the caller's writer (they close what they were given).
type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }
