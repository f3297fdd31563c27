// The errors a JavaScript user reads, provoked one by one for TestErrorMessages (errors_test.go): run(smoke)
// resolves to [{ case, name, code, message }], one per error, and the Go test holds each to the rule that every
// error has a code and says what went wrong in one plain sentence.

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

async function until(cond, what, ms = 30000) {
  const start = Date.now()
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await sleep(5)
  }
}

// socketError connects and resolves to the socket's error event (undefined if it opened).
function socketError(node, address, port) {
  return new Promise((resolve) => {
    const socket = node.sockets.connect(address, port)
    socket.on('error', (err) => resolve(err))
    socket.on('open', () => resolve(undefined))
  })
}

async function caught(f) {
  try {
    await f()
  } catch (err) {
    return err
  }
  return undefined
}

async function pair(smoke) {
  const hub = new smoke.PageHub()
  const a = new smoke.Node({ hub })
  const b = new smoke.Node({ hub })
  return { a, b, aAddr: await a.address(), bAddr: await b.address() }
}

const cases = {
  async 'connect: no node has the address'(smoke) {
    const { a, b } = await pair(smoke)
    try {
      return await socketError(a, '0.0.9.9', 80)
    } finally {
      await a.dispose()
      await b.dispose()
    }
  },
  async 'connect: port not listening'(smoke) {
    const { a, b, aAddr } = await pair(smoke)
    try {
      return await socketError(b, aAddr, 9999)
    } finally {
      await a.dispose()
      await b.dispose()
    }
  },
  async 'connect: hostname not registered'(smoke) {
    const { a, b } = await pair(smoke)
    try {
      return await socketError(b, 'nobody-here', 80)
    } finally {
      await a.dispose()
      await b.dispose()
    }
  },
  async 'connect: bad port'(smoke) {
    const { a, b, aAddr } = await pair(smoke)
    try {
      return await caught(() => b.sockets.connect(aAddr, 70000))
    } finally {
      await a.dispose()
      await b.dispose()
    }
  },
  async 'connect: node disposed'(smoke) {
    const { a, b, aAddr } = await pair(smoke)
    await b.dispose()
    try {
      return (await caught(() => b.sockets.connect(aAddr, 80))) ?? (await socketError(b, aAddr, 80))
    } finally {
      await a.dispose()
    }
  },
  async 'listen: port in use'(smoke) {
    const { a, b } = await pair(smoke)
    a.sockets.createServer(() => {}).listen(7000)
    try {
      return await caught(async () => {
        const server = a.sockets.createServer(() => {})
        const failed = new Promise((resolve, reject) => {
          server.on?.('error', reject)
          setTimeout(resolve, 500)
        })
        server.listen(7000)
        await failed
      })
    } finally {
      await a.dispose()
      await b.dispose()
    }
  },
  async 'socket: send after close'(smoke) {
    const { a, b, aAddr } = await pair(smoke)
    a.sockets.createServer(() => {}).listen(7000)
    const socket = b.sockets.connect(aAddr, 7000)
    await new Promise((resolve) => socket.on('open', resolve))
    socket.close()
    try {
      return await caught(() => socket.send('late'))
    } finally {
      await a.dispose()
      await b.dispose()
    }
  },
  async 'hostname: taken'(smoke) {
    const { a, b } = await pair(smoke)
    await a.hub.register('taken-name')
    try {
      return await caught(() => b.hub.register('taken-name'))
    } finally {
      await a.dispose()
      await b.dispose()
    }
  },
  async 'hostname: invalid'(smoke) {
    const { a, b } = await pair(smoke)
    try {
      return await caught(() => a.hub.register('no spaces allowed'))
    } finally {
      await a.dispose()
      await b.dispose()
    }
  },
  async 'network hub: bad URL'(smoke) {
    return await caught(async () => {
      const node = new smoke.Node({ hub: new smoke.NetworkHub('localhost:5600') })
      try {
        await node.address()
      } finally {
        await node.dispose()
      }
    })
  },
  async 'fetch: no node has the address'(smoke) {
    const { a, b } = await pair(smoke)
    try {
      return await caught(() => a.rest.fetch('rest://0.0.9.9/x'))
    } finally {
      await a.dispose()
      await b.dispose()
    }
  },
  async 'fetch: port not listening'(smoke) {
    const { a, b, aAddr } = await pair(smoke)
    try {
      return await caught(() => b.rest.fetch(`rest://${aAddr}:8080/x`))
    } finally {
      await a.dispose()
      await b.dispose()
    }
  },
  async 'fetch: server goes away mid-body'(smoke) {
    const { a, b, aAddr } = await pair(smoke)
    const app = a.rest.createServer()
    app.get('/slow', (req, res) => {
      res.write('first part')
    })
    app.listen(80)
    try {
      const response = await b.rest.fetch(`rest://${aAddr}/slow`)
      const reader = response.body.getReader()
      await reader.read()
      const failed = caught(async () => {
        for (;;) if ((await reader.read()).done) return
      })
      await a.dispose()
      return await failed
    } finally {
      await b.dispose()
    }
  },
  async 'fetch: aborted'(smoke) {
    const { a, b, aAddr } = await pair(smoke)
    const app = a.rest.createServer()
    app.get('/never', () => {})
    app.listen(80)
    const ac = new AbortController()
    setTimeout(() => ac.abort(), 200)
    try {
      return await caught(() => b.rest.fetch(`rest://${aAddr}/never`, { signal: ac.signal }))
    } finally {
      await a.dispose()
      await b.dispose()
    }
  },
  async 'database: record without a key'(smoke) {
    const db = new smoke.Database('errors-probe')
    try {
      return await caught(async () => {
        await db.insert('things', { name: 'no key' })
        await db.commit()
      })
    } finally {
      await db.dispose()
    }
  },
}

export async function run(smoke) {
  const out = []
  for (const [name, f] of Object.entries(cases)) {
    let err
    try {
      err = await f(smoke)
    } catch (e) {
      out.push({ case: name, name: 'HARNESS', code: '', message: String(e?.stack ?? e) })
      continue
    }
    out.push(err === undefined
      ? { case: name, name: 'NONE', code: '', message: '' }
      : { case: name, name: err.name, code: err.code ?? '', message: err.message })
  }
  return out
}
