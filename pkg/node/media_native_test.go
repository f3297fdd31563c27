//go:build !js

package node_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"

	"github.com/smokenet/smoke/pkg/node"
)

// testTrack is a track of kind ("video": VP8, "audio": Opus) that carries packets until the test ends: pion
// reports a remote track only once its first packet has come. The payload is not real media; nothing here decodes.
func testTrack(t testing.TB, kind string) node.LocalTrack {
	t.Helper()
	codec := webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}
	if kind == "audio" {
		codec = webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}
	}
	tr, err := webrtc.NewTrackLocalStaticSample(codec, kind, "smoke-test")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				_ = tr.WriteSample(media.Sample{Data: []byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a}, Duration: 20 * time.Millisecond})
			}
		}
	}()
	return tr
}

// trackKind is a received track's kind.
func trackKind(rt node.RemoteTrack) string { return rt.Kind().String() }

// flowing waits up to 5 s for an RTP packet on a received track.
func flowing(rt node.RemoteTrack) error {
	// A track pion has not started has no codec, and SetReadDeadline panics on it (see rtc's Receiving).
	deadline := time.Now().Add(5 * time.Second)
	for rt.Codec().MimeType == "" {
		if time.Now().After(deadline) {
			return fmt.Errorf("no media on the received %s track in 5 s", trackKind(rt))
		}
		time.Sleep(10 * time.Millisecond)
	}
	_ = rt.SetReadDeadline(deadline)
	defer rt.SetReadDeadline(time.Time{})
	if _, _, err := rt.ReadRTP(); err != nil {
		return fmt.Errorf("no media on the received %s track: %w", trackKind(rt), err)
	}
	return nil
}
