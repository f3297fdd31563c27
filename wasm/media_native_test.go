//go:build !js

package main

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4/pkg/media/ivfreader"

	"github.com/smokenet/smoke/internal/testing/browser"
	"github.com/smokenet/smoke/internal/testing/hubtest"
	"github.com/smokenet/smoke/pkg/hub"
	"github.com/smokenet/smoke/pkg/media"
	"github.com/smokenet/smoke/pkg/node"
	"github.com/smokenet/smoke/pkg/rest"
)

// TestMediaNativeInterop runs a native Go node and a page on one smoke-hub process. The native node records the
// page's test pattern (res.mediastream) as IVF — real VP8, encoded by Chromium — and checks it is a valid file with
// the frames of three seconds; then it serves that recording (pkg/media, paced in real time) and the page plays it
// (response.mediastream): Chromium decodes its frames. Then the same with video and audio as one WebM file, and
// both fetching each other's media at once.
func TestMediaNativeInterop(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	mediaNativeInterop(t, func(html string) browser.Tab { return r.page(t, "media-interop.html", html) })
}

// TestFirefoxMediaNativeInterop is TestMediaNativeInterop with the page in Firefox (whose offers put the m-lines
// they add at port 0 with bundle-only, and whose tone is silent on a machine with no audio output).
func TestFirefoxMediaNativeInterop(t *testing.T) {
	t.Parallel()
	r := newFirefoxRig(t)
	mediaNativeInterop(t, func(html string) browser.Tab { return r.page(t, "media-interop-firefox.html", html) })
}

// framesJS defines shownFrames(v), the frames a <video> has shown, as testdata/harness.js's framesShown counts them.
const framesJS = `window.shownFrames = (v) => {
  if (!v.framesCounted) {
    v.framesCounted = { n: 0 }
    const tick = () => { v.framesCounted.n++; v.requestVideoFrameCallback(tick) }
    v.requestVideoFrameCallback(tick)
  }
  return Math.max(v.getVideoPlaybackQuality().totalVideoFrames, v.framesCounted.n)
}
`

