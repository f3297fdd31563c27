// Type-checked by TestTypes (tsc --noEmit, strict) against the package's index.d.ts, resolved through
// node_modules/@smokenet/smoke and its package.json exports like a user's project. Not run.
import { Node, PageHub, NetworkHub, Socket, SocketServer } from '@smokenet/smoke'
import type {
  HubConfiguration, NetStat, PeerInfo, SmokeError, SocketCloseEvent, SocketMessageEvent, SocketReadyState,
  StorageStat, Smoke,
} from '@smokenet/smoke'
import smoke from '@smokenet/smoke'

// The seed README's examples, verbatim apart from the import line above.
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
}
