// Smoke in the browser, media that needs no network: node.media.createTestPattern() (a moving picture and a tone),
// node.media.record() (a MediaStream as a ReadableStream of WebM bytes), node.media.broadcast() (one live WebM byte
// stream for many readers, each starting with the initialisation segment) and node.media.createMediaSource() (a
// byte stream played through Media Source Extensions, with bounded memory).
//
// These are JavaScript, not Go: each is a thin driver of browser objects (canvas, WebAudio, MediaRecorder,
// MediaSource) with nothing to send or wait for in Go, and the bytes never need to cross into wasm memory.
//
// Like core.js, this file is the source of both builds: index.js reaches it through core.js's import, and
// dist/smoke.js inlines it with the `export ` keywords stripped. So: `export` only at the start of a line, before
// `function`, and nothing else in this file may start a line with `export ` or `import `.

import { smokeError, argError } from './errors.js'

const isObject = (v) => v !== null && typeof v === 'object'

function options(value, what) {
  if (value === undefined) return {}
  if (!isObject(value)) throw argError(`${what}: options must be an object`)
  return value
}

function number(value, fallback, what, min, max) {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !(value >= min && value <= max)) {
    throw smokeError('ERR_INVALID_ARG_VALUE', `${what} must be a number from ${min} to ${max}, got ${String(value)}`, RangeError)
  }
  return value
}

function readableOf(value, what) {
  if (!isObject(value) || typeof value.getReader !== 'function') throw argError(`${what} takes a ReadableStream of bytes`)
  return value
}

// ---------------------------------------------------------------------------------------------------------------
// A clock that runs in a background tab
//
// Browsers slow a hidden tab's timers to once a second (and Chromium to once a minute after five), which would
// freeze a test pattern that another page is watching. A dedicated worker's timers are not throttled that way, so
// the pattern's clock ticks there and posts each tick to the page.

const tickerSource = `let t; onmessage = (e) => { clearInterval(t); if (e.data > 0) t = setInterval(() => postMessage(0), e.data) }`

function startTicker(intervalMs, onTick) {
  let worker
  try {
    worker = new Worker(URL.createObjectURL(new Blob([tickerSource], { type: 'text/javascript' })))
  } catch {
    // A page whose Content-Security-Policy forbids blob: workers: page timers, throttled when hidden.
    const t = setInterval(onTick, intervalMs)
    return () => clearInterval(t)
  }
  worker.onmessage = onTick
  worker.postMessage(intervalMs)
  return () => worker.terminate()
}

// ---------------------------------------------------------------------------------------------------------------
// Test pattern

/**
 * createTestPattern(options) → MediaStream: a video track drawn on a canvas (moving colour bars, a frame counter
 * and a clock, so that a viewer can see it is live and how late it is) and, unless options.audio is false, an
 * audio track with a quiet tone. options: width (640), height (480), frameRate (30), audio (true), frequency (440
 * Hz). Frames are drawn on a timer, not requestAnimationFrame, so the pattern goes on in a background tab. It
 * stops, and frees its canvas and audio context, when all its tracks have been stopped. The tone comes from Web
 * Audio, which browsers keep suspended until the page has had a click or a key press (Firefox also on a machine with
 * no audio output): until then the audio track carries nothing, which matters to record() (see there).
 */

// gestures are the events after which a page may start audio.
const gestures = ['pointerdown', 'keydown']

