// Type-checked by TestTypes (tsc --noEmit, strict) against the package's index.d.ts, resolved through
// node_modules/@smokenet/smoke and its package.json exports like a user's project. Not run.
import { Node, PageHub, NetworkHub, Socket, SocketServer, Database, Bucket } from '@smokenet/smoke'
import type {
  HubConfiguration, NetStat, PeerInfo, SmokeError, SocketCloseEvent, SocketMessageEvent, SocketReadyState,
  StorageStat, Smoke, RestServer, RestRequest, RestResponse, FetchResponse, RestProgress, RestNext,
  Record, Query, OrderedQuery, DatabaseOptions, BucketInfo, BucketList,
} from '@smokenet/smoke'
import smoke from '@smokenet/smoke'

// The original smoke README's examples, verbatim apart from the import line above.
{
  const node0 = new Node() // 0.0.0.1

  const node1 = new Node() // 0.0.0.2

  // listen 0.0.0.1 on port 7000

  node0.sockets.createServer(socket => console.log('have socket')).listen(7000)


  const socket0 = node0.sockets.connect('localhost', 7000) // ok

  const socket1 = node0.sockets.connect('0.0.0.1', 7000)   // ok

  const socket2 = node1.sockets.connect('localhost', 7000) // fail - not localhost

  socket2.on('error', console.log)

  const socket3 = node1.sockets.connect('0.0.0.1', 7000)   // ok
}
{
  const node1 = new Node() // 0.0.0.1
  const node2 = new Node() // 0.0.0.2
  const node3 = new Node() // 0.0.0.3

  // start server on node3 and listen on port 5000

  node3.sockets.createServer(socket => {
    
    socket.send('hello')

    socket.close()

  }).listen(5000)

  // connect to node2 from node3 server

  const socket = node2.sockets.connect('0.0.0.3', 5000)

  socket.on('message', message => {

    console.log(message.data)
  })
}
{
  const node = new Node({ hub: new NetworkHub('ws://localhost:5000') })
  const { system, network, hub, sockets, rest, media } = new Node()
}
async function seedHello() {
  const node = new Node()

  const app = node.rest.createServer()

  app.get('/', (req, res) => {

    res.send('hello world')
  })

  app.listen(80)

  const text = await node.rest.fetch('/').then(n => n.text())
}
{
  // Server

  // The original smoke README wraps its example as `(async () => { ... }, 1000)`, a comma expression that never calls the function
  // (a setTimeout that lost its name); strict TypeScript rejects the unused left side. Verbatim below all the same.
  // @ts-expect-error TS2695: left side of comma operator is unused
  (async () => {
    
    // Host...

    const host = new Node({  })

    const app = host.rest.createServer()

    app.get('/', async (req, res) => {

      res.headers['Content-Type'] = 'text/html'
      
      res.send(`<h1>hello world</h1>`)
    })

    app.listen(80)

    // Client

    // Resolve the host address. The host may choose to publish their address to
    // a remote registry or other discovery service for other nodes to find it.
    // Here we simply call the hosts .address() method directly.

    const address = await host.address()

    const node = new Node({ })

    const response = await node.rest.fetch(`rest://${address}/`)
    
    const content = await response.text()

    console.log(content)

  }, 1000)
}

