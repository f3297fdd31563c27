// Smoke in the browser, REST: node.rest.createServer() (an express-like router) and node.rest.fetch() (a
// fetch-shaped client), over the Go-backed native object (see wasm/rest_js.go and wasm/doc.go in the Go module).
// Routing, request and response objects and body shaping are JavaScript; the wire, the sockets and all waiting
// are Go (pkg/rest). core.js calls restClasses once per page with its private helpers.
//
// Like core.js, this file is the source of both builds: index.js reaches it through core.js's import, and
// dist/smoke.js inlines it with the `export ` keywords stripped. So: `export` only at the start of a line, before
// `function`, and nothing else in this file may start a line with `export ` or `import `.

import { smokeError, argError } from './errors.js'
import { serveMedia, receiveMedia } from './media.js'

/**
 * Makes the REST classes over one native object. ctx holds core.js's private pieces: native, the internal token,
 * checkToken(token, what) and newQuery(batches, count) (db.js).
 */
export function restClasses(ctx) {
  const { native, internal, checkToken, newQuery } = ctx
  const encoder = new TextEncoder()
  const decoder = new TextDecoder()

  // handled marks a promise as handled, so that one the caller drops (res.write(x) without await) does not
  // report an unhandled rejection when the client has gone; a caller that awaits it still sees the rejection.
  const handled = (p) => {
    p.catch(() => {})
    return p
  }

  // bytesOf returns the bytes of a body chunk without copying: a string as UTF-8, any ArrayBufferView or
  // ArrayBuffer as a Uint8Array over the same memory. Go copies them once, when they cross.
  const bytesOf = (chunk, what) => {
    if (typeof chunk === 'string') return encoder.encode(chunk)
    if (chunk instanceof Uint8Array) return chunk
    if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    if (chunk instanceof ArrayBuffer || Object.prototype.toString.call(chunk) === '[object ArrayBuffer]') {
      return new Uint8Array(chunk)
    }
    throw argError(`${what} takes a string, an ArrayBuffer or a typed array, got ${chunk === null ? 'null' : typeof chunk}`)
  }

  const concat = (chunks, total) => {
    if (chunks.length === 1) return chunks[0]
    const out = new Uint8Array(total)
    let at = 0
    for (const c of chunks) {
      out.set(c, at)
      at += c.length
    }
    return out
  }

  // ---------------------------------------------------------------------------------------------------------
  // Bodies that come from Go: a handle and native.bodyRead. bodyRead returns a chunk (Uint8Array) or null (the
  // end) when it has one at once, or undefined and settles resolve/reject later.

  const readChunk = (id) => id === 0 ? Promise.resolve(null) : new Promise((resolve, reject) => {
    const r = native.bodyRead(id, resolve, reject)
    if (r !== undefined) resolve(r)
  })

  /**
   * A body from Go, read once: as a whole (all) or as a ReadableStream (stream). The stream may be made at any
   * time; reading it, or all(), is what uses the body up, as in fetch.
   */
  class Body {
    #id
    #used = false
    #onChunk
    #inline
    constructor(id, onChunk, inline) {
      this.#id = id
      this.#onChunk = onChunk // (bytes so far, done) for progress, or undefined
      this.#inline = inline ?? undefined // a small body Go read with the head (then id is 0)
    }
    #read() {
      const b = this.#inline
      if (b === undefined) return readChunk(this.#id)
      this.#inline = undefined
      return Promise.resolve(b.length === 0 ? null : b)
    }
    get none() { return this.#id === 0 && this.#inline === undefined }
    // quick returns the whole body at once when Go read it with the head, as all() would (progress included), or
    // undefined when all() has to do the reading.
    quick() {
      const b = this.#inline
      if (b === undefined || this.#id !== 0 || this.#used) return undefined
      this.#used = true
      this.#inline = undefined
      if (b.length > 0) this.#onChunk?.(b.length, false)
      this.#onChunk?.(b.length, true)
      return b.length > 0 ? b : new Uint8Array(0)
    }
    get used() { return this.#used }
    #take() {
      if (this.#used) throw argError('the body has already been read')
      this.#used = true
    }
    async all() {
      this.#take()
      const chunks = []
      let total = 0
      for (;;) {
        const c = await this.#read()
        if (c === null) break
        chunks.push(c)
        total += c.length
        this.#onChunk?.(total, false)
      }
      this.#onChunk?.(total, true)
      return concat(chunks, total)
    }
    // records reads a record stream (wasm/rest_records_js.go) as batches: arrays of records, parsed here at once.
    async *records() {
      this.#take()
      const id = this.#id
      let over = false
      try {
        for (;;) {
          const s = await new Promise((resolve, reject) => native.recordsRead(id, resolve, reject))
          if (s === null) {
            over = true
            return
          }
          yield JSON.parse('[' + s.replaceAll('\n', ',') + ']')
        }
      } finally {
        if (!over) native.bodyCancel(id) // left early: end the stream, which stops the server
      }
    }
    stream() {
      const id = this.#id
      const onChunk = this.#onChunk
      let total = 0
      let started = false
      // highWaterMark 0: no read ahead in JavaScript; Go already reads ahead (up to 1 MiB) into its buffer.
      return new ReadableStream({
        pull: async (controller) => {
          if (!started) {
            this.#take()
            started = true
          }
          const c = await this.#read()
          if (c === null) {
            onChunk?.(total, true)
            controller.close()
            return
          }
          total += c.length
          onChunk?.(total, false)
          controller.enqueue(c)
        },
        cancel: () => {
          if (id !== 0 && (started || !this.#used)) native.bodyCancel(id)
          this.#used = true
        },
      }, { highWaterMark: 0 })
    }
  }

  // The body readers shared by RestRequest and FetchResponse, over a Body in #body.
  const bodyReaders = (getBody, contentType) => ({
    get bodyUsed() { return getBody(this).used },
    buffer() { return getBody(this).all() },
    async arrayBuffer() {
      const b = await getBody(this).all()
      return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b.buffer : b.slice().buffer
    },
    text() {
      const b = getBody(this).quick()
      if (b !== undefined) return Promise.resolve(decoder.decode(b))
      return getBody(this).all().then((all) => decoder.decode(all))
    },
    async json() { return JSON.parse(decoder.decode(getBody(this).quick() ?? await getBody(this).all())) },
    async blob() { return new Blob([await getBody(this).all()], { type: contentType(this) }) },
  })

  // pack and unpack are how string lists cross to and from Go (wasm/rest_js.go, packStrings): one string of
  // NUL-separated parts, which costs one crossing where an array costs one per element; an array when a part
  // holds a NUL itself.
  const pack = (parts) => {
    for (const p of parts) if (p.includes('\0')) return parts
    return parts.join('\0')
  }
  const unpack = (s) => typeof s === 'string' ? s.split('\0') : s

  // ---------------------------------------------------------------------------------------------------------
  // The server

  const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']

  const escapeRe = (s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')

  // compile turns an express path ('/users/:id', '/files/*', '/a/:b?') into a RegExp and its parameter names.
  // Matching is case-insensitive and ignores one trailing slash, as express's defaults are. prefix: the path of
  // use(), which matches a whole leading part of the path.
  const compile = (path, prefix) => {
    if (path instanceof RegExp) return { re: path, keys: null }
    if (typeof path !== 'string' || !path.startsWith('/')) {
      throw argError(`a route path must be a string starting with '/', got ${JSON.stringify(path)}`)
    }
    const keys = []
    let wild = 0
    let src = ''
    for (const seg of path.split('/').slice(1)) {
      if (seg === '') continue
      const opt = /^:(\w+)\?$/.exec(seg)
      if (opt) {
        keys.push(opt[1])
        src += '(?:/([^/]+?))?'
        continue
      }
      src += '/'
      let last = 0
      for (const m of seg.matchAll(/:(\w+)|\*/g)) {
        src += escapeRe(seg.slice(last, m.index))
        if (m[0] === '*') {
          keys.push(String(wild++))
          src += '(.*)'
        } else {
          keys.push(m[1])
          src += '([^/]+?)'
        }
        last = m.index + m[0].length
      }
      src += escapeRe(seg.slice(last))
    }
    return { re: new RegExp('^' + src + (prefix ? '(?=/|$)' : '/?$'), 'i'), keys }
  }

  const decodeParam = (s) => {
    try {
      return decodeURIComponent(s)
    } catch {
      return s
    }
  }

  const parseQuery = (search) => {
    const query = {}
    for (const [k, v] of new URLSearchParams(search)) {
      if (!Object.hasOwn(query, k)) query[k] = v
      else if (Array.isArray(query[k])) query[k].push(v)
      else query[k] = [query[k], v]
    }
    return query
  }

  const checkHandlers = (handlers, what) => {
    const fns = handlers.flat(Infinity)
    if (fns.length === 0) throw argError(`${what} needs a handler`)
    for (const fn of fns) {
      if (typeof fn !== 'function') throw argError(`${what}: handlers must be functions, got ${typeof fn}`)
    }
    return fns
  }

  /**
   * An express-like REST server: node.rest.createServer(). Routes and middleware run in the order they were
   * added; listen(port) serves them.
   */
  class RestServer {
    #node
    #layers = []
    #server = 0
    #port = null
    constructor(token, node) {
      checkToken(token, 'RestServer')
      this.#node = node
    }
    get port() { return this.#port }

    /** Adds a route for verb (any case; '*' or 'all' for every method). */
    method(verb, path, ...handlers) {
      if (typeof verb !== 'string' || verb === '') throw argError('method(verb, path, ...handlers): verb must be a string')
      const v = verb.toUpperCase()
      const method = v === '*' || v === 'ALL' ? null : v
      const { re, keys } = compile(path, false)
      for (const fn of checkHandlers(handlers, `${verb} ${path}`)) this.#layers.push({ method, re, keys, fn })
      return this
    }
    get(path, ...handlers) { return this.method('GET', path, ...handlers) }
    post(path, ...handlers) { return this.method('POST', path, ...handlers) }
    put(path, ...handlers) { return this.method('PUT', path, ...handlers) }
    patch(path, ...handlers) { return this.method('PATCH', path, ...handlers) }
    delete(path, ...handlers) { return this.method('DELETE', path, ...handlers) }
    head(path, ...handlers) { return this.method('HEAD', path, ...handlers) }
    options(path, ...handlers) { return this.method('OPTIONS', path, ...handlers) }
    all(path, ...handlers) { return this.method('*', path, ...handlers) }

    /** Adds middleware for every path, or for path and everything under it. */
    use(path, ...handlers) {
      if (typeof path === 'function' || Array.isArray(path)) {
        handlers.unshift(path)
        path = '/'
      }
      const { re, keys } = compile(path, true)
      for (const fn of checkHandlers(handlers, `use(${path})`)) this.#layers.push({ method: null, re, keys, fn })
      return this
    }

    /** Serves on port (default 80). Throws ERR_PORT_IN_USE if the port is bound. */
    listen(port = 80) {
      if (this.#server !== 0) throw smokeError('ERR_PORT_IN_USE', `this server already listens on port ${this.#port}`)
      this.#server = native.restListen(this.#node, port,
        (exchange, body, remotePort, head) => this.#dispatch(exchange, body, remotePort, head),
        (exchange, how, err) => this.#done(exchange, how, err))
      this.#port = port
      return this
    }

    /** Stops serving: the port is free at once; requests in progress are cut. */
    dispose() {
      if (this.#server !== 0) native.restClose(this.#server)
      this.#server = 0
      this.#port = null
    }
    close() { this.dispose() }

    // dispatch is what Go calls for each request, with its head packed (method, url, host, remote address, then
    // the headers: wasm/rest_js.go, requestHead). Go calls done once the exchange is over: how 0, the end was
    // written; 1, the client went away (err: why); 2, the response was cut (err).
    #live = new Map() // exchange → { controller, end: [resolve, reject] once res.end() is called }
    #dispatch(exchange, body, remotePort, packed) {
      const h = unpack(packed)
      const controller = new AbortController()
      const live = { controller, end: undefined }
      this.#live.set(exchange, live)
      const head = { exchange, method: h[0], url: h[1], host: h[2], remoteAddress: h[3], remotePort, body, headers: h }
      const req = new RestRequest(internal, head, controller.signal)
      const res = new RestResponse(internal, exchange, req, live, this.#node)
      this.#run(req, res)
    }
    #done(exchange, how, err) {
      const live = this.#live.get(exchange)
      if (live === undefined) return
      this.#live.delete(exchange)
      if (how === 1) live.controller.abort()
      if (live.end !== undefined) {
        if (how === 0) live.end[0](null)
        else live.end[1](err)
      }
    }

    #run(req, res) {
      const layers = this.#layers
      let i = 0
      let failed = false
      let error
      const next = (err) => {
        if (err !== undefined && err !== null && err !== 'route') {
          failed = true
          error = err
        }
        while (i < layers.length) {
          const layer = layers[i++]
          const m = req.method
          if (layer.method !== null && layer.method !== m && !(m === 'HEAD' && layer.method === 'GET')) continue
          const match = layer.re.exec(req.path)
          if (match === null) continue
          const isErrorHandler = layer.fn.length === 4
          if (failed !== isErrorHandler) continue
          const params = {}
          if (layer.keys === null) {
            match.slice(1).forEach((v, k) => { if (v !== undefined) params[k] = decodeParam(v) })
          } else {
            layer.keys.forEach((k, j) => { if (match[j + 1] !== undefined) params[k] = decodeParam(match[j + 1]) })
          }
          req.params = params
          call(layer.fn, isErrorHandler)
          return
        }
        if (failed) fail(error)
        else if (!res.headersSent) notFound()
      }
      const call = (fn, isErrorHandler) => {
        let once = false
        const nextOnce = (err) => {
          if (once) return
          once = true
          next(err)
        }
        try {
          const r = isErrorHandler ? fn(error, req, res, nextOnce) : fn(req, res, nextOnce)
          if (r !== null && typeof r === 'object' && typeof r.then === 'function') {
            r.then(undefined, (err) => nextOnce(err ?? new Error('handler rejected with ' + String(err))))
          }
        } catch (err) {
          nextOnce(err ?? new Error('handler threw ' + String(err)))
        }
      }
      const fail = (err) => {
        console.error(`smoke: rest: ${req.method} ${req.url}:`, err)
        if (!res.headersSent) {
          res.headers = {}
          res.status(500).text('Internal Server Error')
        } else {
          res.abort()
        }
      }
      const notFound = () => {
        res.headers = {}
        res.status(404).text(`Cannot ${req.method} ${req.path}`)
      }
      next()
    }
  }

  /** A request a RestServer received: req. */
  class RestRequest {
    #body
    constructor(token, head, signal) {
      checkToken(token, 'RestRequest')
      const url = head.url
      const q = url.indexOf('?')
      const headers = {}
      const h = head.headers
      for (let i = 4; i < h.length; i += 2) {
        const k = h[i].toLowerCase()
        headers[k] = Object.hasOwn(headers, k) ? headers[k] + ', ' + h[i + 1] : h[i + 1]
      }
      this.method = head.method
      this.url = url
      this.path = q < 0 ? url : url.slice(0, q)
      this.query = parseQuery(q < 0 ? '' : url.slice(q + 1))
      this.params = {}
      this.headers = headers
      this.address = head.remoteAddress
      this.remoteAddress = head.remoteAddress
      this.remotePort = head.remotePort
      this.host = head.host
      this.signal = signal
      this.#body = new Body(head.body)
    }
    /** A request header, by any case of its name. */
    get(name) { return this.headers[String(name).toLowerCase()] }
    header(name) { return this.get(name) }
    /** The body as a ReadableStream of Uint8Array chunks. */
    readable() { return this.#body.stream() }
    static {
      Object.defineProperties(RestRequest.prototype, Object.getOwnPropertyDescriptors(
        bodyReaders((r) => r.#body, (r) => r.headers['content-type'] ?? '')))
    }
  }

  const checkStatus = (code) => {
    if (!Number.isInteger(code) || code < 200 || code > 999) {
      throw smokeError('ERR_INVALID_STATUS', `status must be an integer 200-999, got ${String(code)}`, RangeError)
    }
    return code
  }

  /**
   * The response to a request: res. Set status and headers, then send() (or text, json, buffer), or stream with
   * write() and end(), or readable(stream).
   */
  class RestResponse {
    #ex
    #req
    #head = false // sent
    #ended = false
    #status
    #live
    #node
    constructor(token, exchange, req, live, node) {
      checkToken(token, 'RestResponse')
      this.#ex = exchange
      this.#live = live
      this.#node = node
      this.#req = req
      this.statusCode = 200
      this.headers = {}
      // res.status is this function: res.status(404) sets the code and returns res, and it reads as the number
      // (res.status == 404, `${res.status}`, JSON). res.status = 404 sets the code too (the setter below).
      const status = (code) => {
        this.statusCode = checkStatus(code)
        return this
      }
      status[Symbol.toPrimitive] = () => this.statusCode
      status.toJSON = () => this.statusCode
      this.#status = status
    }
    get status() { return this.#status }
    set status(code) { this.statusCode = checkStatus(code) }
    get headersSent() { return this.#head }
    get writableEnded() { return this.#ended }
    get finished() { return this.#ended }

    /** Sets a header (name in any case; an earlier one of the same name is replaced), or several from an object. */
    set(name, value) {
      if (typeof name === 'object' && name !== null) {
        for (const [k, v] of Object.entries(name)) this.set(k, v)
        return this
      }
      if (this.#head) throw smokeError('ERR_HEADERS_SENT', `cannot set header ${name}: the head has been sent`)
      this.removeHeader(name)
      this.headers[name] = value
      return this
    }
    setHeader(name, value) { return this.set(name, value) }
    header(name, value) { return this.set(name, value) }
    get(name) {
      const n = String(name).toLowerCase()
      for (const [k, v] of Object.entries(this.headers)) if (k.toLowerCase() === n) return v
      return undefined
    }
    getHeader(name) { return this.get(name) }
    removeHeader(name) {
      const n = String(name).toLowerCase()
      for (const k of Object.keys(this.headers)) if (k.toLowerCase() === n) delete this.headers[k]
      return this
    }

    /**
     * Sends the whole response: a string (text/html unless a Content-Type is set), bytes (application/
     * octet-stream), a ReadableStream, or anything else as JSON. Resolves once it is handed to the network.
     */
    send(body) {
      if (typeof body === 'string') return this.#whole(body, 'text/html; charset=utf-8')
      if (body === undefined || body === null) return this.#whole(new Uint8Array(0))
      if (body instanceof ReadableStream) return this.readable(body)
      if (ArrayBuffer.isView(body) || body instanceof ArrayBuffer) return this.#whole(body, 'application/octet-stream')
      return this.json(body)
    }
    text(s) { return this.#whole(String(s), 'text/plain; charset=utf-8') }
    json(value) { return this.#whole(JSON.stringify(value) ?? 'null', 'application/json; charset=utf-8') }
    buffer(bytes) { return this.#whole(bytes, 'application/octet-stream') }
    sendStatus(code) {
      this.status(code)
      return this.text(String(code))
    }
    redirect(status, url) {
      if (url === undefined) [status, url] = [302, status]
      this.status(status).set('Location', String(url))
      return this.text(`Redirecting to ${url}`)
    }

    #whole(body, type) {
      const bytes = bytesOf(body, 'send')
      if (!this.#head) {
        if (type !== undefined && this.get('content-type') === undefined) this.set('Content-Type', type)
        this.set('Content-Length', String(bytes.length))
      }
      return this.end(bytes)
    }

    // headArgs returns native.restRespond's status and headers when the head is still to go, and marks it sent.
    #headArgs() {
      if (this.#head) return [undefined, undefined]
      this.#head = true
      const seen = new Map()
      for (const [k, v] of Object.entries(this.headers)) {
        if (v === undefined || v === null) continue
        seen.set(k.toLowerCase(), [k, Array.isArray(v) ? v.map(String) : [String(v)]])
      }
      const flat = []
      for (const [k, vs] of seen.values()) for (const v of vs) flat.push(k, v)
      return [this.statusCode, pack(flat)]
    }

    #checkOpen(what) {
      if (this.#ended) throw smokeError('ERR_INVALID_STATE', `res.${what}() after the response has ended`)
    }

    /**
     * Writes a chunk of the body (the head goes first, without a Content-Length unless one is set). Resolves when
     * there is room for more: await it to stream at the pace of the network. Rejects (ERR_ABORTED) if the client
     * has gone.
     */
    write(chunk) {
      this.#checkOpen('write')
      const bytes = bytesOf(chunk, 'write')
      const [status, headers] = this.#headArgs()
      return handled(new Promise((resolve, reject) => {
        if (native.restRespond(this.#ex, status, headers, bytes, false)) resolve()
        else native.restDrain(this.#ex, resolve, reject)
      }))
    }

    /** Ends the response, after a last chunk if given. Resolves when all of it is handed to the network. */
    end(chunk) {
      this.#checkOpen('end')
      const bytes = chunk === undefined || chunk === null ? undefined : bytesOf(chunk, 'end')
      const [status, headers] = this.#headArgs()
      this.#ended = true
      let resolve, reject
      const p = new Promise((res, rej) => { resolve = res; reject = rej })
      // Before the call: Go may run the handler goroutine to its end, and call done, before the call returns.
      this.#live.end = [resolve, reject]
      try {
        native.restRespond(this.#ex, status, headers, bytes?.length === 0 ? undefined : bytes, true)
      } catch (err) {
        this.#live.end = undefined
        reject(err)
      }
      return handled(p)
    }

    /** Sends stream (a ReadableStream of strings or bytes) as the body, then ends. */
    async readable(stream) {
      this.#checkOpen('readable')
      const reader = stream.getReader()
      try {
        for (;;) {
          const { done, value } = await reader.read()
          if (done) break
          await this.write(value)
        }
      } catch (err) {
        reader.cancel(err).catch(() => {})
        this.abort()
        throw err
      }
      await this.end()
    }

    /** Cuts the response: the client sees its body fail (or, before the head, a 500). */
    abort() {
      if (this.#ended) return
      this.#ended = true
      native.restAbort(this.#ex)
    }

    /**
     * Serves query (db.query(store)…, or a remote query) as a record stream: its records travel in batches, as
     * the client consumes them; the query is read at most a batch or two ahead of that. Resolves with true once
     * every record is sent, or false when the client stopped reading first (take, first, a break, a closed tab),
     * which stops the query; rejects if the query failed (the response is cut).
     */
    query(query) {
      this.#checkOpen('query')
      if (query === null || typeof query !== 'object' || typeof query.batches !== 'function') {
        throw argError('res.query takes a query (db.query(store), or a response.query())')
      }
      if (this.#head) throw smokeError('ERR_HEADERS_SENT', 'res.query() after the head has been sent')
      if (this.get('content-type') === undefined) this.set('Content-Type', 'application/x-ndjson')
      return handled(this.#serveQuery(query, ...this.#headArgs()))
    }
    async #serveQuery(query, status, headers) {
      const ex = this.#ex
      let sent = false // the head went with the first batch
      const send = (records, end) => new Promise((resolve, reject) => {
        const room = native.restRecords(ex, sent ? undefined : status, sent ? undefined : headers, records, end)
        sent = true
        if (room) resolve()
        else native.restDrain(ex, resolve, reject)
      })
      const it = query.batches()
      try {
        for (;;) {
          const { done, value } = await it.next()
          if (done) break
          await send(value.map((v) => JSON.stringify(v) ?? 'null').join('\n'), false)
        }
      } catch (err) {
        it.return?.()
        if (err?.code === 'ERR_ABORTED') {
          this.#ended = true
          return false // the client stopped reading: take(), first(), a break, a closed tab
        }
        if (!this.#ended) this.abort()
        throw err
      }
      this.#ended = true
      let resolve, reject
      const p = new Promise((res, rej) => { resolve = res; reject = rej })
      // Before the call: Go may run the handler goroutine to its end, and call done, before the call returns.
      this.#live.end = [resolve, reject]
      try {
        native.restRecords(ex, sent ? undefined : status, sent ? undefined : headers, undefined, true)
      } catch (err) {
        this.#live.end = undefined
        reject(err)
      }
      return p.then(() => true, (err) => {
        if (err?.code === 'ERR_ABORTED') return false
        throw err
      })
    }
    /**
     * Serves stream (a MediaStream: a camera, a test pattern, or a response.mediastream() being passed on) as a
     * media response: its tracks go to the client on the peer connection the two nodes share, and the response
     * lasts until they end or the client stops watching. Resolves then; rejects if the tracks could not be sent.
     */
    mediastream(stream) {
      this.#checkOpen('mediastream')
      if (typeof MediaStream === 'undefined' || !(stream instanceof MediaStream)) throw argError('res.mediastream takes a MediaStream')
      if (this.#head) throw smokeError('ERR_HEADERS_SENT', 'res.mediastream() after the head has been sent')
      this.set('Content-Type', 'application/vnd.smoke.media+json') // pkg/media/SPEC.md
      this.set('Cache-Control', 'no-store')
      const ex = this.#ex
      return handled(serveMedia({
        native, node: this.#node, remote: this.#req.remoteAddress, stream, signal: this.#req.signal,
        head: (descriptor) => {
          const [status, headers] = this.#headArgs()
          return new Promise((resolve, reject) => {
            if (native.restMedia(ex, status, headers, descriptor)) resolve()
            else native.restDrain(ex, resolve, reject)
          })
        },
        end: () => (this.#ended ? Promise.resolve() : this.end()),
        abort: () => this.abort(),
      }))
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // The client

  const CHUNK = 64 << 10 // bytes per pull when a byte body is sent with a progress callback

  // requestBody turns fetch's body into what native.restFetch takes: undefined, a Uint8Array, or a pull source
  // { read(): Promise<Uint8Array | null>, cancel(reason) }. It may set a default Content-Type.
  const requestBody = async (body, headers, progress) => {
    const type = (t) => { if (!headers.has('content-type')) headers.set('content-type', t) }
    let bytes
    if (body === undefined || body === null) return { body: undefined, length: 0 }
    if (typeof body === 'string') {
      type('text/plain;charset=UTF-8')
      bytes = encoder.encode(body)
    } else if (body instanceof URLSearchParams) {
      type('application/x-www-form-urlencoded;charset=UTF-8')
      bytes = encoder.encode(body.toString())
    } else if (typeof Blob !== 'undefined' && body instanceof Blob) {
      if (body.type) type(body.type)
      bytes = new Uint8Array(await body.arrayBuffer())
    } else if (ArrayBuffer.isView(body) || body instanceof ArrayBuffer) {
      bytes = bytesOf(body, 'fetch')
    } else if (body instanceof ReadableStream) {
      const reader = body.getReader()
      let loaded = 0
      return {
        length: -1,
        body: {
          async read() {
            for (;;) {
              const { done, value } = await reader.read()
              if (done) {
                progress?.({ direction: 'upload', loaded, total: 0, lengthComputable: false })
                return null
              }
              const b = bytesOf(value, 'a request body stream')
              if (b.length === 0) continue
              loaded += b.length
              progress?.({ direction: 'upload', loaded, total: 0, lengthComputable: false })
              return b
            }
          },
          cancel(reason) { reader.cancel(reason).catch(() => {}) },
        },
      }
    } else if (typeof body === 'object' || typeof body === 'number' || typeof body === 'boolean') {
      type('application/json')
      bytes = encoder.encode(JSON.stringify(body))
    } else {
      throw argError(`fetch: unsupported body type ${typeof body}`)
    }
    if (progress === undefined) return { body: bytes, length: bytes.length }
    // With progress, hand the bytes over in pieces so that each piece Go takes is a step. Still one copy.
    let at = 0
    const total = bytes.length
    return {
      length: total,
      body: {
        async read() {
          if (at > 0 || total === 0) progress({ direction: 'upload', loaded: at, total, lengthComputable: true })
          if (at >= total) return null
          const b = bytes.subarray(at, Math.min(at + CHUNK, total))
          at += b.length
          return b
        },
        cancel() {},
      },
    }
  }

  // A response dropped unread leaves Go reading ahead into a full buffer and holding its socket; when the
  // garbage collector takes its body, the body is cancelled (a no-op for a body read to the end).
  const unread = new FinalizationRegistry((id) => native.bodyCancel(id))

  /** The response of node.rest.fetch(): shaped like fetch's Response. */
  class FetchResponse {
    #body
    #stream = undefined
    #kind
    #node
    constructor(token, head, progress) {
      checkToken(token, 'FetchResponse')
      const headers = new Headers()
      const h = head.headers
      for (let i = head.headersAt; i < h.length; i += 2) headers.append(h[i], h[i + 1])
      const length = Number.parseInt(headers.get('content-length') ?? '', 10)
      const total = Number.isFinite(length) && length >= 0 ? length : 0
      const onChunk = progress && ((loaded, done) => {
        try {
          progress({ direction: 'download', loaded, total: done && total === 0 ? loaded : total, lengthComputable: total > 0 || done })
        } catch (err) {
          console.error('smoke: fetch: the progress callback threw:', err)
        }
      })
      this.status = head.status
      this.statusText = head.statusText
      this.ok = head.status >= 200 && head.status < 300
      this.url = head.url
      this.redirected = head.redirected
      this.type = 'basic'
      this.headers = headers
      this.#body = new Body(head.body, onChunk, head.inline)
      // The Body, not the response: a stream of it (response.body) may outlive the response.
      if (head.body !== 0) unread.register(this.#body, head.body)
      // Body kinds of pkg/rest: 'bytes' (the default), 'records' (a record stream: response.query() will read it)
      // and 'media' (response.mediastream()). Only bytes have a JavaScript API so far; the others read as bytes.
      this.#kind = head.kind
      this.#node = head.node
    }
    /** The body as a ReadableStream of Uint8Array chunks, made once; null for a response that has none. */
    get body() {
      if (this.#stream === undefined) this.#stream = this.#body.none ? null : this.#body.stream()
      return this.#stream
    }
    /** The body kind pkg/rest says it is: 'bytes', 'records' or 'media'. */
    get kind() { return this.#kind }
    /**
     * The records of a record stream (res.query on the server) as a Query, with the same operators, applied here.
     * Records are asked of the server as the query consumes them; leaving a for await early (or the signal) ends
     * the stream, which stops the server's query. The body can be read once.
     */
    query() {
      if (this.#kind !== 'records') throw smokeError('ERR_NOT_RECORDS', `response.query(): the response body is ${this.#kind}, not records`, TypeError)
      const body = this.#body
      return newQuery(() => body.records())
    }
    /**
     * The MediaStream of a media response (res.mediastream on the server). Its tracks end when the server's do,
     * and stopping all of them stops the server sending. The body can be read once.
     */
    mediastream() {
      if (this.#kind !== 'media') {
        return Promise.reject(smokeError('ERR_NOT_MEDIA', `response.mediastream(): the response body is ${this.#kind}, not media`, TypeError))
      }
      let server
      try {
        server = new URL(this.url).hostname
      } catch {
        server = ''
      }
      return receiveMedia({ native, node: this.#node, server, body: this.body })
    }
    static {
      Object.defineProperties(FetchResponse.prototype, Object.getOwnPropertyDescriptors(
        bodyReaders((r) => r.#body, (r) => r.headers.get('content-type') ?? '')))
    }
  }

  // restURL resolves fetch's input: rest://address[:port]/path?query, or a path, which means this node
  // (rest://localhost/path).
  const restURL = (input) => {
    let u
    try {
      u = new URL(String(input instanceof URL ? input.href : input), 'rest://localhost/')
    } catch {
      throw argError(`fetch: ${JSON.stringify(String(input))} is not a URL`)
    }
    if (u.protocol !== 'rest:') throw argError(`fetch: ${u.href} is not a rest:// URL`)
    u.hash = ''
    return u.href
  }

  // fetchREST returns the response's promise; it throws what a fetch rejects with at once (Rest.fetch turns that
  // into a rejection).
  const fetchREST = (node, input, init) => {
    if (init !== undefined && (init === null || typeof init !== 'object')) {
      throw argError('fetch(url, options): options must be an object')
    }
    const url = restURL(input)
    const method = String(init?.method ?? 'GET').toUpperCase()
    const headers = new Headers(init?.headers)
    const progress = init?.progress
    if (progress !== undefined && typeof progress !== 'function') throw argError('fetch: progress must be a function')
    const signal = init?.signal ?? undefined
    if (signal?.aborted) throw signal.reason
    const timeout = init?.timeout ?? 0
    if (typeof timeout !== 'number' || !(timeout >= 0)) throw argError('fetch: timeout must be a number of milliseconds')
    const redirect = init?.redirect ?? 'follow'
    if (!['follow', 'manual', 'error'].includes(redirect)) throw argError(`fetch: redirect must be 'follow', 'manual' or 'error'`)
    if ((method === 'GET' || method === 'HEAD') && init?.body !== undefined && init?.body !== null) {
      throw argError(`fetch: a ${method} request cannot have a body`)
    }
    const safeProgress = progress && ((e) => {
      try {
        progress(e)
      } catch (err) {
        console.error('smoke: fetch: the progress callback threw:', err)
      }
    })
    const start = (body) => new Promise((resolve, reject) => {
      const parts = [url, method, redirect]
      for (const [k, v] of headers) parts.push(k, v)
      // done: see wasm/rest_fetch_js.go, restFetch.
      native.restFetch(node, pack(parts), body, signal, timeout, (err, packed, status, id, redirected, inline) => {
        if (err !== undefined) {
          reject(err)
          return
        }
        try {
          const h = unpack(packed)
          const head = { status, statusText: h[0], url: h[1], redirected, headers: h, headersAt: 3, body: id,
            inline: inline === 0 ? new Uint8Array(0) : inline, kind: h[2], node }
          resolve(new FetchResponse(internal, head, safeProgress))
        } catch (e) {
          reject(e)
        }
      })
    })
    const b = init?.body
    if (b === undefined || b === null) return start(undefined)
    return requestBody(b, headers, safeProgress).then(({ body }) => start(body))
  }

  /** REST servers and requests: node.rest. */
  class Rest {
    #node
    constructor(token, node) {
      checkToken(token, 'Rest')
      this.#node = node
    }
    /** A new REST server; add routes, then listen(port). */
    createServer() { return new RestServer(internal, this.#node) }
    /** Requests url (rest://address[:port]/path, or /path for this node). */
    fetch(input, init) {
      try {
        return fetchREST(this.#node, input, init)
      } catch (err) {
        return Promise.reject(err)
      }
    }
  }

  return { Rest, RestServer, METHODS }
}