export function createTestPattern(opts) {
  const o = options(opts, 'createTestPattern')
  const width = Math.round(number(o.width, 640, 'width', 16, 4096))
  const height = Math.round(number(o.height, 480, 'height', 16, 4096))
  const frameRate = number(o.frameRate, 30, 'frameRate', 1, 120)
  const frequency = number(o.frequency, 440, 'frequency', 20, 20000)
  const audio = o.audio === undefined ? true : Boolean(o.audio)
  if (typeof document === 'undefined') throw smokeError('ERR_NOT_AVAILABLE', 'createTestPattern needs a page (a canvas)')

  const canvas = document.createElement('canvas')
  canvas.width = width
  canvas.height = height
  const ctx = canvas.getContext('2d')
  // captureStream(0): a frame exactly when requestFrame() says so, after each drawing. Chromium has requestFrame on
  // the track (as the spec says), Firefox on the stream (without it, Firefox's pattern stood still); a browser with
  // neither captures the canvas at the frame rate.
  let stream = canvas.captureStream(0)
  let [video] = stream.getVideoTracks()
  let requestFrame
  if (typeof video.requestFrame === 'function') requestFrame = () => video.requestFrame()
  else if (typeof stream.requestFrame === 'function') requestFrame = () => stream.requestFrame()
  else {
    video.stop()
    stream = canvas.captureStream(frameRate)
    ;[video] = stream.getVideoTracks()
    requestFrame = () => {}
  }

  let audioContext
  let unlisten = () => {}
  if (audio && typeof AudioContext === 'function') {
    audioContext = new AudioContext()
    const oscillator = audioContext.createOscillator()
    oscillator.frequency.value = frequency
    const gain = audioContext.createGain()
    gain.gain.value = 0.05
    const destination = audioContext.createMediaStreamDestination()
    oscillator.connect(gain).connect(destination)
    oscillator.start()
    for (const track of destination.stream.getAudioTracks()) stream.addTrack(track)
    // Without a user gesture the context may start suspended, and its track carries no audio: it resumes at the
    // page's first click or key press (browsers let a page start audio then), if not at once.
    if (audioContext.state === 'suspended') {
      const resume = () => {
        if (audioContext.state === 'suspended') audioContext.resume().catch(() => {})
      }
      resume()
      for (const type of gestures) document.addEventListener(type, resume, { once: true, capture: true })
      unlisten = () => {
        for (const type of gestures) document.removeEventListener(type, resume, { capture: true })
      }
    }
  }

  const started = performance.now()
  let frame = 0
  const bars = ['#c0c0c0', '#c0c000', '#00c0c0', '#00c000', '#c000c0', '#c00000', '#0000c0']
  const draw = () => {
    const t = (performance.now() - started) / 1000
    const barWidth = width / bars.length
    const shift = (frame * 4) % width
    for (let i = 0; i < bars.length; i++) {
      ctx.fillStyle = bars[i]
      const x = (i * barWidth + shift) % width
      ctx.fillRect(x, 0, barWidth + 1, height)
      if (x + barWidth > width) ctx.fillRect(x - width, 0, barWidth + 1, height)
    }
    // A box that sweeps across once a second: motion a viewer (or a test) can see.
    ctx.fillStyle = '#ffffff'
    ctx.fillRect((t % 1) * (width - height / 8), height * 0.4, height / 8, height / 8)
    ctx.fillStyle = 'rgba(0, 0, 0, 0.7)'
    ctx.fillRect(0, height - 44, width, 44)
    ctx.fillStyle = '#ffffff'
    ctx.font = '24px monospace'
    ctx.textBaseline = 'middle'
    ctx.fillText(`frame ${frame}  ${new Date().toISOString().slice(11, 23)}  ${t.toFixed(2)} s`, 10, height - 22)
    frame++
    requestFrame()
  }
  draw()

  let stop = () => {}
  const tick = () => {
    if (stream.getTracks().every((track) => track.readyState === 'ended')) {
      stop()
      return
    }
    if (video.readyState !== 'ended') draw()
  }
  const stopTicker = startTicker(1000 / frameRate, tick)
  stop = () => {
    stop = () => {}
    stopTicker()
    unlisten()
    audioContext?.close().catch(() => {})
  }
  return stream
}

// ---------------------------------------------------------------------------------------------------------------
// Recording

