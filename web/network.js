// The network view: runs a few nodes, polls each one's netstat() every POLL_MS and draws the nodes, their peer
// connections and open sockets as SVG. The DOM carries the figures as data attributes:
//   #summary            data-nodes, data-peers, data-sockets (totals of what the graph shows)
//   g.node              data-node (address), data-hub (page | network), data-local, data-ports, data-sockets,
//                       data-loopback (sockets from the node to itself, drawn as g.loopback)
//   g.peer              data-peer ("a b", the two addresses sorted), data-hub, data-state, data-sockets
//   #sockets tr         data-socket (#), data-from, data-to, data-state, data-error (code), data-reason (in words)
import { Node, PageHub, NetworkHub } from '@smokenet/smoke'
import { h, describe, describeClose, showState } from './ui.js'

const PORT = 7000
const POLL_MS = 500
const SVG = 'http://www.w3.org/2000/svg'
document.getElementById('port').textContent = PORT

const pageHub = new PageHub()
let networkHub = null

/** The page's nodes, oldest first: { node, hub: 'page' | 'network', address (once known), stat (last netstat) } */
const nodes = []

function addNode(hub) {
  const entry = { node: new Node({ hub: hub === 'page' ? pageHub : networkHub }), hub, address: null, stat: null }
  // Each node echoes what its sockets receive.
  entry.node.sockets.createServer((socket) => socket.on('message', ({ data }) => socket.send(data))).listen(PORT)
  nodes.push(entry)
  entry.ready = entry.node.address().then((address) => {
    entry.address = address
    updateControls()
    return entry
  })
  return entry
}

async function removeNewest() {
  const i = nodes.findLastIndex((n) => n.hub === 'page')
  if (i < 0) return
  const [entry] = nodes.splice(i, 1)
  updateControls()
  await entry.node.dispose()
}

// ---- sockets the page opens

let socketCount = 0
const sockets = [] // { socket, row }

function openSocket(entry, to) {
  const id = ++socketCount
  const socket = entry.node.sockets.connect(to, PORT)
  const state = h('span')
  // Why a socket failed or closed, in words on the row itself.
  const reason = h('div', { class: 'reason' })
  const counts = h('span', { class: 'mono' }, '0 / 0')
  const close = h('button', { type: 'button' }, 'Close')
  const row = h('tr', { 'data-socket': id, 'data-from': entry.address, 'data-to': to, 'data-state': 'connecting' },
    h('td', {}, String(id)), h('td', { class: 'mono' }, entry.address), h('td', { class: 'mono' }, `${to}:${PORT}`),
    h('td', {}, state, reason), h('td', {}, counts), h('td', {}, close))
  document.querySelector('#sockets tbody').prepend(row)
  let sent = 0
  let received = 0
  let error = ''
  const setState = (s, why) => {
    showState(state, s)
    row.dataset.state = s
    if (why) {
      reason.textContent = why
      row.dataset.reason = why
    }
    close.disabled = s === 'closed' || s === 'closing'
    updateClearButton()
  }
  const ping = () => {
    socket.send(`hello ${++sent} from ${entry.address}`)
    counts.textContent = `${received} / ${sent}`
  }
  setState('connecting')
  socket.on('open', () => { setState('open'); ping() })
  socket.on('message', () => { received++; counts.textContent = `${received} / ${sent}` })
  socket.on('error', (err) => {
    error = describe(err)
    row.dataset.error = err.code ?? ''
    reason.textContent = error
    reason.classList.add('error')
  })
  socket.on('close', (e) => { setState('closed', error ? `${error} (${describeClose(e)})` : describeClose(e)) })
  close.addEventListener('click', () => { setState('closing'); socket.close() })
  sockets.push({ socket, row })
}

// ---- controls

const fromSelect = document.getElementById('from')
const toInput = document.getElementById('to')

function updateControls() {
  const ready = nodes.filter((n) => n.address)
  const selected = fromSelect.value
  fromSelect.replaceChildren(...ready.map((n) => h('option', { value: n.address }, `${n.address} (${n.hub} hub)`)))
  if (ready.some((n) => n.address === selected)) fromSelect.value = selected
  document.getElementById('addresses').replaceChildren(...ready.map((n) => h('option', { value: n.address })))
  document.getElementById('remove').disabled = !nodes.some((n) => n.hub === 'page')
}

