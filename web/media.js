// The media demo of media.html: the original README's three-node chain on an in-page hub, then a node on the
// network hub that serves the same source to other tabs, and a viewer that watches another tab. The DOM carries
// what happened as data attributes:
//   #chain-stats, #remote-stats  data-state (starting | playing | ended | error), data-fps, data-width
//   #host-address                data-address (once the hub has given one); #registered data-hostname
import { Node, NetworkHub, PageHub } from '@smokenet/smoke'
import { describe } from './ui.js'

const $ = (id) => document.getElementById(id)

// The source: the test pattern, or the camera if the page asks for it and may have it.
let source
async function makeSource(kind, node) {
  if (kind === 'camera') return navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: true })
  return node.media.createTestPattern({ width: 640, height: 480, frameRate: 30 })
}

// showStats puts the figures of the video the node receives from remote under a video, every second: frame rate
// and size from the connection's inbound-rtp entry, and the delay the jitter buffer adds (the part of the latency
// the receiver controls), from node.network.getStats().
function showStats(el, node, remote) {
  let last
  let stopped = false
  const timer = setInterval(async () => {
    try {
      const report = await node.network.getStats(remote)
      if (stopped) return // a tick that was under way when the stream ended
      let video
      for (const s of report.values()) if (s.type === 'inbound-rtp' && s.kind === 'video' && (!video || s.framesDecoded > video.framesDecoded)) video = s
      if (!video) return
      const fps = video.framesPerSecond ?? (last ? (video.framesDecoded - last.framesDecoded) : 0)
      const delay = video.jitterBufferEmittedCount ? (1000 * video.jitterBufferDelay) / video.jitterBufferEmittedCount : 0
      last = video
      el.dataset.state = 'playing'
      el.dataset.fps = String(Math.round(fps))
      el.dataset.width = String(video.frameWidth ?? 0)
      el.replaceChildren(...[
        `${Math.round(fps)} fps`, `${video.frameWidth ?? '?'}×${video.frameHeight ?? '?'}`,
        `jitter buffer ${delay.toFixed(0)} ms`, `${video.framesDecoded} frames`, `${(video.bytesReceived / 1e6).toFixed(1)} MB`,
      ].map((t) => Object.assign(document.createElement('span'), { textContent: t })))
    } catch (err) {
      if (stopped) return
      el.dataset.state = 'ended'
      el.textContent = describe(err)
      clearInterval(timer)
    }
  }, 1000)
  return () => {
    stopped = true
    clearInterval(timer)
  }
}

// chain runs the README's example: node0 → node1 → node2 → video.
async function chain() {
  const hub = new PageHub()
  const node0 = new Node({ hub })
  const node1 = new Node({ hub })
  const node2 = new Node({ hub })
  node0.rest.createServer().get('/mediastream', (req, res) => res.mediastream(source)).listen(80)
  const app1 = node1.rest.createServer()
  app1.get('/mediastream', async (req, res) => {
    const response = await node1.rest.fetch('rest://0.0.0.1/mediastream')
    res.mediastream(await response.mediastream())
  })
  app1.listen(80)
  let stopStats = () => {}
  const watch = async () => {
    const stats = $('chain-stats')
    stopStats()
    try {
      const response = await node2.rest.fetch('rest://0.0.0.2/mediastream')
      const stream = await response.mediastream()
      $('video-0').srcObject = stream
      stopStats = showStats(stats, node2, '0.0.0.2')
      stream.getTracks()[0]?.addEventListener('ended', () => {
        stopStats()
        stats.dataset.state = 'ended'
      })
    } catch (err) {
      stats.dataset.state = 'error'
      stats.textContent = describe(err)
    }
  }
  return { node0, watch }
}

export async function run() {
  const local = new Node({ hub: new PageHub() })
  source = await makeSource('pattern', local)
  const { watch } = await chain()
  watch()

  // Switching the source ends the old one: every stream of it ends, and the chain fetches the new one.
  for (const input of document.querySelectorAll('#source input')) {
    input.addEventListener('change', async () => {
      const status = $('source-status')
      try {
        const next = await makeSource(input.value, local)
        const old = source
        source = next
        for (const t of old.getTracks()) t.stop()
        status.textContent = ''
        watch()
      } catch (err) {
        status.className = 'mono error'
        status.textContent = describe(err)
      }
    })
  }

  // Across tabs: this tab's node serves the current source on /live.
  const node = new Node({ hub: new NetworkHub(location.origin) })
  node.rest.createServer().get('/live', (req, res) => res.mediastream(source)).listen(80)
  $('register').addEventListener('submit', async (e) => {
    e.preventDefault()
    const name = $('hostname').value.trim()
    const out = $('registered')
    try {
      await node.hub.register(name)
      out.className = 'mono'
      out.dataset.hostname = name
      out.textContent = `registered: another tab can watch ${name}`
    } catch (err) {
      out.className = 'mono error'
      out.textContent = describe(err)
    }
  })
  let current
  let stopStats = () => {}
  const stop = () => {
    stopStats()
    for (const t of current?.getTracks() ?? []) t.stop()
    current = undefined
    $('stop').disabled = true
  }
  $('watch').addEventListener('submit', async (e) => {
    e.preventDefault()
    stop()
    const target = $('target').value.trim()
    const status = $('watch-status')
    const stats = $('remote-stats')
    stats.dataset.state = 'starting'
    try {
      const response = await node.rest.fetch(`rest://${target}/live`)
      if (response.kind !== 'media') throw new Error(`${target} answered ${response.status}, not media`)
      current = await response.mediastream()
      $('remote').srcObject = current
      stopStats = showStats(stats, node, target)
      current.getTracks()[0]?.addEventListener('ended', () => {
        stopStats()
        stats.dataset.state = 'ended'
        status.textContent = `${target} stopped`
      })
      status.className = 'mono'
      status.textContent = `watching ${target}`
      $('stop').disabled = false
    } catch (err) {
      stats.dataset.state = 'error'
      status.className = 'mono error'
      status.textContent = describe(err)
    }
  })
  $('stop').addEventListener('click', () => {
    stop()
    $('remote-stats').dataset.state = 'idle'
    $('watch-status').textContent = 'stopped'
  })

  try {
    const address = await node.address()
    $('host-address').textContent = $('host-address').dataset.address = address
    for (const b of document.querySelectorAll('#register button, #watch button[type=submit]')) b.disabled = false
  } catch (err) {
    $('host-address').textContent = `no address: ${describe(err)} (this part needs the page served by smoke-hub)`
    $('host-address').classList.add('error')
  }
}