// recordTypes are the types record() tries, in order, by what the stream has. A type must name no codec for a
// track the stream lacks: Firefox's recorder of a video-only stream as vp8,opus waits for audio and gives out
// nothing.
const recordTypes = {
  both: ['video/webm;codecs=vp8,opus', 'video/webm;codecs=vp9,opus', 'video/webm'],
  video: ['video/webm;codecs=vp8', 'video/webm;codecs=vp9', 'video/webm'],
  audio: ['audio/webm;codecs=opus', 'audio/webm'],
}

/**
 * record(stream, options) → ReadableStream<Uint8Array>: the stream's tracks as WebM, from a MediaRecorder. It ends
 * when the tracks end, and cancelling it stops the recorder (not the tracks). options: mimeType (the first of
 * video/webm;codecs=vp8,opus, …vp9,opus and video/webm the browser records; for a stream with no audio
 * video/webm;codecs=vp8, …vp9 and video/webm; audio/webm;codecs=opus for a stream with no video), timeslice (100 ms: how often bytes come out), keyFrameInterval (1000 ms: a keyframe, and a new
 * WebM cluster, at least this often, where a late joiner of a broadcast can start), videoBitsPerSecond,
 * audioBitsPerSecond, and maxBuffered (16 MiB): a reader that falls this far behind gets ERR_BUFFER_FULL instead of
 * the page growing without end. Firefox's MediaRecorder gives out nothing while one of the tracks carries no data
 * (a Web Audio track whose context is suspended, as a test pattern's tone before any user gesture), and gives it
 * out when the recording stops, or at times not at all: record such a stream without that track.
 */
export function record(stream, opts) {
  if (typeof MediaStream === 'undefined' || !(stream instanceof MediaStream)) throw argError('record takes a MediaStream')
  const o = options(opts, 'record')
  const timeslice = number(o.timeslice, 100, 'timeslice', 10, 60000)
  const keyFrameInterval = number(o.keyFrameInterval, 1000, 'keyFrameInterval', 100, 600000)
  const maxBuffered = number(o.maxBuffered, 16 << 20, 'maxBuffered', 1 << 16, 1 << 30)
  const hasVideo = stream.getVideoTracks().length > 0
  const hasAudio = stream.getAudioTracks().length > 0
  const types = recordTypes[!hasVideo ? 'audio' : hasAudio ? 'both' : 'video']
  const mimeType = o.mimeType ?? types.find((t) => MediaRecorder.isTypeSupported(t))
  if (typeof mimeType !== 'string' || !MediaRecorder.isTypeSupported(mimeType)) {
    throw smokeError('ERR_NOT_AVAILABLE', `this browser cannot record ${String(mimeType)}`)
  }
  const settings = { mimeType, videoKeyFrameIntervalDuration: keyFrameInterval }
  if (o.videoBitsPerSecond !== undefined) settings.videoBitsPerSecond = number(o.videoBitsPerSecond, 0, 'videoBitsPerSecond', 1000, 1e9)
  if (o.audioBitsPerSecond !== undefined) settings.audioBitsPerSecond = number(o.audioBitsPerSecond, 0, 'audioBitsPerSecond', 1000, 1e8)

  let recorder
  let buffered = 0
  let failed = false
  // Blobs from dataavailable, in order, turned into bytes one at a time so that they stay in order.
  let chain = Promise.resolve()
  return new ReadableStream({
    type: 'bytes',
    start(controller) {
      recorder = new MediaRecorder(stream, settings)
      recorder.ondataavailable = (e) => {
        if (failed || e.data.size === 0) return
        buffered += e.data.size
        if (buffered > maxBuffered) {
          failed = true
          recorder.stop()
          controller.error(smokeError('ERR_BUFFER_FULL', `the reader of the recording fell more than ${maxBuffered} bytes behind`))
          return
        }
        const blob = e.data
        chain = chain.then(async () => {
          const bytes = new Uint8Array(await blob.arrayBuffer())
          if (failed) return
          buffered -= blob.size
          controller.enqueue(bytes)
        })
      }
      recorder.onstop = () => {
        chain.then(() => {
          if (failed) return
          failed = true
          try {
            controller.close()
          } catch {}
        })
      }
      recorder.onerror = (e) => {
        if (failed) return
        failed = true
        controller.error(smokeError('ERR_FAILED', `the recorder failed (${e.error?.message ?? 'no reason given'})`))
      }
      recorder.start(timeslice)
    },
    cancel() {
      failed = true
      if (recorder.state !== 'inactive') recorder.stop()
    },
  })
}