// The rest of the API.
async function api(): Promise<void> {
  const pageHub = new PageHub()
  const a = new Node({ hub: pageHub })
  const b = new Node({ hub: pageHub })
  const c = new Node({ hub: new NetworkHub(new URL('ws://127.0.0.1:5000'), { token: 'secret' }) })
  const d = new Node({})
  const url: string = new NetworkHub('wss://hub.example').url

  const address: string = await a.address()
  const started: Date = a.system.started
  const uptime: number = a.system.uptime()
  const stat: NetStat = await a.system.netstat()
  const peerStates: PeerInfo['state'][] = stat.peers.map((p) => p.state)
  const listening: number[] = stat.listening
  const storage: StorageStat = await a.system.storage()

  const peers: PeerInfo[] = a.network.getPeers()
  const since: Date = peers[0].since
  const ports: number[] = a.network.ports()
  a.network.bindPort(8000, (socket: Socket) => socket.close())
  const unbound: boolean = a.network.unbindPort(8000)
  const netAddress: string = await a.network.address()

  const config: HubConfiguration = await a.hub.configuration()
  const urls: string[] = config.iceServers.flatMap((s) => s.urls)
  await a.hub.register('alpha')
  const alpha: string = await b.hub.lookup('alpha')
  await a.hub.unregister('alpha')
  const hubAddress: string = await a.hub.address()

  const server: SocketServer = a.sockets.createServer((socket) => {
    socket.on('message', (event) => socket.send(event.data))
  }).listen(7000)
  const port: number | null = server.port
  server.dispose()
  server.close()

  const socket: Socket = b.sockets.connect(address, 7000)
  const state: SocketReadyState = socket.readyState
  const buffered: number = socket.bufferedAmount
  const remote: string = socket.remoteAddress + ':' + socket.remotePort + socket.localAddress + socket.localPort
  socket
    .on('open', () => {})
    .on('message', (event: SocketMessageEvent) => {
      const data = event.data
      if (typeof data === 'string') data.toUpperCase()
      else data.byteLength
    })
    .once('error', (err: SmokeError) => err.code === 'ERR_PORT_NOT_LISTENING')
    .on('close', function (this: Socket, event: SocketCloseEvent) {
      const clean: boolean = event.wasClean
      const code: number = event.code + this.bufferedAmount
    })
  const onOpen = () => {}
  socket.on('open', onOpen)
  socket.off('open', onOpen)
  socket.send('text')
  socket.send(new Uint8Array(4))
  socket.send(new ArrayBuffer(4))
  socket.send(new DataView(new ArrayBuffer(4)))
  socket.close()
  socket.close(4000, 'reason')

  // REST
  const app: RestServer = a.rest.createServer()
  app
    .use((req, res, next: RestNext) => next())
    .use('/api', async (req: RestRequest, res: RestResponse, next) => { await Promise.resolve(); next() })
    .get('/users/:id', (req, res) => res.json({ id: req.params.id, q: req.query.q, ua: req.get('User-Agent') }))
    .post('/echo', async (req, res) => res.buffer(await req.buffer()))
    .put('/text', async (req, res) => res.status(201).text(await req.text()))
    .patch('/json', async (req, res) => res.send(await req.json<{ a: number }>()))
    .delete('/x', (req, res) => res.sendStatus(204))
    .head('/h', (req, res) => res.end())
    .options('/o', (req, res) => res.set('Allow', 'GET').end())
    .all('/any/*', (req, res) => res.send(req.params[0]))
    .method('post', '/m', (req, res) => { res.status = 202; res.end() })
    .get(/^\/re\/(\d+)$/, (req, res) => res.send(req.params[0]))
    .get('/stream', async (req, res) => {
      res.set('Content-Type', 'application/octet-stream').setHeader('X-A', 1).header('X-B', ['1', '2'])
      for (let i = 0; i < 3; i++) await res.write(new Uint8Array(8))
      await res.end('done')
    })
    .get('/pipe', (req, res) => res.readable(new Blob(['x']).stream()))
    .get('/info', (req, res) => {
      const code: number = res.statusCode + Number(res.status)
      const sent: boolean = res.headersSent || res.writableEnded || res.finished || req.signal.aborted
      const who: string = req.address + req.remoteAddress + req.remotePort + req.host + req.method + req.url + req.path
      const h: string | undefined = req.headers['content-type']
      res.removeHeader('x').get('x')
      return res.redirect(301, '/') 
    })
    .use((err: unknown, req: RestRequest, res: RestResponse, next: RestNext) => res.status(500).send({ error: String(err) }))
    .use('/e', (err: unknown, req: RestRequest, res: RestResponse, next: RestNext) => next(err))
    .listen(8080)
  const appPort: number | null = app.port
  const stream: ReadableStream<Uint8Array> = await new Promise((resolve) => a.rest.createServer().post('/', (req) => resolve(req.readable())))
  app.dispose()
  app.close()

  const controller = new AbortController()
  const response: FetchResponse = await b.rest.fetch(`rest://${address}:8080/users/7?q=1`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: { hello: 'world' },
    signal: controller.signal,
    timeout: 5000,
    redirect: 'manual',
    progress: ({ direction, loaded, total, lengthComputable }: RestProgress) => console.log(direction, loaded, total, lengthComputable),
  })
  const status: number = response.status + (response.ok ? 1 : 0)
  const statusText: string = response.statusText + response.url + response.redirected + response.type + response.kind
  const ct: string | null = response.headers.get('content-type')
  for (const [name, value] of response.headers) console.log(name, value)
  const body: ReadableStream<Uint8Array> | null = response.body
  const reader = body!.getReader()
  const chunk = await reader.read()
  if (!chunk.done) chunk.value.byteLength
  const bytes: Uint8Array = await (await b.rest.fetch('/x', { body: new Uint8Array(4), method: 'PUT' })).buffer()
  const ab: ArrayBuffer = await (await b.rest.fetch(new URL('rest://localhost/x'))).arrayBuffer()
  const json: { id: string } = await (await b.rest.fetch('/users/1')).json<{ id: string }>()
  const blob: Blob = await (await b.rest.fetch('/x', { method: 'post', body: new Blob(['x']).stream() })).blob()
  await b.rest.fetch('/x', { method: 'POST', body: 'text' })
  await b.rest.fetch('/x', { method: 'POST', body: new URLSearchParams({ a: '1' }) })
  await b.rest.fetch('/x', { method: 'POST', body: [1, 2, 3] })
  const used: boolean = response.bodyUsed

  const namespace: Smoke = smoke
  const n: Node = new namespace.Node()

  await Promise.all([a.dispose(), b.dispose(), c.dispose(), d.dispose(), n.dispose()])
}

