// Browser-side cases of the JS API, driven by TestAPI (api_test.go): run(smoke) runs each case in turn and resolves
// to [{ name, ok, error }]. Each case makes its own PageHub, so addresses and peers never mix between cases.

import { sleep, assert, assertEq, until, rejects, run as runAll } from './harness.js'

// record keeps every event of a socket, in order, as [name, payload].
function record(socket) {
  const log = []
  for (const name of ['open', 'message', 'error', 'close']) {
    socket.on(name, (x) => log.push([name, x]))
  }
  log.names = () => log.map(([name]) => name)
  log.closed = () => log.some(([name]) => name === 'close')
  log.payload = (name) => log.find(([n]) => n === name)?.[1]
  log.messages = () => log.filter(([n]) => n === 'message').map(([, m]) => m.data)
  return log
}

function throws(f, check, what) {
  try {
    f()
  } catch (err) {
    check(err)
    return
  }
  throw new Error(`${what}: did not throw`)
}

// pair makes two nodes on a new PageHub: a (0.0.0.1) and b (0.0.0.2).
async function pair(smoke) {
  const hub = new smoke.PageHub()
  const a = new smoke.Node({ hub })
  const b = new smoke.Node({ hub })
  return { hub, a, b, aAddr: await a.address(), bAddr: await b.address() }
}

// echo serves port on node: every message comes back as it came.
function echo(node, port) {
  const accepted = []
  const server = node.sockets.createServer((socket) => {
    accepted.push(record(socket))
    socket.on('message', (m) => socket.send(m.data))
  }).listen(port)
  return { server, accepted }
}

