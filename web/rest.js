// The REST playground of rest.html: a host node serving a few routes and a client node that calls them, both on the
// network hub that served the page (so other tabs can reach the host, by address or by a hostname it registers).
// The DOM carries what happened as data attributes:
//   #host-address, #client-address   data-address (once the hub has given one)
//   #registered                      data-hostname (once registered)
//   #response                        data-state (idle | waiting | reading | done | cancelled | error | invalid: a URL
//                                    that is not for the hub, not sent), data-status, data-bytes
//                                    (body bytes read), data-url (the URL requested)
//   #response-body                   the body as text (or a summary of a binary body)
//   #hostlog li                      data-method, data-url, data-from: the requests the host saw
import { Node, NetworkHub } from '@smokenet/smoke'
import { h, describe } from './ui.js'

const MiB = 1 << 20
const MAX_MIB = 64
const SHOW_CHARS = 64 * 1024 // the most of a text body the page shows
const HOSTLOG = 50 // requests the host log keeps
const BAR_BYTES = 256 * 1024 // the smallest body the progress bar shows

const $ = (id) => document.getElementById(id)
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// The host's routes: [method, path, what it answers, a request to try it with: [method, path, body]].
const ROUTES = [
  ['GET', '/', 'this list, as JSON', ['GET', '/']],
  ['GET', '/time', 'the host\'s clock and uptime, as JSON', ['GET', '/time']],
  ['GET', '/hello/:name?greeting=', 'a greeting, as text', ['GET', '/hello/smoke?greeting=hi']],
  ['POST', '/echo', 'the JSON body it was sent (any other body as it came)', ['POST', '/echo', '{"hello": "smoke", "n": 1}']],
  ['GET', '/stream', 'ten lines written a quarter second apart with write(), then end()', ['GET', '/stream']],
  ['GET', '/big?mib=N', `N MiB of bytes (at most ${MAX_MIB}), written 1 MiB at a time`, ['GET', '/big?mib=16']],
]

/** routes adds the playground's routes to app; host is the node serving them. */
function routes(app, host) {
  // Every request goes in the host log first.
  app.use((req, res, next) => {
    logRequest(req)
    next()
  })
  app.get('/', (req, res) => res.json(ROUTES.map(([method, path, answers]) => ({ method, path, answers }))))
  app.get('/time', (req, res) => res.json({ time: new Date().toISOString(), uptime: Math.round(host.system.uptime()) }))
  app.get('/hello/:name', (req, res) => {
    const greeting = typeof req.query.greeting === 'string' && req.query.greeting ? req.query.greeting : 'hello'
    res.text(`${greeting}, ${req.params.name}!`)
  })
  app.post('/echo', async (req, res) => {
    const type = req.get('content-type') ?? ''
    if (!type.includes('json')) {
      res.set('Content-Type', type || 'application/octet-stream')
      return res.send(await req.buffer())
    }
    let value
    try {
      value = JSON.parse(await req.text())
    } catch (err) {
      return res.status(400).json({ error: `not JSON: ${err.message}` })
    }
    return res.json(value)
  })
  app.get('/stream', async (req, res) => {
    res.set('Content-Type', 'text/plain; charset=utf-8')
    for (let i = 1; i <= 10 && !req.signal.aborted; i++) {
      await res.write(`line ${i} of 10 at ${new Date().toISOString()}\n`)
      await sleep(250)
    }
    await res.end('done\n')
  })
  app.get('/big', async (req, res) => {
    const mib = Number(req.query.mib ?? 8)
    if (!Number.isInteger(mib) || mib < 0 || mib > MAX_MIB) {
      return res.status(400).text(`mib must be a whole number from 0 to ${MAX_MIB}`)
    }
    const chunk = new Uint8Array(MiB)
    for (let i = 0; i < chunk.length; i++) chunk[i] = i & 0xff
    res.set({ 'Content-Type': 'application/octet-stream', 'Content-Length': mib * MiB })
    for (let i = 0; i < mib && !req.signal.aborted; i++) await res.write(chunk) // resolves when there is room
    await res.end()
  })
  // A handler that throws or rejects comes here: a 500 that says why, or, once the head has gone (a write that
  // failed because the caller went away, say), a cut response.
  app.use((err, req, res, next) => {
    if (res.headersSent) return res.abort()
    return res.status(500).json({ error: describe(err) })
  })
}

