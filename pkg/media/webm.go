//go:build !js

package media

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/at-wat/ebml-go/mkvcore"
	"github.com/at-wat/ebml-go/webm"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media/samplebuilder"

	"github.com/smokenet/smoke/pkg/node"
)

// WebM: the container browsers record to (MediaRecorder, and node.media.record in the npm package), with video and
// audio in one file. Reading gives a FrameReader per track; writing muxes a stream's tracks into one file. Both
// use github.com/at-wat/ebml-go (as pion's examples do). Timestamps are in milliseconds: the WebM default
// TimecodeScale, which browsers and ebml-go write.

// webmCodecs maps WebM codec ids to RTP codecs, and back (webmCodecID).
var webmCodecs = map[string]webrtc.RTPCodecCapability{
	"V_VP8":  {MimeType: webrtc.MimeTypeVP8, ClockRate: 90000},
	"V_VP9":  {MimeType: webrtc.MimeTypeVP9, ClockRate: 90000},
	"A_OPUS": {MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2},
}

// WebM reads the tracks of a WebM stream (VP8 or VP9 video, Opus audio), one FrameReader per track in the file's
// order, to make Tracks of (NewTrack) and serve together (ServeTracks). The tracks are read from r as one
// interleaved stream, so read them all at once, as playing them does; a FrameReader that is no longer wanted must
// be closed (they are io.Closers; Track.Play closes its reader when it returns). A track of another codec is an
// error: the stream could not be served whole.
func WebM(r io.Reader) ([]FrameReader, error) {
	shared := &webmFailure{}
	brs, err := mkvcore.NewSimpleBlockReader(r,
		// ebml-go's default for a stream that breaks off is to panic in its goroutine.
		mkvcore.WithOnFatalHandler(shared.set),
		mkvcore.WithOnErrorHandler(shared.set))
	if err != nil {
		return nil, fmt.Errorf("media: WebM: %w", err)
	}
	closeAll := func() {
		for _, br := range brs {
			br.Close()
		}
	}
	var out []FrameReader
	for _, br := range brs {
		te := br.TrackEntry()
		codec, ok := webmCodecs[te.CodecID]
		if !ok {
			closeAll()
			return nil, fmt.Errorf("media: WebM: track %d is %s; VP8, VP9 and Opus can be served", te.TrackNumber, te.CodecID)
		}
		out = append(out, &webmFrames{r: br, codec: codec, failed: shared, frame: 20 * time.Millisecond})
	}
	if len(out) == 0 {
		return nil, errors.New("media: WebM: the stream has no tracks")
	}
	return out, nil
}

// webmFailure is the error that ended a WebM stream, shared by its tracks: ebml-go reports it to a handler and
// then ends every track as if the stream were over.
type webmFailure struct {
	mu  sync.Mutex
	err error
}

func (f *webmFailure) set(err error) {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return // a stream that ends, even mid-element (a recording cut off), ends its tracks
	}
	f.mu.Lock()
	if f.err == nil {
		f.err = err
	}
	f.mu.Unlock()
}

func (f *webmFailure) get() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

type webmFrames struct {
	r      mkvcore.BlockReadCloser
	codec  webrtc.RTPCodecCapability
	failed *webmFailure
	next   []byte
	nextTS int64
	primed bool
	ended  bool
	frame  time.Duration // the last frame's duration, reused for the final one
}

func (f *webmFrames) Codec() webrtc.RTPCodecCapability { return f.codec }

// ReadFrame reads one frame ahead, as the IVF reader does: a frame lasts until the next one's timestamp.
func (f *webmFrames) ReadFrame() ([]byte, time.Duration, error) {
	if !f.primed {
		f.primed = true
		f.advance()
	}
	if f.next == nil {
		if err := f.failed.get(); err != nil {
			return nil, 0, fmt.Errorf("media: WebM: %w", err)
		}
		return nil, 0, io.EOF
	}
	cur, ts := f.next, f.nextTS
	f.advance()
	if f.next != nil {
		if d := time.Duration(f.nextTS-ts) * time.Millisecond; d > 0 && d < 10*time.Second {
			f.frame = d
		}
	}
	return cur, f.frame, nil
}

// advance reads the next block of the track into next (nil at the end).
func (f *webmFrames) advance() {
	f.next = nil
	if f.ended {
		return
	}
	b, _, ts, err := f.r.Read()
	if err != nil {
		f.ended = true
		return
	}
	f.next, f.nextTS = b, ts
}