// ---------------------------------------------------------------------------------------------------------------
// Broadcast: one live WebM byte stream, many readers

// maxInit bounds the initialisation segment (a few hundred bytes from MediaRecorder), so that a stream that is not
// WebM cannot grow it without end.
const maxInit = 1 << 20

// EBML element IDs (with their length marker bits, as they appear in the bytes) that the splitter needs.
const EBML = 0x1a45dfa3
const SEGMENT = 0x18538067
const CLUSTER = 0x1f43b675

// WebMSplitter finds, in a WebM byte stream as it arrives, where the initialisation segment (EBML header, Segment
// header, and the Segment's children before the first Cluster: Info, Tracks…) ends and where each Cluster starts.
// A joiner needs the one, then whole clusters from the start of one. Clusters from MediaRecorder are live: of
// unknown size, ending where the next level-1 element starts, so their children are walked to find it (they are
// few per second; a SimpleBlock's payload is skipped by its size, never scanned).
class WebMSplitter {
  #pending = new Uint8Array(0) // bytes not yet walked
  #offset = 0 // stream offset of #pending[0]
  #state = 'top' // top: EBML header or Segment next; segment: a Segment child next; cluster: a Cluster child next
  #skip = 0 // bytes of a known-size element still to skip
  #initBytes = 0
  init = [] // chunks of the initialisation segment, once known
  initDone = false

