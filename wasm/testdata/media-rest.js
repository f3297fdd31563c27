// Browser-side cases of media responses (res.mediastream, response.mediastream), driven by TestMediaResponses
// (media_rest_test.go): run(smoke) resolves to [{ name, ok, error, ms }].

import { sleep, assert, until, framesShown, run as runAll } from './harness.js'

function video(stream) {
  const v = document.createElement('video')
  v.muted = true
  v.autoplay = true
  v.playsInline = true
  v.srcObject = stream
  document.body.append(v)
  return v
}

const decoded = framesShown

// playing waits until v decodes frames, and then that it goes on decoding.
async function playing(v, what) {
  await until(() => decoded(v) > 3, `${what} to play`)
  const f = decoded(v)
  await until(() => decoded(v) > f + 5, `${what} to go on playing`)
}

// ended resolves when track fires ended: to a listener, or to onended (in Firefox an event dispatched to a
// MediaStreamTrack reaches its on… handler but no listener that addEventListener added).
const ended = (track) => new Promise((resolve) => {
  if (track.readyState === 'ended') return resolve()
  track.addEventListener('ended', resolve, { once: true })
  track.onended = resolve
})

// Every RTCPeerConnection the page makes, to count transceivers: smoke.wasm looks RTCPeerConnection up each time it
// makes one, and no node exists before run() starts.
window.__pcs = []
const RealPC = window.RTCPeerConnection
window.RTCPeerConnection = class extends RealPC {
  constructor(...args) {
    super(...args)
    window.__pcs.push(this)
  }
}

// transceivers counts the transceivers of the page's open peer connections.
const transceivers = () => window.__pcs.reduce((n, pc) => n + (pc.connectionState === 'closed' ? 0 : pc.getTransceivers().length), 0)

async function three(smoke) {
  const hub = new smoke.PageHub()
  const nodes = [new smoke.Node({ hub }), new smoke.Node({ hub }), new smoke.Node({ hub })]
  await Promise.all(nodes.map((n) => n.address()))
  return nodes
}

