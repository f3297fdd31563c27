// bench.js is the browser half of the rest-browser section (rest_browser.go): node.rest between two nodes of one
// PageHub, against raw RTCDataChannels in the same page. The page has loaded the npm package (window.smoke) and
// ../sockets/raw.js (globalThis.smokeRawBench). run(opts) resolves to the samples; Go computes the figures.

const rawBench = globalThis.smokeRawBench

// rawPair opens a plain RTCPeerConnection pair with one ordered datachannel, for the ping-pong baseline.
async function rawPair() {
  const a = new RTCPeerConnection()
  const b = new RTCPeerConnection()
  a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate).catch(() => {})
  b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate).catch(() => {})
  const dcA = a.createDataChannel('ping', { ordered: true })
  const opened = new Promise((resolve) => { dcA.onopen = resolve })
  const remote = new Promise((resolve) => { b.ondatachannel = (e) => resolve(e.channel) })
  await a.setLocalDescription()
  await b.setRemoteDescription(a.localDescription)
  await b.setLocalDescription()
  await a.setRemoteDescription(b.localDescription)
  await opened
  const dcB = await remote
  dcB.onmessage = (e) => dcB.send('pong')
  return { a, b, dcA, close: () => { a.close(); b.close() } }
}

function rawPing(dcA) {
  return new Promise((resolve) => {
    dcA.onmessage = resolve
    dcA.send('ping')
  })
}

async function latency(n, warm) {
  const { Node, PageHub } = window.smoke
  const hub = new PageHub()
  const server = new Node({ hub })
  const client = new Node({ hub })
  const address = await server.address()
  server.rest.createServer().get('/ping', (req, res) => res.send('pong')).listen(80)
  const url = `rest://${address}/ping`
  const smoke = []
  for (let i = 0; i < warm + n; i++) {
    const t0 = performance.now()
    const text = await (await client.rest.fetch(url)).text()
    const ms = performance.now() - t0
    if (text !== 'pong') throw new Error(`GET /ping: ${text}`)
    if (i >= warm) smoke.push(ms)
  }
  // The layer below REST: a node socket's message round trip between the same two nodes.
  server.sockets.createServer((socket) => socket.on('message', (m) => socket.send(m.data))).listen(7000)
  const socket = client.sockets.connect(address, 7000)
  await new Promise((resolve, reject) => { socket.on('open', resolve); socket.on('error', reject) })
  let onReply
  socket.on('message', () => onReply())
  const sockets = []
  for (let i = 0; i < warm + n; i++) {
    const t0 = performance.now()
    await new Promise((resolve) => { onReply = resolve; socket.send('ping') })
    const ms = performance.now() - t0
    if (i >= warm) sockets.push(ms)
  }
  socket.close()
  const pair = await rawPair()
  const raw = []
  for (let i = 0; i < warm + n; i++) {
    const t0 = performance.now()
    await rawPing(pair.dcA)
    const ms = performance.now() - t0
    if (i >= warm) raw.push(ms)
  }
  pair.close()
  await Promise.all([server.dispose(), client.dispose()])
  return { smoke, raw, sockets }
}

async function throughput(size, reps, chunk) {
  const { Node, PageHub } = window.smoke
  const hub = new PageHub()
  const server = new Node({ hub })
  const client = new Node({ hub })
  const address = await server.address()
  const blob = new Uint8Array(size)
  for (let i = 0; i < size; i++) blob[i] = i * 7
  server.rest.createServer().get('/blob', (req, res) => res.send(blob)).listen(80)
  const url = `rest://${address}/blob`
  await (await client.rest.fetch(url)).arrayBuffer() // warm: the peer connection and the socket
  const { id } = await rawBench.open()
  await rawBench.throughput(id, chunk, 1 << 20)
  const smoke = []
  const raw = []
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now()
    const got = await (await client.rest.fetch(url)).arrayBuffer()
    smoke.push(performance.now() - t0)
    if (got.byteLength !== size) throw new Error(`GET /blob: ${got.byteLength} bytes, want ${size}`)
    raw.push(await rawBench.throughput(id, chunk, size))
  }
  rawBench.close(id)
  await Promise.all([server.dispose(), client.dispose()])
  return { smoke, raw }
}

window.restBench = async (opts) => ({
  isolated: globalThis.crossOriginIsolated === true,
  latency: await latency(opts.requests, opts.warm),
  throughput: await throughput(opts.size, opts.reps, opts.chunk),
})