document.getElementById('add').addEventListener('click', async () => {
  const entry = await addNode('page').ready
  // Suggest a socket from the previous node to the new one.
  const before = nodes.filter((n) => n.address && n !== entry).at(-1)
  if (before) fromSelect.value = before.address
  toInput.value = entry.address
})
document.getElementById('remove').addEventListener('click', removeNewest)
document.getElementById('join').addEventListener('click', async (e) => {
  e.target.disabled = true
  const joined = document.getElementById('joined')
  networkHub = new NetworkHub(location.origin)
  joined.textContent = `joining ${networkHub.url}…`
  const entry = addNode('network')
  try {
    await entry.ready
    joined.textContent = `on the network hub as ${entry.address}: other tabs (the chat page, another network view) can dial it, and it them`
    joined.dataset.address = entry.address
  } catch (err) {
    joined.textContent = `could not join: ${describe(err)}`
    joined.classList.add('error')
    nodes.splice(nodes.indexOf(entry), 1)
    entry.node.dispose()
    updateControls()
  }
})
document.getElementById('connect').addEventListener('submit', (e) => {
  e.preventDefault()
  const entry = nodes.find((n) => n.address === fromSelect.value)
  const to = toInput.value.trim()
  if (entry && to) openSocket(entry, to)
})
document.getElementById('close-all').addEventListener('click', () => {
  for (const { socket, row } of sockets) if (row.dataset.state === 'open') socket.close()
})

// Closed sockets stay in the table, with their reason, until cleared.
const clearButton = document.getElementById('clear-closed')
function updateClearButton() {
  clearButton.disabled = !sockets.some(({ row }) => row.dataset.state === 'closed')
}
clearButton.addEventListener('click', () => {
  for (let i = sockets.length - 1; i >= 0; i--) {
    if (sockets[i].row.dataset.state !== 'closed') continue
    sockets[i].row.remove()
    sockets.splice(i, 1)
  }
  updateClearButton()
})

// ---- polling and drawing

async function poll() {
  await Promise.all(nodes.map(async (n) => {
    try {
      n.stat = await n.node.system.netstat()
    } catch {
      n.stat = null // disposed meanwhile
    }
  }))
  draw()
  setTimeout(poll, POLL_MS)
}

/** The graph now: vertices (the page's nodes, then the remote peers they have) and edges (peer connections). */
function model() {
  const vertices = new Map() // hub|address → vertex
  const edges = new Map() // hub|a|b → edge
  const key = (hub, address) => `${hub}|${address}`
  for (const n of nodes) {
    if (!n.address || !n.stat) continue
    vertices.set(key(n.hub, n.address), {
      hub: n.hub, address: n.address, local: true, ports: n.stat.listening, sockets: n.stat.openSockets,
      peerSockets: n.stat.peers.reduce((sum, p) => sum + p.sockets, 0),
    })
  }
  for (const n of nodes) {
    if (!n.address || !n.stat) continue
    for (const p of n.stat.peers) {
      if (!vertices.has(key(n.hub, p.address))) {
        vertices.set(key(n.hub, p.address), { hub: n.hub, address: p.address, local: false })
      }
      const [a, b] = [n.address, p.address].sort()
      const k = `${n.hub}|${a}|${b}`
      const seen = edges.get(k)
      // Both ends of a connection between two of the page's nodes report it; show the less settled state.
      if (!seen || (seen.state === 'connected' && p.state !== 'connected')) {
        edges.set(k, { hub: n.hub, a, b, state: p.state, sockets: Math.max(p.sockets, seen?.sockets ?? 0) })
      } else {
        seen.sockets = Math.max(seen.sockets, p.sockets)
      }
    }
  }
  return { vertices: [...vertices.values()], edges: [...edges.values()] }
}

let drawn = ''

/** plural(1, 'peer connection') is "1 peer connection"; plural(2, …) "2 peer connections". */
const plural = (n, what) => `${n} ${what}${n === 1 ? '' : 's'}`

