//go:build !js

package media

import (
	"context"
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
	// ReadRTP blocks while nothing comes; a short deadline lets ctx be checked.
	for ctx.Err() == nil {
		_ = t.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		p, _, err := t.ReadRTP()
		if err != nil {
			if ne, ok := err.(interface{ Timeout() bool }); ok && ne.Timeout() {
				continue
			}
			if err == io.EOF {
				return packets, nil
			}
			return packets, fmt.Errorf("media: reading the track: %w", err)
		}
		if err := write(p); err != nil {
			return packets, fmt.Errorf("media: writing: %w", err)
		}
		packets++
	}
	return packets, nil
}

// nopCloser keeps pion's writers from closing the caller's writer (they close what they were given).
type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }
