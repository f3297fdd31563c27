// Browser-side cases of node.rest, driven by TestREST (rest_test.go): run(smoke) runs each case in turn and resolves
// to [{ name, ok, error, ms }]. Each case makes its own PageHub: a serves, b fetches.

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

function assert(cond, message) {
  if (!cond) throw new Error(message)
}

function assertEq(got, want, what) {
  const g = JSON.stringify(got)
  const w = JSON.stringify(want)
  if (g !== w) throw new Error(`${what}: got ${g}, want ${w}`)
}

async function rejects(p, code, what) {
  try {
    await p
  } catch (err) {
    assert(err instanceof Error || err instanceof DOMException, `${what}: rejected with a non-Error ${err}`)
    assertEq(err.code, code, `${what}: code of "${err.message}"`)
    return err
  }
  throw new Error(`${what}: did not reject`)
}

function throws(f, code, what) {
  try {
    f()
  } catch (err) {
    assertEq(err.code, code, `${what}: code of "${err.message}"`)
    return err
  }
  throw new Error(`${what}: did not throw`)
}

async function pair(smoke) {
  const hub = new smoke.PageHub()
  const a = new smoke.Node({ hub })
  const b = new smoke.Node({ hub })
  const aAddr = await a.address()
  await b.address()
  return { a, b, aAddr, url: (path, port = 80) => `rest://${aAddr}${port === 80 ? '' : ':' + port}${path}` }
}

// bytes returns n pseudo-random bytes (crypto.getRandomValues takes at most 64 KiB at a time).
function bytes(n) {
  const b = new Uint8Array(n)
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(b.subarray(i, Math.min(n, i + 65536)))
  return b
}

async function sha256(b) {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', b))
  return Array.from(d, (x) => x.toString(16).padStart(2, '0')).join('')
}

const cases = {
  async 'verbs'(smoke) {
    const { a, b, url } = await pair(smoke)
    const app = a.rest.createServer()
    const reply = async (req, res) => res.send(`${req.method} ${await req.text()}`)
    app.get('/v', reply).post('/v', reply).put('/v', reply).patch('/v', reply).delete('/v', reply)
    app.options('/v', reply)
    app.method('POST', '/upper', reply).method('post', '/lower', reply).method('Put', '/mixed', reply)
    app.all('/all', reply)
    app.listen(80)
    for (const m of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
      const body = m === 'GET' ? undefined : `body of ${m}`
      const r = await b.rest.fetch(url('/v'), { method: m, body })
      assertEq([r.status, await r.text()], [200, `${m} ${body ?? ''}`], m)
    }
    for (const [path, m] of [['/upper', 'post'], ['/lower', 'POST'], ['/mixed', 'put'], ['/all', 'PATCH']]) {
      const r = await b.rest.fetch(url(path), { method: m, body: 'x' })
      assertEq([r.status, await r.text()], [200, `${m.toUpperCase()} x`], `${m} ${path}`)
    }
    assertEq((await b.rest.fetch(url('/upper'))).status, 404, 'GET on a POST route')
    // A GET route answers HEAD, without a body.
    const head = await b.rest.fetch(url('/v'), { method: 'HEAD' })
    assertEq([head.status, head.body, await head.text()], [200, null, ''], 'HEAD')
    app.dispose()
  },

  async 'params and query'(smoke) {
    const { a, b, url } = await pair(smoke)
    const echo = (req, res) => res.json({ params: req.params, query: req.query, path: req.path, url: req.url })
    a.rest.createServer()
      .get('/users/:id/books/:book?', echo)
      .get('/files/*', echo)
      .get(/^\/re\/(\d+)$/, echo)
      .listen(80)
    let r = await (await b.rest.fetch(url('/users/42/books/dune?a=1&b=2&b=3&c=%20x'))).json()
    assertEq(r, { params: { id: '42', book: 'dune' }, query: { a: '1', b: ['2', '3'], c: ' x' }, path: '/users/42/books/dune', url: '/users/42/books/dune?a=1&b=2&b=3&c=%20x' }, 'params')
    r = await (await b.rest.fetch(url('/USERS/a%20b/Books/'))).json()
    assertEq(r.params, { id: 'a b' }, 'optional param absent, case-insensitive, trailing slash, decoded')
    r = await (await b.rest.fetch(url('/files/a/b/c.txt'))).json()
    assertEq(r.params, { 0: 'a/b/c.txt' }, 'wildcard')
    r = await (await b.rest.fetch(url('/re/17'))).json()
    assertEq(r.params, { 0: '17' }, 'RegExp')
  },

  async 'headers round trip'(smoke) {
    const { a, b, url } = await pair(smoke)
    a.rest.createServer().get('/h', (req, res) => {
      res.headers['X-Reply'] = req.headers['x-custom-thing'] + '/' + req.get('X-CUSTOM-THING')
      res.headers['Content-Type'] = 'text/x-test'
      res.set('x-multi', ['1', '2']).setHeader('X-Reply-Upper', 'UP')
      res.send('ok')
    }).listen(80)
    const r = await b.rest.fetch(url('/h'), { headers: { 'X-Custom-Thing': 'v1' } })
    assertEq(r.headers.get('x-reply'), 'v1/v1', 'x-reply')
    assertEq(r.headers.get('CONTENT-TYPE'), 'text/x-test', 'content-type')
    assertEq(r.headers.get('X-Multi'), '1, 2', 'x-multi')
    assert(r.headers.has('x-reply-upper'), 'has x-reply-upper')
    assert([...r.headers].some(([k]) => k === 'x-reply'), 'iteration gives lower-case names')
    assertEq([r.ok, r.statusText], [true, 'OK'], 'ok, statusText')
  },

  async 'status'(smoke) {
    const { a, b, url } = await pair(smoke)
    a.rest.createServer()
      .get('/prop', (req, res) => { res.status = 201; res.send(`${+res.status}`) })
      .get('/call', (req, res) => res.status(202).send(`${res.status}`))
      .get('/code', (req, res) => { res.statusCode = 203; res.end() })
      .get('/bad', (req, res) => { res.status(42) })
      .listen(80)
    for (const [path, code] of [['/prop', 201], ['/call', 202], ['/code', 203]]) {
      const r = await b.rest.fetch(url(path))
      assertEq(r.status, code, path)
      if (path !== '/code') assertEq(await r.text(), String(code), `${path} body`)
    }
    assertEq((await b.rest.fetch(url('/bad'))).status, 500, 'a bad status is an error: 500')
  },

  async '404'(smoke) {
    const { a, b, url } = await pair(smoke)
    a.rest.createServer().get('/', (req, res) => res.send('root')).listen(80)
    const r = await b.rest.fetch(url('/nope'))
    assertEq([r.status, r.ok, await r.text()], [404, false, 'Cannot GET /nope'], '404')
  },

  async 'throwing and rejecting handlers are 500s'(smoke) {
    const { a, b, url } = await pair(smoke)
    a.rest.createServer()
      .get('/throw', () => { throw new Error('rest handler boom') })
      .get('/reject', async () => { await sleep(1); throw new Error('rest async boom') })
      .get('/late', async (req, res) => {
        await res.write('partial')
        throw new Error('rest late boom')
      })
      .get('/ok', (req, res) => res.send('still serving'))
      .listen(80)
    for (const path of ['/throw', '/reject', '/throw']) {
      const r = await b.rest.fetch(url(path))
      assertEq([r.status, await r.text()], [500, 'Internal Server Error'], path)
      assertEq(await (await b.rest.fetch(url('/ok'))).text(), 'still serving', `after ${path}`)
    }
    // After the head: the response is cut, the body read fails.
    const r = await b.rest.fetch(url('/late'))
    assertEq(r.status, 200, 'late: head')
    let failed = false
    try {
      await r.text()
    } catch {
      failed = true
    }
    assert(failed, 'late: the body read did not fail')
    assertEq(await (await b.rest.fetch(url('/ok'))).text(), 'still serving', 'after /late')
  },

  async 'middleware order and next()'(smoke) {
    const { a, b, url } = await pair(smoke)
    const app = a.rest.createServer()
    app.use((req, res, next) => { req.trail = ['all']; next() })
    app.use('/mw', async (req, res, next) => { await sleep(1); req.trail.push('mw'); next() })
    app.use('/other', (req, res, next) => { req.trail.push('other'); next() })
    app.get('/mw/x', (req, res, next) => { req.trail.push('h1'); next() }, (req, res) => res.json([...req.trail, 'h2']))
    app.get('/fail', (req, res, next) => next(new Error('passed on')))
    app.get('/fail', () => { throw new Error('not reached') })
    app.use((err, req, res, next) => res.status(418).send(`handled: ${err.message}`))
    app.listen(80)
    assertEq(await (await b.rest.fetch(url('/mw/x'))).json(), ['all', 'mw', 'h1', 'h2'], 'order')
    const r = await b.rest.fetch(url('/fail'))
    assertEq([r.status, await r.text()], [418, 'handled: passed on'], 'error middleware')
    assertEq((await b.rest.fetch(url('/mwx'))).status, 404, "use('/mw') does not match /mwx")
  },

  async 'bodies both ways are intact (1 MB, 16 MiB)'(smoke) {
    const { a, b, url } = await pair(smoke)
    const blobs = new Map()
    a.rest.createServer()
      .post('/hash', async (req, res) => res.send(await sha256(await req.buffer())))
      .post('/echo', async (req, res) => res.send(await req.buffer()))
      .get('/blob/:n', (req, res) => res.send(blobs.get(req.params.n)))
      .listen(80)
    for (const n of [1000000, 16 << 20]) {
      const data = bytes(n)
      const want = await sha256(data)
      blobs.set(String(n), data)
      assertEq(await (await b.rest.fetch(url('/hash'), { method: 'POST', body: data })).text(), want, `${n} up`)
      const down = await b.rest.fetch(url(`/blob/${n}`))
      assertEq(down.headers.get('content-length'), String(n), `${n} content-length`)
      assertEq(await sha256(await down.arrayBuffer()), want, `${n} down`)
      const echo = await (await b.rest.fetch(url('/echo'), { method: 'POST', body: data.buffer })).buffer()
      assertEq([echo.length, await sha256(echo)], [n, want], `${n} echo`)
      // A streamed upload (no Content-Length), read on the server through req.readable().
      const chunks = new ReadableStream({
        start(c) {
          for (let i = 0; i < n; i += 300000) c.enqueue(data.slice(i, i + 300000))
          c.close()
        },
      })
      assertEq(await (await b.rest.fetch(url('/hash'), { method: 'POST', body: chunks })).text(), want, `${n} stream up`)
      blobs.delete(String(n))
    }
  },

  async 'streaming response'(smoke) {
    const { a, b, url } = await pair(smoke)
    let release
    const released = new Promise((resolve) => { release = resolve })
    a.rest.createServer().get('/stream', async (req, res) => {
      res.set('Content-Type', 'text/plain')
      await res.write('first;')
      await released // the client has read 'first;' before the rest exists: the body streams
      for (let i = 0; i < 5; i++) await res.write(`chunk${i};`)
      await res.end('last')
    }).listen(80)
    const r = await b.rest.fetch(url('/stream'))
    assertEq([r.status, r.headers.get('content-length')], [200, null], 'head')
    const reader = r.body.getReader()
    const dec = new TextDecoder()
    const first = await reader.read()
    assertEq(dec.decode(first.value), 'first;', 'first chunk')
    release()
    let text = ''
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      assert(value instanceof Uint8Array, 'chunks are Uint8Arrays')
      text += dec.decode(value)
    }
    assertEq(text, 'chunk0;chunk1;chunk2;chunk3;chunk4;last', 'rest of the body')
    assert(r.bodyUsed, 'bodyUsed')
  },

  async 'readable pipes'(smoke) {
    const { a, b, url } = await pair(smoke)
    a.rest.createServer()
      .post('/upper', async (req, res) => {
        res.set('Content-Type', 'text/plain')
        await res.readable(req.readable().pipeThrough(new TextDecoderStream()).pipeThrough(new TransformStream({
          transform(chunk, c) { c.enqueue(chunk.toUpperCase()) },
        })))
      })
      .get('/send-stream', (req, res) => res.send(new Blob(['from a blob stream']).stream()))
      .listen(80)
    const r = await b.rest.fetch(url('/upper'), { method: 'POST', body: new Blob(['hello ', 'streams']).stream() })
    assertEq(await r.text(), 'HELLO STREAMS', 'piped')
    assertEq(await (await b.rest.fetch(url('/send-stream'))).text(), 'from a blob stream', 'send(stream)')
  },

  async 'request body kinds'(smoke) {
    const { a, b, url } = await pair(smoke)
    a.rest.createServer().post('/', async (req, res) => res.json({ type: req.headers['content-type'] ?? null, body: await req.text() })).listen(80)
    const post = async (body) => (await b.rest.fetch(url('/'), { method: 'POST', body })).json()
    assertEq(await post('s'), { type: 'text/plain;charset=UTF-8', body: 's' }, 'string')
    assertEq(await post({ x: [1] }), { type: 'application/json', body: '{"x":[1]}' }, 'object')
    assertEq(await post(new URLSearchParams({ q: 'a b' })), { type: 'application/x-www-form-urlencoded;charset=UTF-8', body: 'q=a+b' }, 'URLSearchParams')
    assertEq(await post(new TextEncoder().encode('u8')), { type: null, body: 'u8' }, 'Uint8Array')
    assertEq(await post(new DataView(new TextEncoder().encode('dv').buffer)), { type: null, body: 'dv' }, 'DataView')
    assertEq(await post(new Blob(['blob'], { type: 'text/x-blob' })), { type: 'text/x-blob', body: 'blob' }, 'Blob')
    await rejects(b.rest.fetch(url('/'), { body: 'x' }).catch((e) => { e.code = e.name; throw e }), 'TypeError', 'GET with a body')
  },

  async 'relative URLs are this node'(smoke) {
    const { a } = await pair(smoke)
    a.rest.createServer().get('/self', (req, res) => res.send(`self ${req.host}`)).listen(80)
    a.rest.createServer().get('/', (req, res) => res.send('port 81')).listen(81)
    assertEq(await (await a.rest.fetch('/self')).text(), 'self localhost', '/self')
    assertEq(await (await a.rest.fetch('rest://localhost:81/')).text(), 'port 81', 'localhost:81')
    const r = await a.rest.fetch('/self?x=1#frag')
    assertEq(r.url, 'rest://localhost/self?x=1', 'url')
    await r.text()
  },

  async 'redirects'(smoke) {
    const { a, b, url } = await pair(smoke)
    a.rest.createServer()
      .get('/old', (req, res) => res.redirect('/new?from=old'))
      .post('/form', (req, res) => res.redirect(303, '/new'))
      .put('/moved', (req, res) => res.redirect(307, '/echo'))
      .put('/echo', async (req, res) => res.send(`${req.method} ${await req.text()}`))
      .get('/new', (req, res) => res.send(`new ${req.method} ${req.query.from ?? ''}`))
      .get('/loop', (req, res) => res.redirect('/loop'))
      .listen(80)
    const r = await b.rest.fetch(url('/old'))
    assertEq([r.status, r.redirected, r.url, await r.text()], [200, true, url('/new?from=old'), 'new GET old'], 'follow')
    const posted = await b.rest.fetch(url('/form'), { method: 'POST', body: 'x=1' })
    assertEq(await posted.text(), 'new GET ', '303 after POST becomes a GET')
    const put = await b.rest.fetch(url('/moved'), { method: 'PUT', body: 'kept' })
    assertEq(await put.text(), 'PUT kept', '307 keeps method and body')
    const manual = await b.rest.fetch(url('/old'), { redirect: 'manual' })
    assertEq([manual.status, manual.redirected, manual.headers.get('location')], [302, false, '/new?from=old'], 'manual')
    await manual.arrayBuffer()
    const err = await b.rest.fetch(url('/old'), { redirect: 'error' }).then(() => null, (e) => e)
    assert(err instanceof Error, 'redirect: error rejects')
    const loop = await b.rest.fetch(url('/loop')).then(() => null, (e) => e)
    assert(loop instanceof Error && /redirects/.test(loop.message), `a redirect loop fails: ${loop}`)
  },

  async 'listen and dispose'(smoke) {
    const { a, b, url } = await pair(smoke)
    const one = a.rest.createServer().get('/', (req, res) => res.send('one')).listen(90)
    assertEq(one.port, 90, 'port')
    throws(() => a.rest.createServer().listen(90), 'ERR_PORT_IN_USE', 'second listen')
    throws(() => a.sockets.createServer(() => {}).listen(90), 'ERR_PORT_IN_USE', 'a socket server on the port')
    assertEq(await (await b.rest.fetch(url('/', 90))).text(), 'one', 'one')
    one.dispose()
    assertEq(one.port, null, 'port after dispose')
    const two = a.rest.createServer().get('/', (req, res) => res.send('two')).listen(90)
    assertEq(await (await b.rest.fetch(url('/', 90))).text(), 'two', 'two')
    two.dispose()
    await rejects(b.rest.fetch(url('/', 90)), 'ERR_PORT_NOT_LISTENING', 'after dispose')
    assertEq(a.rest.createServer().listen().port, 80, 'default port')
  },

  async 'fetch errors'(smoke) {
    const { a, b, url } = await pair(smoke)
    const closed = await rejects(b.rest.fetch(url('/', 9999)), 'ERR_PORT_NOT_LISTENING', 'closed port')
    assert(/9999/.test(closed.message) && /nothing listens/.test(closed.message), `closed port message: ${closed.message}`)
    const gone = await rejects(b.rest.fetch('rest://0.0.0.99/'), 'ERR_PEER_UNREACHABLE', 'unknown address')
    assert(/0\.0\.0\.99/.test(gone.message), `unknown address message: ${gone.message}`)
    for (const bad of ['http://example.com/', 'mailto:x@y']) {
      let err
      try {
        await b.rest.fetch(bad)
      } catch (e) {
        err = e
      }
      assert(err instanceof TypeError, `${bad}: want a TypeError, got ${err}`)
    }
  },

  async 'abort and timeout'(smoke) {
    const { a, b, url } = await pair(smoke)
    let serverSaw
    let started = 0
    const sawAbort = new Promise((resolve) => { serverSaw = resolve })
    a.rest.createServer()
      .get('/hang', (req) => {
        started++
        req.signal.addEventListener('abort', () => serverSaw('aborted'))
      })
      .get('/slow', async (req, res) => {
        await res.write('a')
        await new Promise((resolve) => req.signal.addEventListener('abort', resolve))
      })
      .listen(80)
    const c = new AbortController()
    const p = b.rest.fetch(url('/hang'), { signal: c.signal })
    while (started < 1) await sleep(5) // abort once the server has the request, or it never hears of it
    c.abort()
    const err = await rejects(p, 'ERR_ABORTED', 'abort before the head')
    assertEq(err.name, 'AbortError', 'name')
    assertEq(await sawAbort, 'aborted', "the server's req.signal")
    // Aborting while the body is read fails the read.
    const c2 = new AbortController()
    const r = await b.rest.fetch(url('/slow'), { signal: c2.signal })
    const reader = r.body.getReader()
    await reader.read()
    setTimeout(() => c2.abort(), 100)
    await rejects(reader.read(), 'ERR_ABORTED', 'abort during the body')
    // An aborted signal rejects at once, with its reason.
    const c3 = new AbortController()
    c3.abort()
    let e3
    try { await b.rest.fetch(url('/hang'), { signal: c3.signal }) } catch (e) { e3 = e }
    assertEq(e3?.name, 'AbortError', 'aborted signal')
    await rejects(b.rest.fetch(url('/hang'), { timeout: 300 }), 'ERR_TIMEOUT', 'timeout')
  },

  async 'progress'(smoke) {
    const { a, b, url } = await pair(smoke)
    const data = bytes(1 << 20)
    a.rest.createServer()
      .get('/down', (req, res) => res.send(data))
      .post('/up', async (req, res) => res.send(String((await req.buffer()).length)))
      .listen(80)
    const down = []
    const r = await b.rest.fetch(url('/down'), { progress: (e) => down.push(e) })
    await r.arrayBuffer()
    assert(down.length >= 1, 'download progress events')
    for (let i = 1; i < down.length; i++) assert(down[i].loaded >= down[i - 1].loaded, 'loaded never falls')
    assertEq(down.at(-1), { direction: 'download', loaded: 1 << 20, total: 1 << 20, lengthComputable: true }, 'last download event')
    const up = []
    const u = await b.rest.fetch(url('/up'), { method: 'POST', body: data, progress: (e) => up.push(e) })
    assertEq(await u.text(), String(1 << 20), 'uploaded')
    assert(up.length >= 2, `upload progress events: ${up.length}`)
    assertEq(up.filter((e) => e.direction === 'upload').at(-1), { direction: 'upload', loaded: 1 << 20, total: 1 << 20, lengthComputable: true }, 'last upload event')
  },

  async 'a handler that never responds ends when the client goes away'(smoke) {
    const { a, b, url } = await pair(smoke)
    let started = 0
    let aborted = 0
    a.rest.createServer().get('/never', (req) => {
      started++
      req.signal.onabort = () => aborted++
    }).listen(80)
    for (let i = 1; i <= 3; i++) {
      const c = new AbortController()
      const p = b.rest.fetch(url('/never'), { signal: c.signal })
      while (started < i) await sleep(5)
      c.abort()
      await p.catch(() => {})
    }
    const start = Date.now()
    while (aborted < 3 && Date.now() - start < 20000) await sleep(10)
    assertEq(aborted, 3, 'requests ended')
  },

  async 'dispose rejects pending fetches'(smoke) {
    const { a, b, url } = await pair(smoke)
    a.rest.createServer().get('/never', () => {}).listen(80)
    const p = b.rest.fetch(url('/never'))
    await sleep(100)
    await b.dispose()
    await rejects(p, 'ERR_DISPOSED', 'pending fetch')
  },
}

// Each case gets caseTimeout; one that hangs fails by name and the rest still run.
const caseTimeout = 120000

export async function run(smoke) {
  const results = []
  for (const [name, f] of Object.entries(cases)) {
    const start = performance.now()
    console.log(`case: ${name}`)
    let timer
    try {
      await Promise.race([
        f(smoke),
        new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${caseTimeout} ms`)), caseTimeout) }),
      ])
      results.push({ name, ok: true, ms: performance.now() - start })
    } catch (err) {
      results.push({ name, ok: false, error: String(err?.stack ?? err), ms: performance.now() - start })
    } finally {
      clearTimeout(timer)
    }
  }
  return results
}