  // push walks chunk and returns the stream offsets in it where clusters start.
  push(chunk) {
    const starts = []
    if (!this.initDone) this.init.push(chunk)
    if (!this.initDone && (this.#initBytes += chunk.length) > maxInit) {
      throw smokeError('ERR_PROTOCOL', `no WebM cluster in the first ${maxInit} bytes of the stream`)
    }
    let buf = chunk
    if (this.#pending.length > 0) {
      buf = new Uint8Array(this.#pending.length + chunk.length)
      buf.set(this.#pending)
      buf.set(chunk, this.#pending.length)
    }
    let i = 0
    for (;;) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, buf.length - i)
        i += n
        this.#skip -= n
        if (this.#skip > 0) break
      }
      const head = readElementHeader(buf, i)
      if (head === undefined) break // more bytes needed
      const { id, size, length } = head
      const at = this.#offset + i
      if (this.#state === 'top') {
        if (id === SEGMENT) {
          this.#state = 'segment'
          i += length
          continue
        }
        if (id !== EBML) throw smokeError('ERR_PROTOCOL', 'the byte stream is not WebM')
      } else if (id === CLUSTER) {
        if (!this.initDone) this.#finishInit(at)
        starts.push(at)
        this.#state = 'cluster'
        if (size === undefined) {
          i += length
          continue
        }
        this.#state = 'segment'
      } else if (this.#state === 'cluster' && isLevel1(id)) {
        this.#state = 'segment' // a live cluster ends where a Segment child starts
      }
      if (size === undefined) throw smokeError('ERR_PROTOCOL', `WebM element 0x${id.toString(16)} of unknown size`)
      i += length
      this.#skip = size
    }
    this.#offset += i
    this.#pending = buf.slice(i)
    return starts
  }

  // finishInit cuts the init chunks (every chunk so far, from stream offset 0) at end, where the first cluster
  // starts.
  #finishInit(end) {
    const out = []
    let at = 0
    for (const c of this.init) {
      if (at >= end) break
      out.push(at + c.length <= end ? c : c.subarray(0, end - at))
      at += c.length
    }
    this.init = out
    this.initDone = true
  }
}

// The Segment's children (level 1) besides Cluster: where an unknown-size Cluster ends.
const level1 = new Set([0x114d9b74, 0x1549a966, 0x1654ae6b, 0x1c53bb6b, 0x1941a469, 0x1043a770, 0x1254c367])
const isLevel1 = (id) => level1.has(id)

// readElementHeader reads an EBML element's ID and size at buf[i]: undefined if buf ends first; size undefined
// for "unknown".
function readElementHeader(buf, i) {
  if (i >= buf.length) return undefined
  const idLen = vintLength(buf[i])
  if (idLen > 4) throw smokeError('ERR_PROTOCOL', 'the byte stream is not valid WebM (bad element ID)')
  if (i + idLen >= buf.length) return undefined
  let id = 0
  for (let k = 0; k < idLen; k++) id = id * 256 + buf[i + k]
  const sizeLen = vintLength(buf[i + idLen])
  if (sizeLen > 8) throw smokeError('ERR_PROTOCOL', 'the byte stream is not valid WebM (bad element size)')
  if (i + idLen + sizeLen > buf.length) return undefined
  let size = buf[i + idLen] & (0xff >> sizeLen)
  let allOnes = size === 0xff >> sizeLen
  for (let k = 1; k < sizeLen; k++) {
    const b = buf[i + idLen + k]
    allOnes = allOnes && b === 0xff
    size = size * 256 + b
  }
  return { id, size: allOnes ? undefined : size, length: idLen + sizeLen }
}

// vintLength is the length of an EBML variable-size integer from its first byte (9 for an invalid 0).
function vintLength(b) {
  for (let n = 1; n <= 8; n++) if (b & (0x100 >> n)) return n
  return 9
}

/**
 * broadcast(readable, options) → Broadcast: one live WebM byte stream (from record(), or a REST body) for many
 * readers. join() returns a ReadableStream that starts with the stream's initialisation segment and goes on from
 * the next cluster, so a late joiner can play at once. The source is read at its own pace whatever the readers
 * do: a reader more than options.maxBuffered bytes (8 MiB) behind gets ERR_BUFFER_FULL, and the others go on.
 */
export function broadcast(readable, opts) {
  readableOf(readable, 'broadcast')
  const o = options(opts, 'broadcast')
  const maxBuffered = number(o.maxBuffered, 8 << 20, 'maxBuffered', 1 << 16, 1 << 30)
  const splitter = new WebMSplitter()
  const readers = new Set()
  let ended = false
  let failure
  // The stream's last bytes before the current chunk: a cluster's header may have begun there (a header is at most
  // 12 bytes, and the splitter carries at most that many over).
  let tail = new Uint8Array(0)
  let pos = 0 // stream offset of the current chunk

  const end = (err) => {
    ended = true
    failure = err
    for (const r of readers) r.end(err)
    readers.clear()
  }
  ;(async () => {
    const reader = readable.getReader()
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        const chunk = value instanceof Uint8Array ? value : new Uint8Array(value)
        const starts = splitter.push(chunk)
        for (const r of readers) {
          if (r.started) {
            r.put(chunk)
          } else if (starts.length > 0) {
            // From the first cluster that starts here on: the init segment, then the rest of the stream.
            r.started = true
            for (const c of splitter.init) r.put(c)
            const at = starts[0]
            if (at < pos) r.put(tail.subarray(tail.length - (pos - at)))
            r.put(chunk.subarray(Math.max(0, at - pos)))
          }
        }
        const joined = new Uint8Array(Math.min(16, tail.length + chunk.length))
        joined.set(chunk.subarray(Math.max(0, chunk.length - joined.length)), Math.max(0, joined.length - chunk.length))
        if (chunk.length < joined.length) joined.set(tail.subarray(tail.length - (joined.length - chunk.length)))
        tail = joined
        pos += chunk.length
      }
      end(undefined)
    } catch (err) {
      end(err)
    }
  })()

  return Object.freeze({
    /** A new reader: the init segment, then the stream from its next cluster on. */
    join() {
      if (ended) throw failure ?? smokeError('ERR_CLOSED', 'the broadcast has ended')
      let controller
      const r = {
        started: false,
        put(c) {
          if (c.length === 0 || !readers.has(r)) return
          // desiredSize is minus the bytes queued (ByteLengthQueuingStrategy, high-water mark 0).
          if (-controller.desiredSize + c.length > maxBuffered) {
            readers.delete(r)
            controller.error(smokeError('ERR_BUFFER_FULL', `this reader of the broadcast fell more than ${maxBuffered} bytes behind`))
            return
          }
          controller.enqueue(c)
        },
        end(err) {
          try {
            if (err) controller.error(err)
            else controller.close()
          } catch {}
        },
      }
      return new ReadableStream({
        start(c) {
          controller = c
          readers.add(r)
        },
        cancel() {
          readers.delete(r)
        },
      }, new ByteLengthQueuingStrategy({ highWaterMark: 0 }))
    },
    /** How many readers are joined now. */
    get readers() { return readers.size },
  })
}