// Close stops reading the track: the stream's other tracks go on without it.
func (f *webmFrames) Close() error {
	if !f.ended {
		f.ended = true
		return f.r.Close()
	}
	return nil
}

// RecordWebM writes what the tracks receive to w as one WebM file until ctx ends or every track does: VP8 or VP9
// video and Opus audio, each track's frames at their RTP timing, the tracks placed against each other by when
// their first frame came. It returns the frames it wrote. With a video track, the file starts at its first
// keyframe (a player can start nowhere else); for VP8 the picture size is read from that keyframe, for VP9 it is
// written as 0×0, which players take from the stream. Like Record, a stream's end does not end its tracks with an
// error: end ctx then (Stream.RecordWebM does).
func RecordWebM(ctx context.Context, w io.Writer, tracks ...node.RemoteTrack) (frames int, err error) {
	return recordWebM(ctx, w, nil, tracks)
}

// recordWebM is RecordWebM; askKeyframe, if not nil, asks the sender of a video track for a keyframe (at most
// twice a second): while the recording waits for one to start at, and when keyFrameInterval has passed without one.
func recordWebM(ctx context.Context, w io.Writer, askKeyframe func(node.RemoteTrack), tracks []node.RemoteTrack) (frames int, err error) {
	if len(tracks) == 0 {
		return 0, errors.New("media: RecordWebM: no tracks")
	}
	rec := &webmRecorder{w: w, done: make(chan struct{}), tracks: make([]*webmTrack, len(tracks)), ask: askKeyframe}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, len(tracks))
	for i, t := range tracks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if errs[i] = rec.read(ctx, t, i); errs[i] != nil {
				cancel() // a track that cannot be recorded fails the file
			}
		}()
	}
	wg.Wait()
	return rec.finish(errors.Join(errs...))
}

// webmTrack is one track being recorded: its entry in the file and the sample builder that makes frames of its
// RTP packets.
type webmTrack struct {
	remote       node.RemoteTrack
	entry        webm.TrackEntry
	video        bool
	sb           *samplebuilder.SampleBuilder
	clock        uint32
	w            webm.BlockWriteCloser
	first        time.Duration // where the track starts in the file
	rtp0         uint32        // the RTP timestamp of its first frame
	last         int64         // the last timestamp written, in ms: a track's timestamps must not go back
	lastKeyframe time.Duration // when the last keyframe was written, from the file's start
	primed       bool
}

func newWebMTrack(number uint64, codec webrtc.RTPCodecCapability) (*webmTrack, error) {
	t := &webmTrack{clock: codec.ClockRate}
	entry := webm.TrackEntry{TrackNumber: number, TrackUID: number}
	var depacketizer rtp.Depacketizer
	switch strings.ToLower(codec.MimeType) {
	case strings.ToLower(webrtc.MimeTypeVP8):
		entry.Name, entry.CodecID, entry.TrackType = "video", "V_VP8", 1
		depacketizer, t.video = &codecs.VP8Packet{}, true
	case strings.ToLower(webrtc.MimeTypeVP9):
		entry.Name, entry.CodecID, entry.TrackType = "video", "V_VP9", 1
		depacketizer, t.video = &codecs.VP9Packet{}, true
	case strings.ToLower(webrtc.MimeTypeOpus):
		entry.Name, entry.CodecID, entry.TrackType = "audio", "A_OPUS", 2
		entry.Audio = &webm.Audio{SamplingFrequency: 48000, Channels: uint64(max(codec.Channels, 1))}
		depacketizer = &codecs.OpusPacket{}
	default:
		return nil, fmt.Errorf("media: cannot record %s as WebM (VP8, VP9 and Opus can be)", codec.MimeType)
	}
	if t.video {
		entry.Video = &webm.Video{}
	}
	t.entry = entry
	// Up to ~1 s of packets held to put late ones back in order.
	t.sb = samplebuilder.New(128, depacketizer, codec.ClockRate)
	return t, nil
}

// keyFrameInterval is how often a WebM recording asks a video track's sender for a keyframe (when it can ask).
const keyFrameInterval = time.Second