func mediaNativeInterop(t *testing.T, open func(html string) browser.Tab) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	url := hubtest.Start(t)
	n := node.New(&node.Options{Hub: hub.NewNetworkHub(url, nil)})
	defer n.Close()

	p := open(pageHead + importMap + `
<script type="module">
import { Node, NetworkHub } from '` + pkgName + `'
` + framesJS + `
const node = new Node({ hub: new NetworkHub(` + strconv.Quote(url) + `) })
node.rest.createServer()
  .get('/pattern', (req, res) => res.mediastream(node.media.createTestPattern({ width: 320, height: 240, audio: false })))
  .get('/pattern-av', (req, res) => res.mediastream(node.media.createTestPattern({ width: 320, height: 240 })))
  .listen(80)
await node.hub.register('browser-media')
window.node = node
window.ready = true
</script>
`)
	tabEval[bool](t, p, time.Minute, `(async () => { while (!window.ready) await new Promise(r => setTimeout(r, 20)); return true })()`)

	// Native records the page.
	client := rest.NewClient(n)
	req, _ := http.NewRequestWithContext(ctx, "GET", "rest://browser-media/pattern", nil)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("native → page: %v\nconsole:\n%s", err, strings.Join(p.Console(), "\n"))
	}
	s, err := media.Receive(ctx, n, resp)
	if err != nil {
		t.Fatal(err)
	}
	var ivf bytes.Buffer
	rctx, rcancel := context.WithTimeout(ctx, 3*time.Second)
	packets, err := s.Record(rctx, 0, &ivf)
	rcancel()
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	ir, h, err := ivfreader.NewWith(bytes.NewReader(ivf.Bytes()))
	if err != nil {
		t.Fatalf("the recording is not IVF: %v", err)
	}
	frames := 0
	for {
		if _, _, err := ir.ParseNextFrame(); err != nil {
			break
		}
		frames++
	}
	t.Logf("recorded %d RTP packets, %d %s frames (%d bytes) in 3 s", packets, frames, h.FourCC, ivf.Len())
	if frames < 45 {
		t.Fatalf("%d frames recorded in 3 s of a 30 fps pattern", frames)
	}

	// Native serves the recording; the page plays it.
	mux := http.NewServeMux()
	mux.HandleFunc("GET /recording", func(w http.ResponseWriter, r *http.Request) {
		fr, err := media.IVF(bytes.NewReader(ivf.Bytes()))
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		track, err := media.NewTrack(fr, "video")
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		media.ServeTracks(w, r, n, track)
	})
	var webm []byte
	mux.HandleFunc("GET /recording.webm", func(w http.ResponseWriter, r *http.Request) {
		frs, err := media.WebM(bytes.NewReader(webm))
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		var tracks []*media.Track
		for i, fr := range frs {
			track, err := media.NewTrack(fr, strconv.Itoa(i))
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			tracks = append(tracks, track)
		}
		media.ServeTracks(w, r, n, tracks...)
	})
	l, err := n.Listen(80)
	if err != nil {
		t.Fatal(err)
	}
	srv := &rest.Server{Handler: mux}
	go srv.Serve(l)
	defer srv.Close()
	if err := n.Hub().Register(ctx, "native-media"); err != nil {
		t.Fatal(err)
	}
	type played struct {
		Decoded int
		Width   int
		Ended   bool
	}
	v := tabEval[played](t, p, 2*time.Minute, `(async () => {
  const stream = await (await window.node.rest.fetch('rest://native-media/recording')).mediastream()
  const v = document.createElement('video')
  v.muted = true
  v.srcObject = stream
  document.body.append(v)
  await v.play()
  const start = Date.now()
  while (Date.now() - start < 20000 && shownFrames(v) < 30) await new Promise(r => setTimeout(r, 50))
  const [track] = stream.getVideoTracks()
  // The recording is 3 s long: its end ends the stream.
  while (Date.now() - start < 20000 && track.readyState !== 'ended') await new Promise(r => setTimeout(r, 50))
  return { decoded: shownFrames(v), width: v.videoWidth, ended: track.readyState === 'ended' }
})()`)
	t.Logf("the page decoded %d frames of the native node's VP8, %d px wide", v.Decoded, v.Width)
	if v.Decoded < 30 || v.Width != 320 {
		t.Errorf("the page decoded %d frames at width %d; want ≥ 30 at 320", v.Decoded, v.Width)
	}
	if !v.Ended {
		t.Error("the page's track did not end when the native recording did")
	}

	// The same with video and audio in one WebM file: the native node records the page's pattern with its tone,
	// then serves the file; the page decodes its video at the size the recording read from Chromium's keyframe,
	// and gets its audio track too.
	req, _ = http.NewRequestWithContext(ctx, "GET", "rest://browser-media/pattern-av", nil)
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	s, err = media.Receive(ctx, n, resp)
	if err != nil {
		t.Fatal(err)
	}
	var wb bytes.Buffer
	rctx, rcancel = context.WithTimeout(ctx, 3*time.Second)
	wframes, err := s.RecordWebM(rctx, &wb)
	rcancel()
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	webm = wb.Bytes()
	t.Logf("recorded %d frames of video and audio as WebM (%d bytes) in 3 s", wframes, len(webm))
	// A page's tone sends packets even when its AudioContext is suspended (silence): Firefox's on this machine does.
	if wframes < 45+100 {
		t.Fatalf("%d frames recorded in 3 s of a 30 fps pattern with 50 audio packets a second", wframes)
	}
	type playedAV struct {
		Decoded, Width, Audio int
	}
	av := tabEval[playedAV](t, p, 2*time.Minute, `(async () => {
  const stream = await (await window.node.rest.fetch('rest://native-media/recording.webm')).mediastream()
  const v = document.createElement('video')
  v.muted = true
  v.srcObject = stream
  document.body.append(v)
  await v.play()
  const start = Date.now()
  while (Date.now() - start < 20000 && shownFrames(v) < 30) await new Promise(r => setTimeout(r, 50))
  const out = { decoded: shownFrames(v), width: v.videoWidth, audio: stream.getAudioTracks().length }
  for (const t of stream.getTracks()) t.stop()
  return out
})()`)
	t.Logf("from the WebM, the page decoded %d frames, %d px wide, with %d audio track", av.Decoded, av.Width, av.Audio)
	if av.Decoded < 30 || av.Width != 320 || av.Audio != 1 {
		t.Errorf("from the WebM, the page decoded %d frames at width %d with %d audio tracks; want ≥ 30 at 320 with 1", av.Decoded, av.Width, av.Audio)
	}

	// Both at once, five times: the page fetches the native node's recording while the native node fetches the
	// page's pattern, so both renegotiate the one connection at the same moment (an offer collision, where only
	// the page can roll back its offer).
	for i := range 5 {
		pageDone := make(chan error, 1)
		go func() {
			pageDone <- p.Evaluate(ctx, `(async () => {
  const stream = await (await window.node.rest.fetch('rest://native-media/recording')).mediastream()
  for (const t of stream.getTracks()) t.stop()
  return true
})()`, nil)
		}()
		req, _ := http.NewRequestWithContext(ctx, "GET", "rest://browser-media/pattern", nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("round %d: native → page: %v", i, err)
		}
		s, err := media.Receive(ctx, n, resp)
		if err != nil {
			t.Fatalf("round %d: native receiving: %v", i, err)
		}
		s.Close()
		if err := <-pageDone; err != nil {
			t.Fatalf("round %d: page → native: %v", i, err)
		}
	}
	noProblems(t, p.Console())
}
