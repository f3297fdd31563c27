// Browser-side cases of node.media's local parts (test pattern, record, broadcast, createMediaSource), driven by
// TestMedia (media_test.go): run(smoke) resolves to [{ name, ok, error, ms }].

import { sleep, assert, until, rejects, framesShown, audioRuns, run as runAll } from './harness.js'

function video() {
  const v = document.createElement('video')
  v.muted = true
  v.autoplay = true
  v.playsInline = true
  document.body.append(v)
  return v
}

const decoded = framesShown

// state says how a <video> is doing, for an error message.
function state(v) {
  const ranges = []
  for (let i = 0; i < v.buffered.length; i++) ranges.push(`${v.buffered.start(i).toFixed(2)}–${v.buffered.end(i).toFixed(2)}`)
  return `currentTime ${v.currentTime.toFixed(2)}, ${decoded(v)} frames, readyState ${v.readyState}, paused ${v.paused}, buffered [${ranges}], error ${v.error?.message ?? v.error?.code ?? 'none'}`
}

// readAll reads a stream to its end, or for ms, and returns its bytes.
async function readFor(readable, ms) {
  const reader = readable.getReader()
  const chunks = []
  const stop = ms === undefined ? undefined : sleep(ms).then(() => 'stop')
  for (;;) {
    const r = await (stop ? Promise.race([reader.read(), stop]) : reader.read())
    if (r === 'stop') {
      await reader.cancel()
      break
    }
    if (r.done) break
    chunks.push(r.value)
  }
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0))
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.length
  }
  return out
}

const isWebM = (b) => b.length > 4 && b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3

