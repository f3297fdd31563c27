//go:build !js

package media

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/smokenet/smoke/pkg/node"
	"github.com/smokenet/smoke/pkg/rest"
)

// ErrNotMedia means a response is not a media response: Receive needs one.
var ErrNotMedia = errors.New("media: the response is not a media response")

// Serve answers r, a request that came over n (a pkg/rest server of n), with a media response carrying tracks from
// n to the requesting node (SPEC.md). Once the client has agreed to receive them and has the response's head, it
// runs play (which feeds the tracks, and returns when they end; nil: until the client goes), and returns when the
// stream is over: play returned, the client went away, or the peer connection closed. play's context ends then
// too. It answers 502 if the tracks cannot be sent.
func Serve(w http.ResponseWriter, r *http.Request, n *node.Node, tracks []node.LocalTrack, play func(context.Context) error) error {
	d := descriptor{}
	for _, t := range tracks {
		d.Kinds = append(d.Kinds, t.Kind().String())
	}
	if len(tracks) == 0 || len(tracks) > MaxTracks {
		http.Error(w, "media: no tracks to serve", http.StatusInternalServerError)
		return fmt.Errorf("media: Serve takes 1 to %d tracks, got %d", MaxTracks, len(tracks))
	}
	s, err := n.SendMedia(r.Context(), r.RemoteAddr, tracks)
	if err != nil {
		http.Error(w, "media: cannot send the tracks to "+r.RemoteAddr, http.StatusBadGateway)
		return err
	}
	defer s.Close()
	d.Mids = s.Mids()
	if err := rest.SetBodyKind(w, rest.KindMedia); err != nil {
		return err
	}
	w.Header().Set("Content-Type", ContentType)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write(d.encode()); err != nil {
		return err
	}
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	played := make(chan error, 1)
	if play != nil {
		go func() { played <- play(ctx) }()
	}
	select {
	case err := <-played:
		if errors.Is(err, context.Canceled) {
			err = nil
		}
		return err
	case <-r.Context().Done():
	case <-s.Done():
	}
	return nil
}

// ServeTracks is Serve for Tracks: it plays them all at once, from when the client is ready, and ends the
// stream when the longest one has played.
func ServeTracks(w http.ResponseWriter, r *http.Request, n *node.Node, tracks ...*Track) error {
	locals := make([]node.LocalTrack, len(tracks))
	for i, t := range tracks {
		locals[i] = t.Local()
	}
	return Serve(w, r, n, locals, func(ctx context.Context) error {
		errs := make(chan error, len(tracks))
		for _, t := range tracks {
			go func() { errs <- t.Play(ctx) }()
		}
		var first error
		for range tracks {
			if err := <-errs; err != nil && first == nil {
				first = err
			}
		}
		return first
	})
}

// Stream is a media response received: the server's tracks, until the stream ends.
type Stream struct {
	recv  *node.MediaReceiver
	body  io.ReadCloser
	kinds []string
	once  sync.Once
}

// Receive reads the media response resp (from a pkg/rest Transport of n) and returns its tracks once they have
// come. Close the Stream to stop watching: the server stops sending.
func Receive(ctx context.Context, n *node.Node, resp *http.Response) (*Stream, error) {
	if rest.BodyKind(resp) != rest.KindMedia {
		resp.Body.Close()
		return nil, ErrNotMedia
	}
	line, err := readLine(resp.Body)
	if err == nil {
		var d descriptor
		if d, err = decodeDescriptor(line); err == nil {
			var server string
			if server, _, err = net.SplitHostPort(hostPort(resp)); err == nil {
				var recv *node.MediaReceiver
				if recv, err = n.ReceiveMedia(ctx, server, d.Mids); err == nil {
					s := &Stream{recv: recv, body: resp.Body, kinds: d.Kinds}
					for i, t := range recv.Tracks() {
						if k := t.Kind().String(); k != d.Kinds[i] {
							s.Close()
							return nil, fmt.Errorf("%w: mid %s carries %s, the descriptor says %s", ErrProtocol, d.Mids[i], k, d.Kinds[i])
						}
					}
					go s.watch()
					return s, nil
				}
			}
		}
	}
	resp.Body.Close()
	return nil, err
}