// ---------------------------------------------------------------------------------------------------------------
// Playing a byte stream

const codecTypes = {
  webm: 'video/webm;codecs="vp8,opus"',
  mp4: 'video/mp4;codecs="avc1.42E01E,mp4a.40.2"',
}

/**
 * createMediaSource(readable, codec, options) → MediaSource: plays a byte stream (a REST body, a Bucket file, a
 * recording) through Media Source Extensions, in 'sequence' mode so that pieces of a live stream play one after
 * the other. codec is 'webm', 'mp4' or a full MIME type. With options.media (an <audio> or <video>), it is
 * attached to it, reads only while less than options.ahead (30) seconds wait to be played, and removes what lies
 * more than options.behind (10) seconds behind currentTime; without, it removes what lies more than ahead + behind
 * seconds behind the newest data. Either way memory stays bounded however long the stream.
 */
export function createMediaSource(readable, codec, opts) {
  readableOf(readable, 'createMediaSource')
  if (typeof codec !== 'string' || codec === '') throw argError("createMediaSource takes a codec: 'webm', 'mp4' or a MIME type")
  const o = options(opts, 'createMediaSource')
  const type = codecTypes[codec] ?? codec
  if (typeof MediaSource === 'undefined' || !MediaSource.isTypeSupported(type)) {
    throw smokeError('ERR_NOT_AVAILABLE', `this browser cannot play ${type} through Media Source Extensions`)
  }
  const media = o.media
  if (media !== undefined && !(typeof HTMLMediaElement !== 'undefined' && media instanceof HTMLMediaElement)) {
    throw argError('createMediaSource: options.media must be an <audio> or <video> element')
  }
  const ahead = number(o.ahead, 30, 'ahead', 1, 3600)
  const behind = number(o.behind, 10, 'behind', 1, 3600)
  const source = new MediaSource()
  if (media) {
    media.src = URL.createObjectURL(source)
    // An autoplay element starts at HAVE_ENOUGH_DATA, which Firefox does not report for a live source (it sat at
    // HAVE_FUTURE_DATA with seconds buffered): it is started when it can play, once, so a later pause holds.
    if (media.autoplay) {
      media.addEventListener('canplay', () => {
        if (media.paused) media.play().catch(() => {})
      }, { once: true })
    }
  }

  source.addEventListener('sourceopen', async () => {
    const buffer = source.addSourceBuffer(type)
    buffer.mode = 'sequence'
    const updated = () => new Promise((resolve, reject) => {
      buffer.addEventListener('updateend', resolve, { once: true })
      buffer.addEventListener('error', () => reject(smokeError('ERR_FAILED', 'the browser could not decode the stream')), { once: true })
    })
    const bufferedEnd = () => (buffer.buffered.length ? buffer.buffered.end(buffer.buffered.length - 1) : 0)
    const bufferedStart = () => (buffer.buffered.length ? buffer.buffered.start(0) : 0)
    // Remove what is behind: before each append, so the SourceBuffer never holds more than its window, and while
    // waiting for playback to use what is ahead, so played media goes as playback passes it.
    const trim = async () => {
      const keepFrom = media ? media.currentTime - behind : bufferedEnd() - ahead - behind
      if (keepFrom > bufferedStart() + 1 && source.readyState === 'open') {
        buffer.remove(0, keepFrom)
        await updated()
      }
    }
    const reader = readable.getReader()
    try {
      for (;;) {
        // Wait while enough waits to be played: the stream is read only as fast as it plays.
        while (media && bufferedEnd() - media.currentTime > ahead && source.readyState === 'open') {
          await new Promise((resolve) => {
            media.addEventListener('timeupdate', resolve, { once: true })
            setTimeout(resolve, 1000) // a paused element sends no timeupdate: look again now and then
          })
          await trim()
        }
        const { done, value } = await reader.read()
        if (done || source.readyState !== 'open') break
        await trim()
        buffer.appendBuffer(value)
        await updated()
        // A live stream's first frames may start a little after 0 (audio after video, or the reverse): playback
        // would wait at 0 forever for data that never comes, so it starts where the data does.
        if (media && media.buffered.length > 0 && media.currentTime < media.buffered.start(0)) {
          media.currentTime = media.buffered.start(0)
        }
      }
      if (source.readyState === 'open') source.endOfStream()
    } catch (err) {
      reader.cancel(err).catch(() => {})
      if (source.readyState === 'open') source.endOfStream('decode')
    }
  }, { once: true })
  return source
}

