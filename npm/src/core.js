// Smoke in the browser: the JavaScript classes of the API (the original smoke README's), over the Go-backed "native" object
// that smoke.wasm hands over (see wasm/doc.go in the Go module). The classes are thin on purpose: they check
// arguments, hold handles and shape results; everything that touches the network or waits runs in Go.
//
// This file is the source of both builds: index.js (ESM) imports it, and dist/smoke.js (a classic script) inlines
// it with the `export ` keywords stripped and the `import ` lines dropped (the files they import are inlined
// before it). So: `export` only at the start of a line, before `async function` or `function`; `import` only as
// a whole line `import { ... } from './x.js'` of a file in src/; and nothing else in this file may start a line
// with `export ` or `import `.

/* global Go */
import { smokeError, argError } from './errors.js'
import { restClasses } from './rest.js'
import { queryClass, dbClasses } from './db.js'
import { createTestPattern, createMediaSource, record, broadcast } from './media.js'
import { bucketClasses } from './bucket.js'

/**
 * Loads Smoke's wasm and returns the namespace { Node, PageHub, NetworkHub, Socket, SocketServer, Database,
 * Bucket }. Go's wasm_exec.js must have run first (it defines globalThis.Go). source is the URL of smoke.wasm, a Response for it,
 * its compiled WebAssembly.Module (or a promise of either), or its bytes.
 */
export async function load(source) {
  if (typeof Go !== 'function') {
    throw smokeError('ERR_NOT_AVAILABLE', "Go's wasm_exec.js must be loaded before smoke.wasm")
  }
  const go = new Go()
  let exitCode = null
  go.exit = (code) => { exitCode = code }
  // The Go program finds the hand-off function by this name (its os.Args[1]), deletes it and calls it with the
  // native object: no global of Smoke's outlives the start.
  const key = `__smoke_${Date.now().toString(36)}_${Math.random().toString(36).slice(2)}`
  const native = await new Promise((resolve, reject) => {
    Object.defineProperty(globalThis, key, { value: resolve, configurable: true, enumerable: false, writable: false })
    go.argv = ['smoke', key]
    instantiate(source, go.importObject)
      .then((instance) => go.run(instance))
      .then(() => reject(smokeError('ERR_FAILED', `smoke.wasm exited with code ${exitCode} before it was ready (see the console)`)), reject)
  }).finally(() => { delete globalThis[key] })
  return build(native)
}

/** Compiles and instantiates the wasm, streaming when the server sends application/wasm. */
async function instantiate(source, imports) {
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    return (await WebAssembly.instantiate(source, imports)).instance
  }
  const response = await (typeof source === 'string' || source instanceof URL ? fetch(source) : source)
  if (response instanceof WebAssembly.Module) {
    return WebAssembly.instantiate(response, imports) // compiled ahead by the caller (index.js does)
  }
  if (!response.ok) {
    throw smokeError('ERR_NOT_AVAILABLE', `cannot load ${response.url || 'smoke.wasm'}: the server answered HTTP ${response.status}`)
  }
  const type = (response.headers.get('Content-Type') || '').split(';')[0].trim().toLowerCase()
  if (typeof WebAssembly.instantiateStreaming === 'function' && type === 'application/wasm') {
    return (await WebAssembly.instantiateStreaming(response, imports)).instance
  }
  // A server that sends another type (instantiateStreaming refuses it), or no streaming support: compile the bytes.
  return (await WebAssembly.instantiate(await response.arrayBuffer(), imports)).instance
}