function draw() {
  const { vertices, edges } = model()
  const sockets = vertices.reduce((sum, v) => sum + (v.sockets ?? 0), 0)
  const summary = document.getElementById('summary')
  summary.dataset.nodes = vertices.length
  summary.dataset.peers = edges.length
  summary.dataset.sockets = sockets
  summary.textContent = `${plural(vertices.length, 'node')} (${vertices.filter((v) => v.local).length} run by this page) · ` +
    `${plural(edges.length, 'peer connection')} (${edges.filter((e) => e.state === 'connected').length} connected) · ` +
    `${plural(sockets, 'open socket')}`
  drawTable()

  const width = document.getElementById('graph-wrap').clientWidth
  const picture = JSON.stringify({ vertices, edges, width })
  if (picture === drawn) return // nothing moved: leave the DOM alone
  drawn = picture
  render(vertices, edges, width)
}

// ---- layout: the page hub's nodes on the inner ring, the network hub's nodes (the page's and the remote peers
// they connect to, each remote next to a node it is connected to) on a ring of their own around it. Each label
// sits outside its node, away from the centre, and each ring is just large enough that no label touches another
// label or node; the picture is then scaled to the page's width, never below a readable size (it scrolls
// sideways on its own instead).

const NODE_R = 18 // a node's radius
const GAP = 6 // between a node and its label, and around every box
const MIN_SCALE = 0.85 // below this the picture scrolls instead of shrinking
const MAX_SCALE = 1.5 // a picture of two nodes does not fill a wide screen

let charWidth = null // of the label font, which is monospace: { big, small }

function measureFont(svg) {
  const probe = (cls) => {
    const t = s('text', { class: cls }, '0123456789')
    svg.append(t)
    const w = t.getComputedTextLength() / 10
    t.remove()
    return w || 7
  }
  charWidth = { big: probe('addr'), small: probe('small') }
}

/** The label of vertex v: its whole address, and a line under it. */
function labelOf(v) {
  const addr = v.address
  const sub = v.local ? `${v.ports.map((p) => `:${p}`).join(' ') || 'no ports'}` : 'remote'
  return { addr, sub, w: Math.max(addr.length * charWidth.big, sub.length * charWidth.small), h: 27 }
}

/** Places n vertices on a ring of radius r: their centres and their label boxes. */
function ring(items, r, offset) {
  return items.map((v, i) => {
    const angle = -Math.PI / 2 + offset + (2 * Math.PI * i) / items.length
    const [cos, sin] = r === 0 ? [0, 1] : [Math.cos(angle), Math.sin(angle)]
    const [x, y] = [r * cos, r * sin]
    const { w, h } = v.label
    // The label's centre: just outside the node, away from the centre, shifted so the box grows outward.
    const d = NODE_R + GAP
    const lx = x + d * cos + (w / 2) * cos
    const ly = y + d * sin + (h / 2) * sin
    return { v, x, y, cos, sin, box: { x: lx - w / 2, y: ly - h / 2, w, h } }
  })
}

const circleBox = (p) => ({ x: p.x - NODE_R, y: p.y - NODE_R, w: 2 * NODE_R, h: 2 * NODE_R })
const overlaps = (a, b) => a.x < b.x + b.w + GAP && b.x < a.x + a.w + GAP && a.y < b.y + b.h + GAP && b.y < a.y + a.h + GAP

/** Whether the placed vertices' labels and nodes are clear of each other (a label may touch only its own node). */
function clear(placed) {
  for (let i = 0; i < placed.length; i++) {
    for (let j = i + 1; j < placed.length; j++) {
      const [p, q] = [placed[i], placed[j]]
      if (overlaps(p.box, q.box) || overlaps(p.box, circleBox(q)) || overlaps(q.box, circleBox(p)) || overlaps(circleBox(p), circleBox(q))) return false
    }
  }
  return true
}