// ---------------------------------------------------------------------------------------------------------------
// Media responses: res.mediastream() and response.mediastream() (pkg/media/SPEC.md)

const MAX_DESCRIPTOR = 4096
const MAX_TRACKS = 16

/**
 * serveMedia answers a request with a media response of stream: it sends the stream's live tracks to the client
 * node (native.mediaSend), then the head and the descriptor (head), and keeps the response open until the tracks
 * have all ended (stopped here, or ended upstream), the client goes (signal), or the peer connection does. It
 * releases the tracks' transceivers, then ends the response (end).
 */
export async function serveMedia({ native, node, remote, stream, signal, head, end, abort }) {
  const tracks = stream.getTracks().filter((t) => t.readyState === 'live')
  if (tracks.length === 0) throw smokeError('ERR_INVALID_STATE', 'res.mediastream(): the stream has no live tracks')
  if (tracks.length > MAX_TRACKS) throw smokeError('ERR_INVALID_ARG_VALUE', `res.mediastream(): a media response carries at most ${MAX_TRACKS} tracks`, RangeError)
  let sender
  try {
    const [id, mids] = await native.mediaSend(node, remote, tracks)
    sender = id
    await head(JSON.stringify({ mids, kinds: tracks.map((t) => t.kind) }) + '\n')
  } catch (err) {
    if (sender !== undefined) native.mediaSenderClose(sender)
    abort()
    throw err
  }
  // Until the tracks end (a local stop() fires no event, so they are also looked at), the client goes, or the
  // sender's stream ends on the peer connection.
  await new Promise((resolve) => {
    const ended = () => tracks.every((t) => t.readyState === 'ended')
    const timer = setInterval(() => { if (ended()) finish() }, 250)
    const onEnded = () => { if (ended()) finish() }
    function finish() {
      clearInterval(timer)
      for (const t of tracks) t.removeEventListener('ended', onEnded)
      signal.removeEventListener('abort', finish)
      resolve()
    }
    for (const t of tracks) t.addEventListener('ended', onEnded)
    signal.addEventListener('abort', finish)
    native.mediaSenderDone(sender).then(finish, finish)
  })
  native.mediaSenderClose(sender)
  if (!signal.aborted) await end().catch(() => {})
}