/** Builds the namespace over one native object. */
function build(native) {
  // Only code in this closure holds it: the constructors that take it cannot be called by users.
  const internal = Symbol('smoke.internal')
  const pageHubs = new WeakMap() // PageHub → handle
  const networkHubs = new WeakMap() // NetworkHub → { url, token }

  // promised turns a call that returns a Promise, or throws, into a Promise: a method that waits never throws.
  const promised = (f) => {
    try {
      return Promise.resolve(f())
    } catch (err) {
      return Promise.reject(err)
    }
  }

  const checkToken = (token, what) => {
    if (token !== internal) {
      throw argError(`${what} is not constructible; ${what === 'Socket' ? 'use node.sockets.connect() or a server' : 'use the properties of a Node'}`)
    }
  }

  const readonly = (object, properties) => {
    for (const [name, value] of Object.entries(properties)) {
      Object.defineProperty(object, name, { value, enumerable: true, writable: false, configurable: false })
    }
  }

  const { newQuery } = queryClass({ internal, checkToken })
  const { Rest } = restClasses({ native, internal, checkToken, newQuery })
  const { Database } = dbClasses({ native, promised, newQuery })
  const { Bucket } = bucketClasses({ native, promised })

  /** An in-page hub. Nodes that share one reach each other; each gets the next address, 0.0.0.1, 0.0.0.2, … */
  class PageHub {
    constructor() {
      pageHubs.set(this, native.pageHubNew())
    }
  }

  /**
   * Settings for a smoke-hub server (`smoke-hub --port 5000`). Each Node given this hub opens its own connection
   * and gets its own address. http(s) URLs are taken as ws(s), and relative ones resolve against the page.
   */
  class NetworkHub {
    constructor(url, options = {}) {
      let u
      try {
        u = new URL(String(url), globalThis.location?.href)
      } catch {
        throw smokeError('ERR_INVALID_URL', `NetworkHub: ${JSON.stringify(String(url))} is not a URL`, TypeError)
      }
      if (u.protocol === 'http:') u.protocol = 'ws:'
      if (u.protocol === 'https:') u.protocol = 'wss:'
      if (u.protocol !== 'ws:' && u.protocol !== 'wss:') {
        throw smokeError('ERR_INVALID_URL', `NetworkHub: ${u.href} is not a ws:// or wss:// URL`, TypeError)
      }
      const token = options?.token ?? ''
      if (typeof token !== 'string') throw argError('NetworkHub: options.token must be a string')
      networkHubs.set(this, { url: u.href, token })
      readonly(this, { url: u.href })
    }
  }

  /** The network figures and storage use of a node: node.system. */
  class System {
    #node
    constructor(token, node) {
      checkToken(token, 'System')
      this.#node = node
      readonly(this, { started: new Date(native.nodeStarted(node)) })
    }
    uptime() { return Date.now() - this.started.getTime() }
    netstat() { return promised(() => native.sysNetstat(this.#node)) }
    storage() { return promised(() => native.sysStorage()) }
  }

  /** Ports and peer connections: node.network. */
  class Network {
    #node
    constructor(token, node) {
      checkToken(token, 'Network')
      this.#node = node
    }
    address() { return promised(() => native.nodeAddress(this.#node)) }
    getPeers() { return native.netPeers(this.#node) }
    /** The RTCStatsReport of the peer connection to address: its media, datachannels and ICE figures. */
    getStats(address) { return promised(() => native.netStats(this.#node, address)) }
    ports() { return native.netPorts(this.#node) }
    bindPort(port, onSocket) { native.netBind(this.#node, port, newSocket, onSocket) }
    unbindPort(port) { return native.netUnbindPort(this.#node, port) }
  }

  /** The node's signalling hub: node.hub. */
  class NodeHub {
    #node
    constructor(token, node) {
      checkToken(token, 'NodeHub')
      this.#node = node
    }
    address() { return promised(() => native.nodeAddress(this.#node)) }
    configuration() { return promised(() => native.hubConfiguration(this.#node)) }
    register(hostname) { return promised(() => native.hubRegister(this.#node, hostname)) }
    unregister(hostname) { return promised(() => native.hubUnregister(this.#node, hostname)) }
    lookup(hostname) { return promised(() => native.hubLookup(this.#node, hostname)) }
  }

  /**
   * A WebSocket-like socket to a port of a node. Its on, once and off methods (and emit) are made by the Go side
   * (internal/jsx Events); a listener that throws is reported on console.error and the others still run.
   */
  class Socket {
    #id
    constructor(token, id) {
      checkToken(token, 'Socket')
      this.#id = id
    }
    static connect(token, node, address, port) {
      checkToken(token, 'Socket')
      const socket = new Socket(internal, 0)
      socket.#id = native.socketConnect(node, address, port, socket)
      return socket
    }
    get readyState() { return native.socketState(this.#id) }
    get bufferedAmount() { return native.socketBuffered(this.#id) }
    send(data) { native.socketSend(this.#id, data) }
    close(code, reason) { native.socketClose(this.#id, code, reason) }
  }
  const newSocket = (id) => new Socket(internal, id)

  /** A socket server: node.sockets.createServer(onSocket).listen(port). */
  class SocketServer {
    #node
    #onSocket
    #binding = 0
    #port = null
    constructor(token, node, onSocket) {
      checkToken(token, 'SocketServer')
      if (typeof onSocket !== 'function') {
        throw argError('createServer(onSocket): onSocket must be a function')
      }
      this.#node = node
      this.#onSocket = onSocket
    }
    get port() { return this.#port }
    listen(port) {
      if (this.#binding !== 0) throw smokeError('ERR_PORT_IN_USE', `this server already listens on port ${this.#port}`)
      this.#binding = native.netBind(this.#node, port, newSocket, this.#onSocket)
      this.#port = port
      return this
    }
    dispose() {
      if (this.#binding !== 0) native.netUnbind(this.#binding)
      this.#binding = 0
      this.#port = null
    }
    close() { this.dispose() }
  }

  /** Socket servers and connections: node.sockets. */
  class Sockets {
    #node
    constructor(token, node) {
      checkToken(token, 'Sockets')
      this.#node = node
    }
    createServer(onSocket) { return new SocketServer(internal, this.#node, onSocket) }
    connect(address, port) { return Socket.connect(internal, this.#node, address, port) }
  }

  /** A Smoke network node. */
  class Node {
    #id
    constructor(options) {
      if (options !== undefined && (options === null || typeof options !== 'object')) {
        throw argError('new Node(options): options must be an object')
      }
      const hub = options?.hub
      if (hub === undefined || hub === null) {
        this.#id = native.nodeNew('default')
      } else if (pageHubs.has(hub)) {
        this.#id = native.nodeNew('page', pageHubs.get(hub))
      } else if (networkHubs.has(hub)) {
        const { url, token } = networkHubs.get(hub)
        this.#id = native.nodeNew('network', url, token)
      } else {
        throw argError('new Node({ hub }): hub must be a PageHub or a NetworkHub')
      }
      const id = this.#id
      readonly(this, {
        system: new System(internal, id),
        network: new Network(internal, id),
        hub: new NodeHub(internal, id),
        sockets: new Sockets(internal, id),
        rest: new Rest(internal, id),
        media: Object.freeze({ createTestPattern, createMediaSource, record, broadcast }),
      })
    }
    address() { return promised(() => native.nodeAddress(this.#id)) }
    dispose() { return promised(() => native.nodeDispose(this.#id)) }
  }

  return Object.freeze({ Node, PageHub, NetworkHub, Socket, SocketServer, Database, Bucket })
}