// hostPort is the server's address and port from the request that resp answers.
func hostPort(resp *http.Response) string {
	if resp.Request == nil || resp.Request.URL == nil {
		return ""
	}
	if h := resp.Request.URL.Host; h != "" {
		if _, _, err := net.SplitHostPort(h); err == nil {
			return h
		}
		return net.JoinHostPort(h, "80")
	}
	return ""
}

// readLine reads the descriptor line, at most maxDescriptor bytes.
func readLine(r io.Reader) ([]byte, error) {
	br := bufio.NewReaderSize(io.LimitReader(r, maxDescriptor+1), 512)
	line, err := br.ReadSlice('\n')
	switch {
	case err == nil:
		return bytes.Clone(line[:len(line)-1]), nil
	case errors.Is(err, bufio.ErrBufferFull) || len(line) > maxDescriptor:
		return nil, fmt.Errorf("%w: the descriptor is longer than %d bytes", ErrProtocol, maxDescriptor)
	case errors.Is(err, io.EOF):
		return nil, fmt.Errorf("%w: the response ended before its descriptor did", ErrProtocol)
	}
	return nil, err
}

// watch ends the stream when the server ends the body (or sends more than it may), and closes the body when the
// tracks end first.
func (s *Stream) watch() {
	go func() {
		<-s.recv.Done()
		s.Close()
	}()
	_, _ = io.Copy(io.Discard, io.LimitReader(s.body, 1)) // nothing follows the descriptor: any byte, or the end, ends it
	s.Close()
}

// Tracks returns the received tracks, in the server's order.
func (s *Stream) Tracks() []node.RemoteTrack { return s.recv.Tracks() }

// Kinds returns the tracks' kinds ("video", "audio"), in the same order.
func (s *Stream) Kinds() []string { return s.kinds }

// Done is closed when the stream ends: the server ended it, Close, or the peer connection closed.
func (s *Stream) Done() <-chan struct{} { return s.recv.Done() }

// Close stops watching: the response body is closed, which tells the server to stop sending.
func (s *Stream) Close() error {
	s.once.Do(func() {
		s.recv.Close()
		s.body.Close()
	})
	return nil
}

// Record writes track i to w (Record's formats) until the stream ends or ctx does, asking the server for a keyframe
// a second on a video track.
func (s *Stream) Record(ctx context.Context, i int, w io.Writer) (packets int, err error) {
	if i < 0 || i >= len(s.recv.Tracks()) {
		return 0, fmt.Errorf("media: no track %d (the stream has %d)", i, len(s.recv.Tracks()))
	}
	ctx, cancel := s.until(ctx)
	defer cancel()
	t := s.recv.Tracks()[i]
	if s.Kinds()[i] == "video" {
		// A keyframe a second, as RecordWebM asks for: a file served later is decodable from more than its first
		// frame (a viewer that loses a packet of it otherwise sees nothing more).
		go func() {
			tick := time.NewTicker(keyFrameInterval)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
					_ = s.recv.RequestKeyframe(t)
				}
			}
		}()
	}
	return Record(ctx, t, w)
}

// until returns a context that ends with ctx or with the stream, whichever comes first: a stream's tracks stop
// flowing when it ends, without an error from them.
func (s *Stream) until(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		select {
		case <-s.Done():
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// RecordWebM writes all the stream's tracks to w as one WebM file (RecordWebM's formats) until the stream ends or
// ctx does, asking the server for a keyframe to start at, and for one a second after, so that the file can be
// played from more than its start.
func (s *Stream) RecordWebM(ctx context.Context, w io.Writer) (frames int, err error) {
	ctx, cancel := s.until(ctx)
	defer cancel()
	// The server's encoder may be one a reused transceiver kept: ask it for the keyframe the file starts at.
	return recordWebM(ctx, w, func(t node.RemoteTrack) { _ = s.recv.RequestKeyframe(t) }, s.recv.Tracks())
}
