// The network view: runs a few nodes, polls each one's netstat() every POLL_MS and draws the nodes, their peer
// connections and open sockets as SVG. The DOM carries the figures as data attributes:
//   #summary            data-nodes, data-peers, data-sockets (totals of what the graph shows)
//   g.node              data-node (address), data-hub (page | network), data-local, data-ports, data-sockets
//   g.peer              data-peer ("a b", the two addresses sorted), data-hub, data-state, data-sockets
//   #sockets tr         data-socket (#), data-from, data-to, data-state
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
  const counts = h('span', { class: 'mono' }, '0 / 0')
  const close = h('button', { type: 'button' }, 'Close')
  const row = h('tr', { 'data-socket': id, 'data-from': entry.address, 'data-to': to, 'data-state': 'connecting' },
    h('td', {}, String(id)), h('td', { class: 'mono' }, entry.address), h('td', { class: 'mono' }, `${to}:${PORT}`),
    h('td', {}, state), h('td', {}, counts), h('td', {}, close))
  document.querySelector('#sockets tbody').prepend(row)
  let sent = 0
  let received = 0
  const setState = (s, title) => {
    showState(state, s)
    row.dataset.state = s
    if (title) state.title = title
    close.disabled = s === 'closed' || s === 'closing'
  }
  const ping = () => {
    socket.send(`hello ${++sent} from ${entry.address}`)
    counts.textContent = `${received} / ${sent}`
  }
  setState('connecting')
  socket.on('open', () => { setState('open'); ping() })
  socket.on('message', () => { received++; counts.textContent = `${received} / ${sent}` })
  socket.on('error', (err) => { state.title = describe(err); row.dataset.error = err.code ?? '' })
  socket.on('close', (e) => { setState('closed', `${describeClose(e)}${state.title ? `; ${state.title}` : ''}`) })
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

function draw() {
  const { vertices, edges } = model()
  const sockets = vertices.reduce((sum, v) => sum + (v.sockets ?? 0), 0)
  const summary = document.getElementById('summary')
  summary.dataset.nodes = vertices.length
  summary.dataset.peers = edges.length
  summary.dataset.sockets = sockets
  summary.textContent = `${vertices.length} nodes (${vertices.filter((v) => v.local).length} run by this page) · ` +
    `${edges.length} peer connections (${edges.filter((e) => e.state === 'connected').length} connected) · ` +
    `${sockets} open sockets`
  drawTable()

  const picture = JSON.stringify({ vertices, edges })
  if (picture === drawn) return // nothing moved: leave the DOM alone
  drawn = picture

  const svg = document.getElementById('graph')
  const [cx, cy, r] = [320, 195, vertices.length > 1 ? 140 : 0]
  const at = new Map()
  vertices.forEach((v, i) => {
    const angle = -Math.PI / 2 + (2 * Math.PI * i) / vertices.length
    at.set(`${v.hub}|${v.address}`, [cx + r * Math.cos(angle), cy + r * Math.sin(angle)])
  })
  const links = edges.map((e) => {
    const [x1, y1] = at.get(`${e.hub}|${e.a}`)
    const [x2, y2] = at.get(`${e.hub}|${e.b}`)
    const [mx, my] = [(x1 + x2) / 2, (y1 + y2) / 2]
    return s('g', { class: 'peer', 'data-peer': `${e.a} ${e.b}`, 'data-hub': e.hub, 'data-state': e.state, 'data-sockets': e.sockets },
      s('title', {}, `${e.a} ⇄ ${e.b}: ${e.state}, ${e.sockets} socket(s)`),
      s('line', { x1, y1, x2, y2 }),
      e.sockets > 0 ? s('rect', { x: mx - 10, y: my - 9, width: 20, height: 18, rx: 4 }) : null,
      e.sockets > 0 ? s('text', { x: mx, y: my }, String(e.sockets)) : null)
  })
  const circles = vertices.map((v) => {
    const [x, y] = at.get(`${v.hub}|${v.address}`)
    const label = v.address.length > 10 ? `${v.address.slice(0, 9)}…` : v.address
    return s('g', {
      class: 'node', transform: `translate(${x} ${y})`, 'data-node': v.address, 'data-hub': v.hub, 'data-local': v.local,
      'data-ports': v.local ? v.ports.join(' ') : null, 'data-sockets': v.local ? v.sockets : null,
    },
    s('title', {}, `${v.address} (${v.local ? `${v.hub} hub, this page` : 'remote'})`),
    s('circle', { r: 34 }),
    s('text', { y: -6 }, label),
    s('text', { y: 10, class: 'small' }, v.local ? `${v.ports.map((p) => `:${p}`).join(' ')}` : 'remote'),
    v.local ? s('text', { y: 50, class: 'small' }, `${v.sockets} socket${v.sockets === 1 ? '' : 's'}`) : null)
  })
  svg.replaceChildren(...links, ...circles)
}

function drawTable() {
  const kib = (n) => `${(n / 1024).toFixed(1)} KiB`
  document.querySelector('#nodes tbody').replaceChildren(...nodes.filter((n) => n.address && n.stat).map((n) =>
    h('tr', { 'data-node': n.address },
      h('td', { class: 'mono' }, n.address), h('td', {}, n.hub),
      h('td', { class: 'mono' }, n.stat.listening.join(', ')),
      h('td', { class: 'mono' }, n.stat.peers.map((p) => `${p.address} ${p.state}`).join(', ') || '–'),
      h('td', {}, String(n.stat.openSockets)),
      h('td', { class: 'mono' }, `${kib(n.stat.bytesIn)} / ${kib(n.stat.bytesOut)}`),
      h('td', {}, `${Math.round(n.stat.uptime / 1000)} s`))))
}

/** s('line', { x1: 0, … }, children…) makes an SVG element. */
function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag)
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) el.setAttribute(k, String(v))
  el.append(...children.filter((c) => c !== null))
  return el
}

// ---- start: three nodes on the page hub and one socket between the first two

const first = [addNode('page'), addNode('page'), addNode('page')]
poll()
const [a, b, c] = await Promise.all(first.map((n) => n.ready))
openSocket(a, b.address)
fromSelect.value = b.address
toInput.value = c.address