// lateTrackWait is how long a WebM recording waits, once one track has had its first packet, for the others' first
// packets before it starts without them. A track may never send: a server's track whose source has no frame yet (a
// Go Track over a reader that waits), or a sender that adds a track and sends nothing on it. (Browsers send silence
// for a page's tone even while its AudioContext is suspended.)
const lateTrackWait = time.Second

// webmRecorder writes the tracks' frames into one file. The file's header names its tracks, so the writer starts
// once each track's codec is known (from its first packet: a track handed over before it has received has none
// yet), or without a track that has had no packet lateTrackWait after the first track's, and, with video, at the
// first keyframe, whose picture size the header needs; frames before are dropped, and so are the frames of a track
// that is not in the file.
type webmRecorder struct {
	mu           sync.Mutex
	w            io.Writer
	tracks       []*webmTrack // nil until the track's first packet
	known        int          // tracks not nil
	firstKnown   time.Time    // when the first track became known
	waitKeyframe bool
	ask          func(node.RemoteTrack) // asks for a keyframe, or nil
	asked        time.Time              // when it last did
	started      bool
	start        time.Time
	frames       int
	err          error
	sink         *webmSink
	done         chan struct{} // closed when ebml-go has finished the file
}

// read feeds track i's packets to its sample builder and writes the frames it makes, until ctx ends or the track.
func (r *webmRecorder) read(ctx context.Context, t node.RemoteTrack, i int) error {
	var wt *webmTrack
	for {
		p, err := readRTP(ctx, t)
		if p == nil || err != nil {
			return err
		}
		if wt == nil {
			if wt, err = newWebMTrack(uint64(i+1), t.Codec().RTPCodecCapability); err != nil {
				return err
			}
			wt.remote = t
			r.mu.Lock()
			r.tracks[i] = wt
			if r.known++; r.known == 1 {
				r.firstKnown = time.Now()
			}
			r.waitKeyframe = r.waitKeyframe || wt.video
			r.mu.Unlock()
		}
		wt.sb.Push(p)
		for s := wt.sb.Pop(); s != nil; s = wt.sb.Pop() {
			if err := r.write(wt, s.Data, s.PacketTimestamp); err != nil {
				return err
			}
		}
	}
}

// write adds one frame of track t, which came with RTP timestamp ts.
func (r *webmRecorder) write(t *webmTrack, frame []byte, ts uint32) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err == nil && r.sink != nil {
		r.err = r.sink.failed()
	}
	if r.err != nil {
		return r.err
	}
	keyframe := !t.video || isKeyframe(t.entry.CodecID, frame)
	if r.started && t.w == nil {
		return nil // the track came too late to be in the file
	}
	if !r.started {
		if r.known < len(r.tracks) && time.Since(r.firstKnown) < lateTrackWait {
			return nil // another track's codec is not known yet
		}
		if r.waitKeyframe && !(t.video && keyframe) {
			if t.video {
				r.askKeyframe(t)
			}
			return nil // the file starts at the first video keyframe
		}
		if t.entry.CodecID == "V_VP8" {
			t.entry.Video.PixelWidth, t.entry.Video.PixelHeight = vp8Size(frame)
		}
		if err := r.begin(); err != nil {
			r.err = err
			return err
		}
	}
	now := time.Since(r.start)
	if !t.primed {
		t.primed, t.first, t.rtp0 = true, now, ts
		if t.video && !keyframe {
			t.primed = false
			r.askKeyframe(t)
			return nil // a video track joins at a keyframe
		}
	}
	// A keyframe at least every keyFrameInterval, as the package's record() in the browser makes them: a file
	// served later is decodable from more than its first frame (a viewer that misses it, or a player seeking).
	if t.video {
		if keyframe {
			t.lastKeyframe = now
		} else if now-t.lastKeyframe >= keyFrameInterval {
			r.askKeyframe(t)
		}
	}
	at := (t.first + time.Duration(ts-t.rtp0)*time.Second/time.Duration(t.clock)).Milliseconds()
	at = max(at, t.last)
	t.last = at
	if _, err := t.w.Write(keyframe, at, frame); err != nil {
		r.err = fmt.Errorf("media: writing WebM: %w", err)
		return r.err
	}
	r.frames++
	return nil
}

// askKeyframe asks t's sender for a keyframe, at most twice a second; r.mu is held.
func (r *webmRecorder) askKeyframe(t *webmTrack) {
	if r.ask != nil && time.Since(r.asked) >= 500*time.Millisecond {
		r.asked = time.Now()
		r.ask(t.remote)
	}
}