/** Positions of all vertices: rings from the inside out, each the smallest that keeps everything clear. */
function layout(vertices, edges) {
  const page = vertices.filter((v) => v.hub === 'page')
  // The network ring: each of the page's network nodes followed by the remote nodes it connects to.
  const network = []
  const local = vertices.filter((v) => v.hub === 'network' && v.local)
  for (const n of local) {
    network.push(n)
    for (const e of edges) {
      if (e.hub !== 'network' || (e.a !== n.address && e.b !== n.address)) continue
      const other = vertices.find((v) => v.hub === 'network' && !v.local && v.address === (e.a === n.address ? e.b : e.a))
      if (other && !network.includes(other)) network.push(other)
    }
  }
  for (const v of vertices) if (v.hub === 'network' && !network.includes(v)) network.push(v)

  let placed = []
  let r = 0
  for (const [items, offset] of [[page, 0], [network, Math.PI / Math.max(network.length, 1)]]) {
    if (items.length === 0) continue
    if (placed.length === 0 && items.length === 1) {
      placed = ring(items, 0, 0)
      r = NODE_R
      continue
    }
    // The next ring starts beyond the labels of the one inside it (they stand outward, at most this tall).
    let candidate = placed.length === 0 ? 60 : r + 2 * NODE_R + 27 + 3 * GAP
    let next = ring(items, candidate, offset)
    while (!clear([...placed, ...next]) && candidate < 5000) {
      candidate += 6
      next = ring(items, candidate, offset)
    }
    placed = [...placed, ...next]
    r = candidate
  }
  return placed
}

function render(vertices, edges, width) {
  const svg = document.getElementById('graph')
  if (!charWidth) measureFont(svg)
  for (const v of vertices) v.label = labelOf(v)
  const placed = layout(vertices, edges)
  const at = new Map(placed.map((p) => [`${p.v.hub}|${p.v.address}`, p]))

  // The picture's extent: every node, label and loop, with a margin.
  const boxes = placed.flatMap((p) => [p.box, { x: p.x - NODE_R - 20, y: p.y - NODE_R - 20, w: 2 * NODE_R + 40, h: 2 * NODE_R + 40 }])
  const x0 = Math.min(0, ...boxes.map((b) => b.x)) - GAP
  const y0 = Math.min(0, ...boxes.map((b) => b.y)) - GAP
  const x1 = Math.max(0, ...boxes.map((b) => b.x + b.w)) + GAP
  const y1 = Math.max(0, ...boxes.map((b) => b.y + b.h)) + GAP
  const [w, h] = [x1 - x0, y1 - y0]
  const scale = Math.max(MIN_SCALE, Math.min(MAX_SCALE, width / w))
  svg.setAttribute('viewBox', `${x0} ${y0} ${w} ${h}`)
  const grew = Number(svg.getAttribute('width')) !== Math.round(w * scale)
  svg.setAttribute('width', Math.round(w * scale))
  svg.setAttribute('height', Math.round(h * scale))
  // Wider than the screen: it scrolls sideways, starting from the middle.
  const wrap = document.getElementById('graph-wrap')
  if (grew && wrap.scrollWidth > wrap.clientWidth) wrap.scrollLeft = (wrap.scrollWidth - wrap.clientWidth) / 2

  // Things move to their new places (CSS transitions from where they were drawn last); new nodes fade in.
  const moves = [] // [element, property, from, to]
  const move = (el, prop, key, to) => {
    const from = lastDrawn.get(key)
    el.style[prop] = from ?? to
    if (from && from !== to) moves.push([el, prop, to])
    nextDrawn.set(key, to)
  }
  const nextDrawn = new Map()

  const links = edges.map((e) => {
    const p = at.get(`${e.hub}|${e.a}`)
    const q = at.get(`${e.hub}|${e.b}`)
    const [mx, my] = [(p.x + q.x) / 2, (p.y + q.y) / 2]
    const key = `peer|${e.hub}|${e.a}|${e.b}`
    // The attribute draws the line where CSS d is not supported; the property, where it is, animates it.
    const line = s('path', { class: 'link', d: `M ${p.x} ${p.y} L ${q.x} ${q.y}` })
    move(line, 'd', `${key}|d`, `path("M ${p.x} ${p.y} L ${q.x} ${q.y}")`)
    let badge = null
    if (e.sockets > 0) {
      badge = s('g', { class: 'badge' }, s('rect', { x: -10, y: -9, width: 20, height: 18, rx: 4 }), s('text', {}, String(e.sockets)))
      move(badge, 'transform', `${key}|badge`, `translate(${mx}px, ${my}px)`)
    }
    return s('g', { class: 'peer', 'data-peer': `${e.a} ${e.b}`, 'data-hub': e.hub, 'data-state': e.state, 'data-sockets': e.sockets },
      s('title', {}, `${e.a} ⇄ ${e.b}: ${e.state}, ${plural(e.sockets, 'socket')}`), line, badge)
  })
  const circles = placed.map((p) => {
    const { v } = p
    // A socket from a node to itself (localhost or its own address) rides on no peer connection: it is drawn as a
    // loop on the node's inner side, with how many there are. Each such socket has both its ends on the node.
    const loopback = v.local ? Math.max(0, Math.floor((v.sockets - v.peerSockets) / 2)) : 0
    const [lx, ly] = [-(NODE_R + 7) * p.cos, -(NODE_R + 7) * p.sin]
    const key = `node|${v.hub}|${v.address}`
    const g = s('g', {
      class: lastDrawn.has(key) ? 'node' : 'node enter', 'data-node': v.address, 'data-hub': v.hub, 'data-local': v.local,
      'data-ports': v.local ? v.ports.join(' ') : null, 'data-sockets': v.local ? v.sockets : null,
      'data-loopback': v.local ? loopback : null,
    },
    s('title', {}, `${v.address} (${v.local ? `${v.hub} hub, this page; ${plural(v.sockets, 'open socket end')}` : 'remote'})`),
    loopback > 0
      ? s('g', { class: 'loopback', 'data-sockets': loopback },
        s('title', {}, `${plural(loopback, 'socket')} from ${v.address} to itself`),
        s('circle', { cx: lx, cy: ly, r: 9 }),
        s('text', { x: lx, y: ly, class: 'small' }, String(loopback)))
      : null,
    s('circle', { r: NODE_R, class: 'body' }),
    v.local ? s('text', { class: 'count' }, String(v.sockets)) : null,
    s('g', { class: 'label' },
      s('text', { class: 'addr', x: p.box.x - p.x + p.box.w / 2, y: p.box.y - p.y + 8 }, v.label.addr),
      s('text', { class: 'small', x: p.box.x - p.x + p.box.w / 2, y: p.box.y - p.y + 21 }, v.label.sub)))
    move(g, 'transform', key, `translate(${p.x}px, ${p.y}px)`)
    return g
  })
  svg.replaceChildren(...links, ...circles)
  lastDrawn = nextDrawn
  if (moves.length > 0) {
    svg.getBoundingClientRect() // the old places are drawn first: the transitions start from them
    for (const [el, prop, to] of moves) el.style[prop] = to
  }
}