/**
 * receiveMedia reads a media response's descriptor from body, picks the tracks out by their mids
 * (native.mediaReceive) and returns a MediaStream of clones of them: the received tracks belong to transceivers
 * that later streams reuse, so they are never stopped. The clones end when the server's tracks do (the body ends,
 * or the stream ends on the peer connection), and stopping every clone stops the server.
 */
export async function receiveMedia({ native, node, server, body }) {
  if (body === null) throw smokeError('ERR_PROTOCOL', 'the media response has no body')
  const reader = body.getReader()
  let d
  try {
    d = parseDescriptor(await readLine(reader))
  } catch (err) {
    reader.cancel(err).catch(() => {})
    throw err
  }
  let receiver, tracks
  try {
    ;[receiver, tracks] = await native.mediaReceive(node, server, d.mids)
  } catch (err) {
    reader.cancel(err).catch(() => {})
    throw err
  }
  if (tracks.some((t, i) => t.kind !== d.kinds[i])) {
    native.mediaReceiverClose(receiver)
    reader.cancel().catch(() => {})
    throw smokeError('ERR_PROTOCOL', 'the media response names tracks of other kinds than it sends')
  }
  const clones = tracks.map((t) => t.clone())
  const stops = new Map() // clone → its own stop(), before the one below replaced it
  let over = false
  const finish = () => {
    if (over) return
    over = true
    native.mediaReceiverClose(receiver)
    reader.cancel().catch(() => {})
    for (const c of clones) {
      if (c.readyState === 'ended') continue
      stops.get(c)()
      c.dispatchEvent(new Event('ended'))
    }
  }
  // Stopping every clone is the page saying it has stopped watching.
  for (const c of clones) {
    const stop = c.stop.bind(c)
    stops.set(c, stop)
    c.stop = () => {
      stop()
      if (clones.every((x) => x.readyState === 'ended')) finish()
    }
  }
  native.mediaReceiverDone(receiver).then(finish, finish)
  ;(async () => {
    try {
      while (!(await reader.read()).done);
    } catch {}
    finish()
  })()
  return new MediaStream(clones)
}

// readLine reads the descriptor line from reader: at most MAX_DESCRIPTOR bytes.
async function readLine(reader) {
  let buf = new Uint8Array(0)
  for (;;) {
    const { done, value } = await reader.read()
    if (done) throw smokeError('ERR_PROTOCOL', 'the media response ended before its descriptor did')
    const next = new Uint8Array(buf.length + value.length)
    next.set(buf)
    next.set(value, buf.length)
    buf = next
    const nl = buf.indexOf(10)
    if (nl >= 0) return new TextDecoder().decode(buf.subarray(0, nl))
    if (buf.length > MAX_DESCRIPTOR) throw smokeError('ERR_PROTOCOL', `the media response's descriptor is longer than ${MAX_DESCRIPTOR} bytes`)
  }
}

// parseDescriptor checks a descriptor as pkg/media/wire.go does.
function parseDescriptor(line) {
  let d
  try {
    d = JSON.parse(line)
  } catch {
    throw smokeError('ERR_PROTOCOL', 'the media response\'s descriptor is not JSON')
  }
  const ok = isObject(d) && Array.isArray(d.mids) && Array.isArray(d.kinds) && d.mids.length > 0 &&
    d.mids.length <= MAX_TRACKS && d.kinds.length === d.mids.length && new Set(d.mids).size === d.mids.length &&
    d.mids.every((m) => typeof m === 'string' && m !== '' && m.length <= 32) &&
    d.kinds.every((k) => k === 'audio' || k === 'video')
  if (!ok) throw smokeError('ERR_PROTOCOL', 'the media response\'s descriptor does not name 1 to 16 tracks with their mids and kinds')
  return d
}