const cases = {
  async 'test pattern: tracks, size, and moving frames'(smoke) {
    const node = new smoke.Node()
    const stream = node.media.createTestPattern({ width: 320, height: 240, frameRate: 30 })
    assert(stream instanceof MediaStream, 'a MediaStream')
    assert(stream.getVideoTracks().length === 1 && stream.getAudioTracks().length === 1, 'one video and one audio track')
    const v = video()
    v.srcObject = stream
    await until(() => v.videoWidth === 320 && v.videoHeight === 240, 'the 320×240 picture')
    const t0 = v.currentTime
    const f0 = decoded(v)
    await sleep(1000)
    assert(v.currentTime - t0 > 0.5, `currentTime grew ${v.currentTime - t0} s in a second`)
    assert(decoded(v) - f0 >= 10, `${decoded(v) - f0} frames decoded in a second at 30 fps`)
    for (const t of stream.getTracks()) t.stop()
    v.remove()
    await node.dispose()
  },

  async 'test pattern: no audio on request; bad options'(smoke) {
    const node = new smoke.Node()
    const stream = node.media.createTestPattern({ audio: false })
    assert(stream.getAudioTracks().length === 0, 'no audio track')
    for (const t of stream.getTracks()) t.stop()
    try {
      node.media.createTestPattern({ width: -5 })
      throw new Error('width -5 did not throw')
    } catch (err) {
      assert(err instanceof RangeError && err.code === 'ERR_INVALID_ARG_VALUE', `width -5: ${err.name} ${err.code}`)
    }
    try {
      node.media.record('not a stream')
      throw new Error('record of a string did not throw')
    } catch (err) {
      assert(err instanceof TypeError && err.code === 'ERR_INVALID_ARG_TYPE', `record('x'): ${err.name} ${err.code}`)
    }
    await node.dispose()
  },

  async 'record: WebM bytes that end when the tracks end'(smoke) {
    const node = new smoke.Node()
    const stream = node.media.createTestPattern({ width: 320, height: 240, audio: await audioRuns() })
    const readable = node.media.record(stream)
    setTimeout(() => { for (const t of stream.getTracks()) t.stop() }, 1500)
    const bytes = await readFor(readable)
    assert(isWebM(bytes), `starts with the EBML magic: ${Array.from(bytes.subarray(0, 4))}`)
    assert(bytes.length > 10000, `${bytes.length} bytes in 1.5 s`)
    await node.dispose()
  },

  async 'broadcast: a late joiner gets the init segment and plays'(smoke) {
    const node = new smoke.Node()
    const stream = node.media.createTestPattern({ width: 320, height: 240, audio: await audioRuns() })
    const live = node.media.broadcast(node.media.record(stream, { keyFrameInterval: 500 }))
    const early = readFor(live.join(), 3000)
    await sleep(2000)
    const late = live.join()
    assert(live.readers === 2, `${live.readers} readers`)
    const v = video()
    node.media.createMediaSource(late, 'webm', { media: v })
    await until(() => v.currentTime > 1 && decoded(v) > 15, () => `the late joiner playing (${state(v)})`)
    const earlyBytes = await early
    assert(isWebM(earlyBytes), 'the early reader starts with the EBML magic')
    for (const t of stream.getTracks()) t.stop()
    v.remove()
    await node.dispose()
  },

  async 'broadcast: a reader that falls behind fails alone'(smoke) {
    const node = new smoke.Node()
    const stream = node.media.createTestPattern({ width: 640, height: 480, audio: await audioRuns() })
    const max = 128 << 10
    const live = node.media.broadcast(node.media.record(stream, { videoBitsPerSecond: 2000000 }), { maxBuffered: max })
    const stalled = live.join() // never read until it has failed
    const reader = live.join().getReader()
    let got = 0
    let reading = true
    const loop = (async () => {
      while (reading) {
        const r = await reader.read()
        if (r.done) break
        got += r.value.length
      }
    })()
    // The stalled reader leaves the broadcast once more than max bytes wait for it; the other goes on.
    await until(() => live.readers === 1, 'the stalled reader to be dropped', 60000)
    const before = got
    await until(() => got > before, 'the reading reader to go on', 20000)
    reading = false
    await reader.cancel()
    await loop
    assert(got >= max, `the reading reader got ${got} bytes, fewer than the ${max} the stalled one fell behind by`)
    // An errored stream drops what it had queued: the stalled reader's next read fails.
    await rejects(stalled.getReader().read(), 'ERR_BUFFER_FULL', 'the stalled reader')
    for (const t of stream.getTracks()) t.stop()
    await node.dispose()
  },

  async 'broadcast: bytes that are not WebM'(smoke) {
    const node = new smoke.Node()
    const junk = new ReadableStream({
      start(c) {
        c.enqueue(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]))
        c.close()
      },
    })
    const live = node.media.broadcast(junk)
    const reader = live.join().getReader()
    await rejects(reader.read(), 'ERR_PROTOCOL', 'reading junk')
    await node.dispose()
  },

  async 'record → Bucket → playback'(smoke) {
    const node = new smoke.Node()
    const stream = node.media.createTestPattern({ width: 320, height: 240, audio: await audioRuns() })
    await smoke.Bucket.drop('media-test')
    const bucket = new smoke.Bucket('media-test')
    setTimeout(() => { for (const t of stream.getTracks()) t.stop() }, 3000)
    await node.media.record(stream).pipeTo(bucket.writable('clip.webm'))
    const [info] = await bucket.info(['clip.webm'])
    assert(info.size > 20000, `the recording is ${info.size} bytes`)
    const v = video()
    node.media.createMediaSource(bucket.readable('clip.webm'), 'webm', { media: v })
    await until(() => v.currentTime > 1.5 && decoded(v) > 20, () => `the stored recording playing (${state(v)})`, 30000)
    v.remove()
    await bucket.dispose()
    await smoke.Bucket.drop('media-test')
    await node.dispose()
  },

  async 'createMediaSource: memory stays bounded while a stream plays'(smoke) {
    const node = new smoke.Node()
    const stream = node.media.createTestPattern({ width: 320, height: 240, audio: await audioRuns() })
    const v = video()
    node.media.createMediaSource(node.media.record(stream), 'webm', { media: v, ahead: 2, behind: 1 })
    await until(() => v.currentTime > 4, () => `4 s played (${state(v)})`, 60000)
    await sleep(500)
    const start = v.buffered.length ? v.buffered.start(0) : 0
    assert(start > 2, `buffered from ${start} s at currentTime ${v.currentTime}: played media was not removed`)
    for (const t of stream.getTracks()) t.stop()
    v.remove()
    await node.dispose()
  },
}

export const run = (smoke, only) => runAll(cases, smoke, only)