/** Where each node, link and badge was drawn last: key → CSS value. */
let lastDrawn = new Map()

function drawTable() {
  const kib = (n) => `${(n / 1024).toFixed(1)} KiB`
  document.querySelector('#nodes tbody').replaceChildren(...nodes.filter((n) => n.address && n.stat).map((n) =>
    h('tr', { 'data-node': n.address },
      h('td', { class: 'mono' }, n.address), h('td', {}, n.hub),
      h('td', { class: 'mono' }, n.stat.listening.join(', ')),
      h('td', { class: 'mono' }, n.stat.peers.map((p) => `${p.address} ${p.state}`).join(', ') || '–'),
      h('td', {}, String(n.stat.openSockets)),
      h('td', { class: 'mono wide-only' }, `${kib(n.stat.bytesIn)} / ${kib(n.stat.bytesOut)}`),
      h('td', { class: 'wide-only' }, `${Math.round(n.stat.uptime / 1000)} s`))))
}

/** s('line', { x1: 0, … }, children…) makes an SVG element. */
function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag)
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) el.setAttribute(k, String(v))
  el.append(...children.filter((c) => c !== null))
  return el
}

// A new width lays the picture out again at the next poll.
window.addEventListener('resize', () => { drawn = '' })

// ---- start: three nodes on the page hub and one socket between the first two

const first = [addNode('page'), addNode('page'), addNode('page')]
poll()
const [a, b, c] = await Promise.all(first.map((n) => n.ready))
openSocket(a, b.address)
fromSelect.value = b.address
toInput.value = c.address