// begin starts the file, with the entries of the tracks known now.
func (r *webmRecorder) begin() error {
	var entries []webm.TrackEntry
	var in []*webmTrack
	for _, t := range r.tracks {
		if t != nil {
			entries = append(entries, t.entry)
			in = append(in, t)
		}
	}
	r.sink = &webmSink{w: r.w, done: r.done}
	ws, err := webm.NewSimpleBlockWriter(r.sink, entries,
		mkvcore.WithOnErrorHandler(func(err error) { r.fail(err) }),
		mkvcore.WithOnFatalHandler(func(err error) { r.fail(err) }))
	if err != nil {
		return fmt.Errorf("media: starting WebM: %w", err)
	}
	for i, w := range ws {
		in[i].w = w
	}
	r.started, r.start = true, time.Now()
	return nil
}

// fail records an error ebml-go reports from its writing goroutine (r.mu may be held by the caller of Write).
func (r *webmRecorder) fail(err error) {
	go func() {
		r.mu.Lock()
		if r.err == nil {
			r.err = fmt.Errorf("media: writing WebM: %w", err)
		}
		r.mu.Unlock()
	}()
}

// finish closes the tracks' writers, which finishes the file, and returns what was written.
func (r *webmRecorder) finish(readErr error) (int, error) {
	r.mu.Lock()
	started := r.started
	r.mu.Unlock()
	if !started {
		return 0, errors.Join(readErr, errors.New("media: RecordWebM: no frame to start the file with (a video track starts at a keyframe)"))
	}
	for _, t := range r.tracks {
		if t != nil && t.w != nil {
			t.w.Close()
		}
	}
	<-r.done
	r.mu.Lock()
	defer r.mu.Unlock()
	if readErr == nil { // else it is r.err, or the error that ended the recording first
		readErr = cmp.Or(r.err, r.sink.failed())
	}
	return r.frames, readErr
}

// webmSink is the io.WriteCloser ebml-go writes to. It never fails a write: ebml-go's writing goroutine stops at
// the first error, after which every later block write blocks for good, so a failing w (a full disk, a closed
// connection) would hang the recording. It keeps the first error instead, drops what follows, and the recorder
// stops at its next frame. Close closes done instead of w, so the recorder knows the file is complete.
type webmSink struct {
	w    io.Writer
	done chan struct{}
	once sync.Once

	mu  sync.Mutex
	err error
}

func (c *webmSink) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		if n, err := c.w.Write(p); err != nil || n < len(p) {
			c.err = fmt.Errorf("media: writing WebM: %w", cmp.Or(err, io.ErrShortWrite))
		}
	}
	return len(p), nil
}

// failed returns the first error of the caller's writer.
func (c *webmSink) failed() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *webmSink) Close() error {
	c.once.Do(func() { close(c.done) })
	return nil
}

// isKeyframe says whether a video frame starts a picture a decoder can begin with.
func isKeyframe(codecID string, frame []byte) bool {
	if len(frame) == 0 {
		return false
	}
	switch codecID {
	case "V_VP8":
		return frame[0]&0x01 == 0 // RFC 6386 §9.1: the frame tag's key_frame bit, 0 for a keyframe
	case "V_VP9":
		// VP9 uncompressed header: frame_marker (2 bits), profile (2, and a reserved bit for profile 3),
		// show_existing_frame, then frame_type (0 for a keyframe).
		profile := (frame[0]>>4)&1<<1 | (frame[0]>>5)&1
		bit := 4 // bits before show_existing_frame, counted from the top
		if profile == 3 {
			bit = 5
		}
		if frame[0]>>(7-bit)&1 == 1 {
			return false // show_existing_frame: no new picture
		}
		return frame[0]>>(7-(bit+1))&1 == 0
	}
	return false
}

// vp8Size reads the picture size from a VP8 keyframe (RFC 6386 §9.1: a start code, then 14-bit width and height).
func vp8Size(frame []byte) (width, height uint64) {
	if len(frame) < 10 || frame[3] != 0x9d || frame[4] != 0x01 || frame[5] != 0x2a {
		return 0, 0
	}
	return uint64(frame[6]) | uint64(frame[7]&0x3f)<<8, uint64(frame[8]) | uint64(frame[9]&0x3f)<<8
}