// What must not compile.
function misuse(node: Node, socket: Socket): void {
  // @ts-expect-error Socket has no public constructor
  new Socket()
  // @ts-expect-error SocketServer has no public constructor
  new SocketServer()
  // @ts-expect-error no such event
  socket.on('data', () => {})
  // @ts-expect-error a message listener gets an event, not a number
  socket.on('message', (n: number) => n)
  // @ts-expect-error ports are numbers
  node.sockets.connect('localhost', '80')
  // @ts-expect-error send takes strings and bytes
  socket.send({ hello: 'world' })
  // @ts-expect-error hub must be a hub
  new Node({ hub: 'ws://localhost:5000' })
  // @ts-expect-error node properties are read-only
  node.sockets = node.sockets
  const app = node.rest.createServer()
  // @ts-expect-error ports are numbers
  app.listen('80')
  // @ts-expect-error a handler is a function
  app.get('/', 'hello')
  // @ts-expect-error status is a number
  app.get('/', (req, res) => { res.status = '404' })
  // @ts-expect-error fetch's url is a string or URL
  node.rest.fetch(80)
  // @ts-expect-error redirect is one of three
  node.rest.fetch('/', { redirect: 'never' })
}

// The database: records, generics through the query operators, eager results.
{
  interface User extends Record { name: string, role: string }
  const options: DatabaseOptions = { durability: 'strict' }
  const db = new Database('users', options)
  db.insert('users', { key: db.key(), name: 'smith', role: 'admin' })
  db.update<User>('users', { key: db.key(), name: 'mike', role: 'user' })
  db.delete('users', 'some-key')
  const committed: Promise<void> = db.commit()
  const q: Query<User> = db.query<User>('users').where(u => u.role === 'user')
  const ordered: OrderedQuery<User> = q.orderBy(u => u.name).thenByDescending(u => u.role)
  const names: Query<string> = ordered.select(u => u.name)
  const first: Promise<string | undefined> = names.first()
  const total: Promise<number> = q.sum(u => u.name.length)
  const all: Promise<User[]> = q.take(10).toArray()
  const user: Promise<User | undefined> = db.get<User>('users', 'k')
  const dropped: Promise<void> = Database.drop('users')
  void [committed, first, total, all, user, dropped, smoke.Database]
  ;(async () => { for await (const n of names) { const s: string = n; void s } })()
  // @ts-expect-error a record needs a string key
  db.insert('users', { name: 'no key' })
  // @ts-expect-error select's result is typed
  const wrong: Query<number> = q.select(u => u.name)
  void wrong
}