const cases = {
  async 'page hub addresses'(smoke) {
    const { a, b, aAddr, bAddr } = await pair(smoke)
    assertEq([aAddr, bAddr], ['0.0.0.1', '0.0.0.2'], 'addresses')
    assertEq(await a.hub.address(), aAddr, 'hub.address')
    assertEq(await b.network.address(), bAddr, 'network.address')
    await a.dispose()
    await b.dispose()
  },

  async 'connect to a closed port on another node: error then close'(smoke) {
    const { a, b, aAddr } = await pair(smoke)
    const log = record(b.sockets.connect(aAddr, 9999))
    await until(log.closed, 'close')
    assertEq(log.names(), ['error', 'close'], 'events')
    const err = log.payload('error')
    assert(err instanceof Error, 'error is an Error')
    assertEq(err.code, 'ERR_PORT_NOT_LISTENING', `error code (${err.message})`)
    assertEq(log.payload('close').code, 4404, 'close code')
    await a.dispose()
    await b.dispose()
  },

  async 'connect to a closed port on localhost: error then close'(smoke) {
    const { a, b } = await pair(smoke)
    const socket = a.sockets.connect('localhost', 9999)
    assertEq(socket.readyState, 'connecting', 'readyState before open')
    const log = record(socket)
    await until(log.closed, 'close')
    assertEq(log.names(), ['error', 'close'], 'events')
    assertEq(log.payload('error').code, 'ERR_PORT_NOT_LISTENING', 'error code')
    assertEq(socket.readyState, 'closed', 'readyState after close')
    await a.dispose()
    await b.dispose()
  },

  async 'connect to an address nobody has: error then close'(smoke) {
    const { a, b } = await pair(smoke)
    const log = record(a.sockets.connect('0.0.9.9', 80))
    await until(log.closed, 'close', 40000)
    assertEq(log.names(), ['error', 'close'], 'events')
    assertEq(log.payload('close').code, 1006, 'close code')
    await a.dispose()
    await b.dispose()
  },

  async 'text and binary messages, send before open queues'(smoke) {
    const { a, b, aAddr } = await pair(smoke)
    echo(a, 7000)
    const socket = b.sockets.connect(aAddr, 7000)
    const log = record(socket)
    // Sent while connecting: queued, delivered in order once open.
    socket.send('héllo ✓')
    socket.send(new Uint8Array([1, 2, 3]))
    socket.send(new Uint8Array([9, 8, 7, 6]).buffer)
    socket.send(new DataView(new Uint8Array([0, 5, 6, 0]).buffer, 1, 2))
    assert(socket.bufferedAmount > 0, `bufferedAmount before open is ${socket.bufferedAmount}`)
    await until(() => log.messages().length === 4, '4 echoes')
    const [text, ...bins] = log.messages()
    assertEq(text, 'héllo ✓', 'text')
    for (const bin of bins) assert(bin instanceof Uint8Array, `binary data is ${bin?.constructor?.name}`)
    assertEq(bins.map((x) => Array.from(x)), [[1, 2, 3], [9, 8, 7, 6], [5, 6]], 'binary')
    assertEq(log.names()[0], 'open', 'first event')
    assertEq(socket.readyState, 'open', 'readyState')
    assertEq(socket.remoteAddress, aAddr, 'remoteAddress')
    assertEq(socket.remotePort, 7000, 'remotePort')
    assertEq(socket.localAddress, '0.0.0.2', 'localAddress')
    await until(() => socket.bufferedAmount === 0, 'bufferedAmount 0')
    await a.dispose()
    await b.dispose()
  },

  async 'a large message'(smoke) {
    const { a, b, aAddr } = await pair(smoke)
    echo(a, 7000)
    const socket = b.sockets.connect(aAddr, 7000)
    const log = record(socket)
    const big = new Uint8Array(3 << 20)
    for (let i = 0; i < big.length; i++) big[i] = i % 251
    socket.send(big)
    await until(() => log.messages().length === 1, 'the echo', 60000)
    const got = log.messages()[0]
    assertEq(got.length, big.length, 'length')
    for (let i = 0; i < big.length; i += 4099) assert(got[i] === big[i], `byte ${i}`)
    await a.dispose()
    await b.dispose()
  },

  async 'a throwing message handler does not break the node'(smoke) {
    const { a, b, aAddr } = await pair(smoke)
    echo(a, 7000)
    const socket = b.sockets.connect(aAddr, 7000)
    socket.on('message', () => { throw new Error('handler boom') })
    const log = record(socket)
    await until(() => log.names().includes('open'), 'open')
    for (const m of ['one', 'two', 'three']) socket.send(m)
    await until(() => log.messages().length === 3, '3 echoes')
    assertEq(log.messages(), ['one', 'two', 'three'], 'messages after throwing handlers')
    // The node still makes new sockets.
    const again = record(b.sockets.connect(aAddr, 7000))
    await until(() => again.names().includes('open'), 'a second socket')
    await a.dispose()
    await b.dispose()
  },

  async 'a throwing connection callback does not break the server'(smoke) {
    const { a, b, aAddr } = await pair(smoke)
    let calls = 0
    a.sockets.createServer((socket) => {
      calls++
      socket.on('message', (m) => socket.send(m.data))
      throw new Error('callback boom')
    }).listen(7000)
    for (let i = 0; i < 2; i++) {
      const socket = b.sockets.connect(aAddr, 7000)
      const log = record(socket)
      socket.send('ping')
      await until(() => log.messages().length === 1, 'the echo')
    }
    assertEq(calls, 2, 'callback calls')
    await a.dispose()
    await b.dispose()
  },

  async 'dispose while sockets are open'(smoke) {
    const { a, b, aAddr } = await pair(smoke)
    const { accepted } = echo(a, 7000)
    const remote = record(b.sockets.connect(aAddr, 7000)) // b → a over WebRTC
    const local = record(a.sockets.connect('localhost', 7000)) // a → a, in memory
    const pending = a.sockets.connect(aAddr, 7001) // nobody listens: fails on its own, or is disposed
    await until(() => remote.names().includes('open') && local.names().includes('open'), 'both open')
    await until(() => accepted.length === 2, 'both accepted')
    await a.dispose()
    // a's own sockets, both ends of the local one and the server side of the remote one, close with 1001.
    await until(() => local.closed() && accepted.every((l) => l.closed()), "a's sockets closed", 10000)
    for (const [what, log] of [['local', local], ['accepted 0', accepted[0]], ['accepted 1', accepted[1]]]) {
      const e = log.payload('close')
      assertEq([e.code, e.reason], [1001, 'node disposed'], `${what} close`)
      assert(!log.names().includes('error'), `${what}: no error event, got ${log.names()}`)
    }
    // The peer hears the close too.
    await until(remote.closed, 'the remote socket closed', 15000)
    assertEq(remote.payload('close').code, 1001, 'remote close code')
    assertEq(pending.readyState, 'closed', 'pending socket')
    // The node is gone for good, and says so.
    await rejects(a.address(), 'ERR_DISPOSED', 'address after dispose')
    throws(() => a.sockets.connect('localhost', 7000), (err) => assertEq(err.code, 'ERR_DISPOSED', 'connect code'), 'connect after dispose')
    await a.dispose() // again: harmless
    await b.dispose()
  },

  async 'close codes and reasons reach the peer; a close while connecting waits for queued messages'(smoke) {
    const { a, b, aAddr } = await pair(smoke)
    const { accepted } = echo(a, 7000)
    const socket = b.sockets.connect(aAddr, 7000)
    const log = record(socket)
    socket.send('last words') // queued while connecting: the close below goes after it
    socket.close(4000, 'done here')
    assertEq(socket.readyState, 'closing', 'readyState after close()')
    throws(() => socket.send('late'), (err) => assertEq(err.code, 'ERR_INVALID_STATE', 'send after close'), 'send after close')
    await until(() => log.closed() && accepted.length === 1 && accepted[0].closed(), 'both closed')
    assertEq(accepted[0].messages(), ['last words'], 'queued message went before the close')
    const server = accepted[0].payload('close')
    assertEq([server.code, server.reason, server.wasClean], [4000, 'done here', true], 'server close event')
    const client = log.payload('close')
    assertEq([client.code, client.reason, client.wasClean], [4000, 'done here', true], 'client close event')
    await a.dispose()
    await b.dispose()
  },

  async 'server sends then closes: the client gets both'(smoke) {
    const { a, b, aAddr } = await pair(smoke)
    a.sockets.createServer((socket) => {
      socket.send('hello')
      socket.close()
    }).listen(5000)
    const log = record(b.sockets.connect(aAddr, 5000))
    await until(log.closed, 'close')
    assertEq(log.names(), ['open', 'message', 'close'], 'events')
    assertEq(log.messages(), ['hello'], 'message')
    assertEq(log.payload('close').code, 1000, 'close code')
    await a.dispose()
    await b.dispose()
  },

  async 'close while connecting with nothing queued gives up'(smoke) {
    const { a, b, aAddr } = await pair(smoke)
    echo(a, 7000)
    const socket = b.sockets.connect(aAddr, 7000)
    const log = record(socket)
    socket.close(3001, 'changed my mind')
    await until(log.closed, 'close')
    assertEq(log.names(), ['close'], 'events')
    assertEq(log.payload('close').code, 3001, 'close code')
    await a.dispose()
    await b.dispose()
  },

  async 'ports: listen, in use, unbind'(smoke) {
    const { a, b, aAddr } = await pair(smoke)
    const server = a.sockets.createServer(() => {}).listen(7000)
    assertEq(server.port, 7000, 'server.port')
    throws(() => a.sockets.createServer(() => {}).listen(7000), (err) => {
      assert(err instanceof Error, 'an Error')
      assertEq(err.code, 'ERR_PORT_IN_USE', `code of ${err.message}`)
    }, 'listen on a bound port')
    throws(() => server.listen(7001), (err) => assert(err instanceof Error, 'an Error'), 'listen twice')
    a.network.bindPort(7002, () => {})
    assertEq(a.network.ports(), [7000, 7002], 'ports')
    assertEq(a.network.unbindPort(7002), true, 'unbindPort')
    assertEq(a.network.unbindPort(7002), false, 'unbindPort again')
    server.dispose()
    assertEq(server.port, null, 'server.port after dispose')
    assertEq(a.network.ports(), [], 'ports after dispose')
    const log = record(b.sockets.connect(aAddr, 7000))
    await until(log.closed, 'close')
    assertEq(log.payload('error').code, 'ERR_PORT_NOT_LISTENING', 'connect to an unbound port')
    // The port can be bound again; close() is dispose().
    const again = a.sockets.createServer(() => {}).listen(7000)
    again.close()
    await a.dispose()
    await b.dispose()
  },

  async 'bad arguments throw TypeError or RangeError'(smoke) {
    const { a, b } = await pair(smoke)
    const isA = (ctor, code) => (err) => {
      assert(err instanceof ctor, `${err} is not a ${ctor.name}`)
      if (code) assertEq(err.code, code, `code of ${err.message}`)
    }
    throws(() => a.sockets.connect('localhost', 0), isA(RangeError, 'ERR_INVALID_PORT'), 'port 0')
    throws(() => a.sockets.connect('localhost', 70000), isA(RangeError, 'ERR_INVALID_PORT'), 'port 70000')
    throws(() => a.sockets.connect('localhost', 1.5), isA(RangeError), 'port 1.5')
    throws(() => a.sockets.connect('localhost', '80'), isA(TypeError), 'port "80"')
    throws(() => a.sockets.connect('', 80), isA(TypeError), 'empty address')
    throws(() => a.sockets.createServer(42), isA(TypeError), 'createServer(42)')
    throws(() => new smoke.Node({ hub: {} }), isA(TypeError), 'hub {}')
    throws(() => new smoke.Node(5), isA(TypeError), 'options 5')
    throws(() => new smoke.NetworkHub('ftp://example.test/'), isA(TypeError), 'ftp hub')
    throws(() => new smoke.NetworkHub('http://['), isA(TypeError), 'hub URL')
    assertEq(new smoke.NetworkHub('http://127.0.0.1:5000').url, 'ws://127.0.0.1:5000/', 'http URL taken as ws')
    throws(() => new smoke.Socket(), isA(TypeError), 'new Socket()')
    throws(() => new smoke.SocketServer(), isA(TypeError), 'new SocketServer()')
    const socket = a.sockets.connect('localhost', 9)
    throws(() => socket.send({}), isA(TypeError), 'send({})')
    throws(() => socket.send(42), isA(TypeError), 'send(42)')
    throws(() => socket.close(999), isA(RangeError, 'ERR_INVALID_CLOSE_CODE'), 'close(999)')
    throws(() => socket.close(1000, 'x'.repeat(124)), isA(RangeError, 'ERR_INVALID_CLOSE_REASON'), 'long reason')
    throws(() => socket.on('open', 'not a function'), isA(TypeError), "on('open', string)")
    await rejects(a.hub.register('not a hostname!'), 'ERR_INVALID_HOSTNAME', 'register a bad name')
    await a.dispose()
    await b.dispose()
  },

  async 'hub: configuration, register, lookup, connect by hostname'(smoke) {
    const { a, b, aAddr } = await pair(smoke)
    assertEq(await a.hub.configuration(), { iceServers: [] }, 'configuration')
    await a.hub.register('alpha')
    assertEq(await b.hub.lookup('alpha'), aAddr, 'lookup')
    await rejects(b.hub.register('alpha'), 'ERR_HOSTNAME_TAKEN', 'register a taken name')
    await rejects(b.hub.lookup('nobody'), 'ERR_HOSTNAME_NOT_FOUND', 'lookup an unknown name')
    echo(a, 7000)
    const log = record(b.sockets.connect('alpha', 7000))
    await until(() => log.names().includes('open'), 'open by hostname')
    assertEq(log.payload('open'), undefined, 'open has no payload')
    await a.hub.unregister('alpha')
    await rejects(b.hub.lookup('alpha'), 'ERR_HOSTNAME_NOT_FOUND', 'lookup after unregister')
    await a.dispose()
    await b.dispose()
  },

  async 'system and network figures'(smoke) {
    const { a, b, aAddr, bAddr } = await pair(smoke)
    assert(a.system.started instanceof Date, 'started is a Date')
    assert(a.system.uptime() >= 0, 'uptime')
    echo(a, 7000)
    const log = record(b.sockets.connect(aAddr, 7000))
    await until(() => log.names().includes('open'), 'open')
    b.sockets.connect(aAddr, 7000).send('x'.repeat(1000))
    await until(() => a.network.getPeers().length === 1, "a's peer")
    const peers = b.network.getPeers()
    assertEq(peers.map((p) => [p.address, p.state]), [[aAddr, 'connected']], 'peers of b')
    assert(peers[0].since instanceof Date, 'since is a Date')
    assertEq(a.network.getPeers()[0].address, bAddr, 'peer of a')
    await until(() => b.network.getPeers()[0].sockets === 2, 'two sockets on the peer')
    let st = await b.system.netstat()
    for (const start = Date.now(); st.bytesOut <= 1000 && Date.now() - start < 10000; st = await b.system.netstat()) {
      await sleep(10)
    }
    assert(st.bytesOut > 1000 && st.framesOut > 0, `b sent ${st.bytesOut} bytes in ${st.framesOut} frames`)
    assertEq([st.openSockets, st.socketsOpened, st.peerConnectionsCreated], [2, 2, 1], 'socket and peer counts')
    assertEq((await a.system.netstat()).listening, [7000], 'listening')
    assert(st.started instanceof Date && st.uptime >= 0, 'started and uptime')
    const storage = await a.system.storage()
    assert(typeof storage.usage === 'number' && storage.quota > 0, `storage ${JSON.stringify(storage)}`)
    await a.dispose()
    await b.dispose()
  },

  async 'media: bad arguments are TypeErrors with a code'(smoke) {
    const node = new smoke.Node({ hub: new smoke.PageHub() })
    const { media } = node
    for (const [what, f] of [
      ['media.createMediaSource()', () => media.createMediaSource()],
      ['media.record(1)', () => media.record(1)],
      ['media.broadcast({})', () => media.broadcast({})],
    ]) {
      throws(f, (err) => {
        assert(err instanceof TypeError, `${what}: a TypeError`)
        assertEq(err.code, 'ERR_INVALID_ARG_TYPE', `${what} code`)
      }, what)
    }
    await node.dispose()
  },

  async 'node properties are read-only and destructurable'(smoke) {
    const node = new smoke.Node({ hub: new smoke.PageHub() })
    const { system, network, hub, sockets, rest, media } = node
    assert(system && network && hub && sockets && rest && media, 'all six')
    const before = node.sockets
    try { node.sockets = null } catch {}
    assert(node.sockets === before, 'sockets is read-only')
    assert(node instanceof smoke.Node, 'instanceof Node')
    const socket = sockets.connect('localhost', 9)
    assert(socket instanceof smoke.Socket, 'instanceof Socket')
    await node.dispose()
  },
}

export const run = (smoke, only) => runAll(cases, smoke, only)