function logRequest(req) {
  const log = $('hostlog')
  log.querySelector('li.muted')?.remove()
  log.prepend(h('li', { 'data-method': req.method, 'data-url': req.url, 'data-from': req.address },
    `${new Date().toLocaleTimeString()} ${req.method} ${req.url} from ${req.address}`))
  while (log.children.length > HOSTLOG) log.lastElementChild.remove()
}

const isText = (type) => /^text\/|json|xml|javascript|x-www-form-urlencoded/.test(type ?? '')

function formatBytes(n) {
  return n >= MiB ? `${(n / MiB).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} bytes`
}

/** playground starts the host and client nodes and wires up the page's forms. */
export async function playground() {
  const hub = new NetworkHub(location.origin) // the page's origin: NetworkHub makes http(s) ws(s)
  $('hub').textContent = hub.url
  const host = new Node({ hub })
  const client = new Node({ hub })
  const app = host.rest.createServer()
  routes(app, host)
  app.listen(80)

  const send = $('send')
  const cancel = $('cancel')
  const method = $('method')
  const path = $('path')
  const body = $('body')
  let hostAddress = null
  let controller = null

  // The routes table, each with a button that fills in the form and sends the request (after cancelling one that
  // is still under way).
  for (const [m, p, answers, [tryMethod, tryPath, tryBody]] of ROUTES) {
    const fill = () => {
      method.value = tryMethod
      path.value = tryPath
      body.value = tryBody ?? ''
      if (hostAddress) run()
    }
    $('routes').tBodies[0].append(h('tr', {},
      h('td', { class: 'mono' }, `${m} ${p}`), h('td', {}, answers),
      h('td', {}, h('button', { type: 'button', onclick: fill, 'data-try': p }, 'Try'))))
  }

  const response = $('response')
  const status = $('status')
  const elapsed = $('elapsed')
  const progress = $('progress')
  const received = $('received')
  const shownBody = $('response-body')
  const headers = $('response-headers').tBodies[0]

  async function request() {
    const verb = method.value
    const target = path.value.trim()
    // A URL of another scheme (http, https, ws) is not a place on the hub: say so, and send nothing.
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(target)?.[1]
    if (scheme && scheme.toLowerCase() !== 'rest') {
      Object.assign(response.dataset, { state: 'invalid', status: '', bytes: '0', url: '' })
      status.textContent = `${scheme}: URLs do not go over the hub`
      elapsed.textContent = ''
      $('url').textContent = `Use a path on the host (such as /time) or rest://address-or-hostname[:port]/path; ` +
        `${target} is a web address, which a browser fetches with fetch().`
      headers.replaceChildren()
      shownBody.hidden = true
      progress.hidden = true
      received.textContent = ''
      path.setCustomValidity('a path or a rest:// URL')
      return
    }
    path.setCustomValidity('')
    const url = target.startsWith('rest://') ? target : `rest://${hostAddress}${target.startsWith('/') ? '' : '/'}${target}`
    const options = { method: verb }
    const text = body.value
    if (text && verb !== 'GET' && verb !== 'HEAD') {
      let json = true
      try { JSON.parse(text) } catch { json = false }
      options.headers = { 'Content-Type': json ? 'application/json' : 'text/plain; charset=utf-8' }
      options.body = text
    }
    controller = new AbortController()
    options.signal = controller.signal

    // Progress: the bar shows a big response body as it is read (a big request body's, while it is sent).
    options.progress = (p) => {
      if (p.lengthComputable && p.total >= BAR_BYTES) {
        progress.hidden = false
        progress.max = p.total
        progress.value = p.loaded
      }
      received.textContent = `${p.direction === 'upload' ? 'sent' : 'received'} ${formatBytes(p.loaded)}` +
        (p.lengthComputable ? ` of ${formatBytes(p.total)}` : '')
    }

    Object.assign(response.dataset, { state: 'waiting', status: '', bytes: '0', url })
    status.textContent = `${verb} …`
    elapsed.textContent = ''
    progress.hidden = true
    progress.value = 0
    received.textContent = ''
    $('url').textContent = `${verb} ${url}`
    headers.replaceChildren()
    shownBody.hidden = true
    shownBody.textContent = ''
    send.disabled = true
    cancel.disabled = false

    const start = performance.now()
    const ms = () => `${Math.round(performance.now() - start)} ms`
    try {
      const r = await client.rest.fetch(url, options)
      response.dataset.status = r.status
      response.dataset.state = 'reading'
      status.textContent = `${r.status} ${r.statusText}`
      elapsed.textContent = `head after ${ms()}`
      for (const [name, value] of r.headers) headers.append(h('tr', {}, h('td', { class: 'mono' }, name), h('td', { class: 'mono' }, value)))

      // The body, read as it comes: text shows as it streams in, bytes are counted.
      const type = r.headers.get('content-type')
      const text = isText(type)
      let shown = ''
      let first = null
      let bytes = 0
      if (r.body) {
        shownBody.hidden = false
        const decoder = new TextDecoder()
        const reader = r.body.getReader()
        for (;;) {
          const { done, value } = await reader.read()
          if (done) break
          bytes += value.length
          response.dataset.bytes = bytes
          if (!first) first = value.slice(0, 32)
          if (text && shown.length < SHOW_CHARS) {
            shown += decoder.decode(value, { stream: true })
            shownBody.textContent = shown.length > SHOW_CHARS ? `${shown.slice(0, SHOW_CHARS)}…` : shown
          } else if (!text) {
            shownBody.textContent = `${formatBytes(bytes)} of ${type || 'bytes'}`
          }
        }
        if (text) shown += decoder.decode()
        if (text && shown.length <= SHOW_CHARS) shownBody.textContent = shown
        if (!text) {
          const hex = first ? [...first].map((b) => b.toString(16).padStart(2, '0')).join(' ') : ''
          shownBody.textContent = `${bytes} bytes (${formatBytes(bytes)}) of ${type || 'bytes'}${hex ? `; starting ${hex}${bytes > 32 ? ' …' : ''}` : ''}`
        }
        if (text && bytes === 0) shownBody.textContent = '(empty body)'
      } else {
        shownBody.hidden = false
        shownBody.textContent = '(no body)'
      }
      elapsed.textContent += `, done after ${ms()}`
      received.textContent = bytes >= MiB ? `${formatBytes(bytes)} at ${formatRate(bytes, performance.now() - start)}` : ''
      response.dataset.state = 'done'
    } catch (err) {
      // Cancel is what the user asked for, not a failure.
      const cancelled = controller?.signal.aborted
      response.dataset.state = cancelled ? 'cancelled' : 'error'
      status.textContent = cancelled ? 'Cancelled' : describe(err)
      elapsed.textContent = cancelled ? `after ${ms()}${response.dataset.status ? `, ${formatBytes(Number(response.dataset.bytes))} of the body read` : ''}` : `after ${ms()}`
    } finally {
      controller = null
      send.disabled = false
      cancel.disabled = true
    }
  }

  // run sends the form's request; one still under way is cancelled first.
  let running = null
  let latest = 0
  async function run() {
    const me = ++latest
    if (running) {
      controller?.abort()
      await running
      if (me !== latest) return // a later click won
    }
    running = request()
    await running
    running = null
  }

  $('request').addEventListener('submit', (e) => {
    e.preventDefault()
    if (hostAddress) run()
  })
  path.addEventListener('input', () => path.setCustomValidity(''))
  cancel.addEventListener('click', () => controller?.abort())

  $('register').addEventListener('submit', async (e) => {
    e.preventDefault()
    const name = $('hostname').value.trim()
    const out = $('registered')
    try {
      await host.hub.register(name)
      out.className = 'mono'
      out.dataset.hostname = name
      out.textContent = `registered: another tab's playground can fetch rest://${name}/time`
    } catch (err) {
      out.className = 'mono error'
      out.textContent = describe(err)
    }
  })

  try {
    const [a, c] = await Promise.all([host.address(), client.address()])
    hostAddress = a
    $('host-address').textContent = $('host-address').dataset.address = a
    $('client-address').textContent = $('client-address').dataset.address = c
    send.disabled = false
    document.querySelector('#register button').disabled = false
  } catch (err) {
    const shown = $('host-address')
    shown.textContent = `no address: ${describe(err)} (the playground needs the page served by smoke-hub)`
    shown.classList.add('error')
  }
}

function formatRate(bytes, ms) {
  return ms > 0 ? `${formatBytes(Math.round(bytes / (ms / 1000)))}/s` : ''
}