const cases = {
  async 'two concurrent streams between one pair of nodes'(smoke) {
    const [a, b] = await three(smoke)
    const app = a.rest.createServer()
    app.get('/small', (req, res) => res.mediastream(a.media.createTestPattern({ width: 160, height: 120, audio: false })))
    app.get('/large', (req, res) => res.mediastream(a.media.createTestPattern({ width: 320, height: 240 })))
    app.listen(80)
    const [small, large] = await Promise.all(['/small', '/large'].map(async (path) => {
      const response = await b.rest.fetch('rest://0.0.0.1' + path)
      assert(response.kind === 'media', `kind ${response.kind}`)
      return response.mediastream()
    }))
    assert(small.getTracks().length === 1 && large.getTracks().length === 2, `tracks ${small.getTracks().length}, ${large.getTracks().length}`)
    const vs = video(small)
    const vl = video(large)
    await playing(vs, 'the small stream')
    await playing(vl, 'the large stream')
    assert(vs.videoWidth === 160 && vl.videoWidth === 320, `widths ${vs.videoWidth} and ${vl.videoWidth}: the streams mixed`)
    vs.remove()
    vl.remove()
    await a.dispose()
    await b.dispose()
  },

  async 'a chain with four viewers of the proxy; one leaves'(smoke) {
    const hub = new smoke.PageHub()
    const nodes = Array.from({ length: 6 }, () => new smoke.Node({ hub }))
    await Promise.all(nodes.map((n) => n.address()))
    const [source, proxy, ...viewers] = nodes
    const pattern = source.media.createTestPattern({ width: 320, height: 240 })
    source.rest.createServer().get('/live', (req, res) => res.mediastream(pattern)).listen(80)
    let upstream
    const app = proxy.rest.createServer()
    app.get('/live', async (req, res) => {
      upstream ??= (await proxy.rest.fetch('rest://0.0.0.1/live')).mediastream()
      await res.mediastream(await upstream)
    })
    app.listen(80)
    const streams = await Promise.all(viewers.map(async (v) => (await v.rest.fetch('rest://0.0.0.2/live')).mediastream()))
    const videos = streams.map(video)
    for (const [i, v] of videos.entries()) await playing(v, `viewer ${i}`)
    // Viewer 0 leaves: its tracks stopped. The others and the source go on.
    for (const t of streams[0].getTracks()) t.stop()
    await sleep(1000)
    for (const [i, v] of videos.entries()) if (i > 0) await playing(v, `viewer ${i} after viewer 0 left`)
    assert(pattern.getTracks().every((t) => t.readyState === 'live'), 'the source ended when a viewer left')
    videos.forEach((v) => v.remove())
    for (const t of pattern.getTracks()) t.stop()
    for (const n of nodes) await n.dispose()
  },

  async 'the server ending ends the client\'s tracks'(smoke) {
    const [a, b] = await three(smoke)
    const pattern = a.media.createTestPattern({ width: 160, height: 120 })
    let served
    a.rest.createServer().get('/live', (req, res) => { served = res.mediastream(pattern) }).listen(80)
    const stream = await (await b.rest.fetch('rest://0.0.0.1/live')).mediastream()
    const v = video(stream)
    await playing(v, 'the stream')
    for (const t of pattern.getTracks()) t.stop()
    await Promise.race([Promise.all(stream.getTracks().map(ended)), sleep(10000).then(() => { throw new Error('the client\'s tracks did not end') })])
    await served
    v.remove()
    await a.dispose()
    await b.dispose()
  },

  async 'the client stopping ends the server\'s response'(smoke) {
    const [a, b] = await three(smoke)
    const pattern = a.media.createTestPattern({ width: 160, height: 120 })
    let served
    a.rest.createServer().get('/live', (req, res) => { served = res.mediastream(pattern) }).listen(80)
    const stream = await (await b.rest.fetch('rest://0.0.0.1/live')).mediastream()
    await until(() => served !== undefined, 'the handler')
    for (const t of stream.getTracks()) t.stop()
    await Promise.race([served, sleep(10000).then(() => { throw new Error('res.mediastream() did not resolve after the client stopped') })])
    assert(pattern.getTracks().every((t) => t.readyState === 'live'), 'the source was stopped by the client')
    for (const t of pattern.getTracks()) t.stop()
    await a.dispose()
    await b.dispose()
  },

  async 'a disposed client node ends the server\'s response'(smoke) {
    const [a, b] = await three(smoke)
    const pattern = a.media.createTestPattern({ width: 160, height: 120, audio: false })
    let served
    a.rest.createServer().get('/live', (req, res) => { served = res.mediastream(pattern) }).listen(80)
    await (await b.rest.fetch('rest://0.0.0.1/live')).mediastream()
    await until(() => served !== undefined, 'the handler')
    await b.dispose()
    await Promise.race([served, sleep(15000).then(() => { throw new Error('res.mediastream() did not resolve after the client left') })])
    for (const t of pattern.getTracks()) t.stop()
    await a.dispose()
  },

  async '100 sequential media fetches leave a bounded number of transceivers'(smoke) {
    const [a, b] = await three(smoke)
    const pattern = a.media.createTestPattern({ width: 160, height: 120 })
    a.rest.createServer().get('/live', (req, res) => res.mediastream(pattern)).listen(80)
    let most = 0
    for (let i = 0; i < 100; i++) {
      const stream = await (await b.rest.fetch('rest://0.0.0.1/live')).mediastream()
      assert(stream.getTracks().length === 2, `fetch ${i}: ${stream.getTracks().length} tracks`)
      for (const t of stream.getTracks()) t.stop()
      most = Math.max(most, transceivers())
    }
    assert(most <= 12, `${most} transceivers after 100 fetches`)
    for (const t of pattern.getTracks()) t.stop()
    await a.dispose()
    await b.dispose()
  },

  async 'bad input'(smoke) {
    const [a, b] = await three(smoke)
    const app = a.rest.createServer()
    app.get('/text', (req, res) => res.send('not media'))
    app.get('/nothing', (req, res) => {
      try {
        res.mediastream('not a stream')
      } catch (err) {
        res.status(400).send(err.code)
      }
    })
    app.get('/dead', async (req, res) => {
      const p = a.media.createTestPattern({ audio: false })
      for (const t of p.getTracks()) t.stop()
      try {
        await res.mediastream(p)
      } catch (err) {
        res.status(409).send(err.code)
      }
    })
    app.listen(80)
    const text = await b.rest.fetch('rest://0.0.0.1/text')
    const err = await text.mediastream().then(() => undefined, (e) => e)
    assert(err?.code === 'ERR_NOT_MEDIA', `mediastream() of a text body: ${err?.code}`)
    const nothing = await b.rest.fetch('rest://0.0.0.1/nothing')
    assert(nothing.status === 400 && (await nothing.text()) === 'ERR_INVALID_ARG_TYPE', 'res.mediastream of a string')
    const dead = await b.rest.fetch('rest://0.0.0.1/dead')
    assert(dead.status === 409 && (await dead.text()) === 'ERR_INVALID_STATE', 'res.mediastream of ended tracks')
    await a.dispose()
    await b.dispose()
  },
}

export const run = (smoke, only) => runAll(cases, smoke, only, 120000)
