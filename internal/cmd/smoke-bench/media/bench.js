// bench.js is the browser half of the media section (media_browser.go): media responses between nodes of one
// PageHub, against a raw RTCPeerConnection pair in the same page. The page has loaded the npm package
// (window.smoke). Each function resolves to samples; Go computes the figures.

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

function video(stream) {
  const v = document.createElement('video')
  v.muted = true
  v.autoplay = true
  v.playsInline = true
  v.srcObject = stream
  document.body.append(v)
  return v
}

// firstFrame resolves when v presents its first frame (requestVideoFrameCallback).
const firstFrame = (v) => new Promise((resolve) => v.requestVideoFrameCallback(() => resolve(performance.now())))

// rawFirstFrame: a new RTCPeerConnection pair, addTrack of the source's video, in-page signalling, until the
// receiving <video> presents a frame.
async function rawFirstFrame(track) {
  const t0 = performance.now()
  const a = new RTCPeerConnection()
  const b = new RTCPeerConnection()
  a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate).catch(() => {})
  b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate).catch(() => {})
  const got = new Promise((resolve) => { b.ontrack = (e) => resolve(e.track) })
  a.addTrack(track)
  await a.setLocalDescription()
  await b.setRemoteDescription(a.localDescription)
  await b.setLocalDescription()
  await a.setRemoteDescription(b.localDescription)
  const v = video(new MediaStream([await got]))
  const t1 = await firstFrame(v)
  v.remove()
  a.close()
  b.close()
  return t1 - t0
}

// smokeFirstFrame: two new nodes; the client fetches the server's media response and plays it. fresh: the nodes
// are new, so the time includes making their peer connection (as the raw pair's does); else the fetch runs over
// a connection that a first fetch made.
async function smokeFirstFrame(source) {
  const { Node, PageHub } = window.smoke
  const hub = new PageHub()
  const server = new Node({ hub })
  const client = new Node({ hub })
  const address = await server.address()
  await client.address()
  server.rest.createServer().get('/v', (req, res) => res.mediastream(source)).listen(80)
  const once = async () => {
    const t0 = performance.now()
    const stream = await (await client.rest.fetch(`rest://${address}/v`)).mediastream()
    const v = video(stream)
    const t1 = await firstFrame(v)
    v.remove()
    for (const t of stream.getTracks()) t.stop()
    return t1 - t0
  }
  const fresh = await once()
  const warm = await once()
  await server.dispose()
  await client.dispose()
  return { fresh, warm }
}

export async function firstFrames(n) {
  const { Node } = window.smoke
  const node = new Node()
  const source = node.media.createTestPattern({ width: 640, height: 480, frameRate: 30, audio: false })
  const out = { raw: [], fresh: [], warm: [] }
  await rawFirstFrame(source.getVideoTracks()[0]) // warm-up: the codecs' first use
  await smokeFirstFrame(source)
  for (let i = 0; i < n; i++) {
    out.raw.push(await rawFirstFrame(source.getVideoTracks()[0]))
    const s = await smokeFirstFrame(source)
    out.fresh.push(s.fresh)
    out.warm.push(s.warm)
  }
  for (const t of source.getTracks()) t.stop()
  await node.dispose()
  return out
}

// videoStats is the video inbound-rtp or outbound-rtp entry of node's connection to remote.
async function videoStats(node, remote, type) {
  const report = await node.network.getStats(remote)
  let best
  for (const s of report.values()) {
    if (s.type === type && s.kind === 'video' && (!best || (s.framesSent ?? s.framesDecoded) > (best.framesSent ?? best.framesDecoded))) best = s
  }
  return best ?? {}
}

// chain: the README's three nodes, source → proxy → viewer, for ms: the frames node0 sent to node1 and the
// frames node2 decoded from node1, counted over the same window.
export async function chain(ms) {
  const { Node, PageHub } = window.smoke
  const hub = new PageHub()
  const [node0, node1, node2] = [new Node({ hub }), new Node({ hub }), new Node({ hub })]
  await Promise.all([node0, node1, node2].map((n) => n.address()))
  const source = node0.media.createTestPattern({ width: 640, height: 480, frameRate: 30, audio: false })
  node0.rest.createServer().get('/m', (req, res) => res.mediastream(source)).listen(80)
  node1.rest.createServer().get('/m', async (req, res) => {
    res.mediastream(await (await node1.rest.fetch('rest://0.0.0.1/m')).mediastream())
  }).listen(80)
  const stream = await (await node2.rest.fetch('rest://0.0.0.2/m')).mediastream()
  const v = video(stream)
  await firstFrame(v)
  await sleep(2000) // past the start-up: the encoder's first rate adaptation
  // The viewer's window is the source's, shifted by the time a frame takes through the chain: a frame sent just
  // before the source's window closes is decoded just after.
  const lag = 300
  const s0 = await videoStats(node0, '0.0.0.2', 'outbound-rtp')
  await sleep(lag)
  const r0 = await videoStats(node2, '0.0.0.2', 'inbound-rtp')
  await sleep(ms - lag)
  const s1 = await videoStats(node0, '0.0.0.2', 'outbound-rtp')
  await sleep(lag)
  const r1 = await videoStats(node2, '0.0.0.2', 'inbound-rtp')
  v.remove()
  for (const t of source.getTracks()) t.stop()
  for (const n of [node0, node1, node2]) await n.dispose()
  return {
    sent: s1.framesSent - s0.framesSent, decoded: r1.framesDecoded - r0.framesDecoded,
    width: r1.frameWidth ?? 0, height: r1.frameHeight ?? 0,
  }
}

// viewers: one source, one proxy, and viewers added step by step; each step plays for holdMs while
// window.mediaPhase says 'measure k' (k viewers), then 'done k', so that Go can read the machine's CPU across it.
export async function viewers(counts, holdMs) {
  const { Node, PageHub } = window.smoke
  const hub = new PageHub()
  const [source, proxy] = [new Node({ hub }), new Node({ hub })]
  await Promise.all([source.address(), proxy.address()])
  const pattern = source.media.createTestPattern({ width: 640, height: 480, frameRate: 30, audio: false })
  source.rest.createServer().get('/m', (req, res) => res.mediastream(pattern)).listen(80)
  let upstream
  proxy.rest.createServer().get('/m', async (req, res) => {
    upstream ??= (await proxy.rest.fetch('rest://0.0.0.1/m')).mediastream()
    res.mediastream(await upstream)
  }).listen(80)
  const nodes = []
  const videos = []
  for (const k of counts) {
    while (nodes.length < k) {
      const n = new Node({ hub })
      nodes.push(n)
      const v = video(await (await n.rest.fetch('rest://0.0.0.2/m')).mediastream())
      videos.push(v)
      await firstFrame(v)
    }
    await sleep(1000)
    window.mediaPhase = `measure ${k}`
    await sleep(holdMs)
    window.mediaPhase = `done ${k}`
    await sleep(300)
  }
  videos.forEach((v) => v.remove())
  for (const t of pattern.getTracks()) t.stop()
  for (const n of [source, proxy, ...nodes]) await n.dispose()
}