// The file bucket: bytes, text, Blobs and streams; serving a file over REST.
{
  const bucket = new Bucket('files')
  const written: Promise<BucketInfo> = bucket.write('a.txt', 'hello')
  void bucket.write('b.bin', new Uint8Array(8))
  void bucket.write('c.bin', new Blob(['x']))
  void bucket.append('a.txt', new ReadableStream<Uint8Array>())
  const bytes: Promise<Uint8Array> = bucket.read('a.txt')
  const text: Promise<string> = bucket.read('a.txt', 'utf-8')
  const blob: Promise<Blob> = bucket.readBlob('a.txt', 'text/plain')
  const part: ReadableStream<Uint8Array> = bucket.readable('a.txt', 1, 3)
  const sink: WritableStream = bucket.writable('d.txt')
  const one: Promise<BucketInfo> = bucket.info('a.txt')
  const many: Promise<(BucketInfo | undefined)[]> = bucket.info(['a.txt', 'b.bin'])
  const listed: Promise<BucketList> = bucket.list('docs/', '/')
  const gone: Promise<boolean> = bucket.delete('a.txt')
  const server = new Node().rest.createServer()
  server.get('/files/:name', (req, res) => bucket.serve(req, res, req.params.name, { type: 'text/plain' }))
  void [written, bytes, text, blob, part, sink, one, many, listed, gone, bucket.exists('a.txt'), Bucket.drop('files'), smoke.Bucket]
  // @ts-expect-error write takes data
  void bucket.write('a.txt', 42)
}

// The original smoke README's "Database and Network Query" example, verbatim apart from the import line (at the top).
{
// creates a IDB database with this name.
const db = new Database('users')

interface User extends Record { name: string, role: string }

(async () => {

  // use the rest and database namespaces only.
  const { rest } = new Node()

  // insert some users into the database.
  db.insert('users', { key: db.key(), name: 'smith', role: 'admin' })
  db.insert('users', { key: db.key(), name: 'mike', role: 'admin'  })
  db.insert('users', { key: db.key(), name: 'dave', role: 'user'  })
  db.insert('users', { key: db.key(), name: 'alice', role: 'user'  })
  db.insert('users', { key: db.key(), name: 'jones', role: 'user'  })
  await db.commit()

  // create server with simple database view to the 'user' store.
  rest.createServer().get('/users', (req, res) => {

    const query = db.query<User>('users').where(n => n.role === 'user')
    
    res.query(query)
  
  }).listen(5433)


  // request query from server.
  const query = await rest.fetch('rest://localhost:5433/users').then(n => n.query<User>())

  // apply order and iterate, new records pulled on each iteration.
  for await (const user of query.orderBy(n => n.name).select(n => n.name)) {

    console.log(user)
  }

})();
}
{
  // Media without the network: test pattern → recording → broadcast → playback.
  const node = new Node()
  const stream: MediaStream = node.media.createTestPattern({ width: 320, height: 240, frameRate: 15, audio: false })
  const bytes: ReadableStream<Uint8Array> = node.media.record(stream, { timeslice: 200, keyFrameInterval: 1000 })
  const live = node.media.broadcast(bytes, { maxBuffered: 1 << 20 })
  const readers: number = live.readers
  const video = document.createElement('video')
  const source: MediaSource = node.media.createMediaSource(live.join(), 'webm', { media: video, ahead: 10, behind: 5 })
  void readers
  void source
}
