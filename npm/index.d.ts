// Types of @smokenet/smoke: the smoke-node JavaScript API, served by Go compiled to WebAssembly.
//
// Importing the package loads the wasm (top-level await), so `new Node()` works on the next line. Every method
// that waits returns a Promise and never throws; failures are Errors with a `code` (see SmokeError).

/** An Error from Smoke. `code` tells failures apart without parsing messages. */
export interface SmokeError extends Error {
  code?:
    | 'ERR_DISPOSED'
    | 'ERR_INVALID_STATE'
    | 'ERR_BUFFER_FULL'
    | 'ERR_NOT_AVAILABLE'
    | 'ERR_PORT_NOT_LISTENING'
    | 'ERR_PORT_IN_USE'
    | 'ERR_INVALID_PORT'
    | 'ERR_PEER_UNREACHABLE'
    | 'ERR_PEER_GONE'
    | 'ERR_TIMEOUT'
    | 'ERR_MESSAGE_TOO_LARGE'
    | 'ERR_PROTOCOL'
    | 'ERR_HOSTNAME_NOT_FOUND'
    | 'ERR_HOSTNAME_TAKEN'
    | 'ERR_INVALID_HOSTNAME'
    | 'ERR_TOO_MANY_HOSTNAMES'
    | 'ERR_HUB_DISCONNECTED'
    | 'ERR_INVALID_CLOSE_CODE'
    | 'ERR_INVALID_CLOSE_REASON'
    | 'ERR_CLOSED'
    | (string & {})
}

// ---------------------------------------------------------------------------------------------------------------
// Hubs

/**
 * An in-page signalling hub: Nodes that share one reach each other, each with the next address (0.0.0.1,
 * 0.0.0.2, …). A Node created without a hub joins the page's default PageHub.
 */
export declare class PageHub {
  #private
  constructor()
}

export interface NetworkHubOptions {
  /** The smoke-hub's shared secret (`smoke-hub --token`), if it has one. */
  token?: string
}

/**
 * A smoke-hub server (`smoke-hub --port 5000`). The object only holds settings: every Node given it opens its own
 * connection to the server and gets its own address. http(s) URLs are taken as ws(s); relative URLs resolve
 * against the page.
 */
export declare class NetworkHub {
  #private
  constructor(url: string | URL, options?: NetworkHubOptions)
  /** The server's URL, normalised (ws: or wss:). */
  readonly url: string
}

/** The hubs a Node can use. */
export type Hub = PageHub | NetworkHub

// ---------------------------------------------------------------------------------------------------------------
// Nodes

export interface NodeOptions {
  /** The node's hub. Default: the page's PageHub. */
  hub?: Hub | null
}

/** A Smoke network node: an address on its hub, ports, and sockets to other nodes. */
export declare class Node {
  #private
  constructor(options?: NodeOptions)
  /** Uptime, network figures and storage use. */
  readonly system: System
  /** Ports and peer connections. */
  readonly network: Network
  /** The node's signalling hub: address, ICE configuration, hostnames. */
  readonly hub: NodeHub
  /** Socket servers and connections. */
  readonly sockets: Sockets
  /** HTTP-like REST over WebRTC. Not yet available in this version: every method throws ERR_NOT_AVAILABLE. */
  readonly rest: Rest
  /** MediaStreams. Not yet available in this version: every method throws ERR_NOT_AVAILABLE. */
  readonly media: Media
  /** The node's address on its hub, once the hub has assigned it. */
  address(): Promise<string>
  /**
   * Closes every socket of the node (close event code 1001, "node disposed"), unbinds its ports and leaves the
   * hub. Pending calls reject with ERR_DISPOSED. Resolves when done; calling it again is harmless.
   */
  dispose(): Promise<void>
}

/** node.system */
export interface System {
  /** When the node was created. */
  readonly started: Date
  /** Milliseconds since the node was created. */
  uptime(): number
  /** The node's network figures now. */
  netstat(): Promise<NetStat>
  /** Storage used and available to the page's origin (navigator.storage.estimate()), in bytes. */
  storage(): Promise<StorageStat>
}

export interface NetStat {
  started: Date
  /** Milliseconds. */
  uptime: number
  /** Bytes over datachannels, framing included. */
  bytesIn: number
  bytesOut: number
  /** Datachannel messages. */
  framesIn: number
  framesOut: number
  /** Sockets opened over the node's life, and open now. */
  socketsOpened: number
  openSockets: number
  /** Bound ports, ascending. */
  listening: number[]
  /** RTCPeerConnections made over the node's life (Chrome allows about 500 per page). */
  peerConnectionsCreated: number
  peers: PeerInfo[]
}

/** One peer connection of a node. */
export interface PeerInfo {
  /** The remote node's address. */
  address: string
  state: 'new' | 'connecting' | 'connected' | 'disconnected' | 'failed' | 'closed'
  /** When the connection was made. */
  since: Date
  /** Sockets open over it. */
  sockets: number
}

export interface StorageStat {
  usage: number
  quota: number
}

/** node.network */
export interface Network {
  address(): Promise<string>
  /** The node's peer connections now, by remote address. */
  getPeers(): PeerInfo[]
  /** The bound ports, ascending. */
  ports(): number[]
  /** Binds port; onSocket gets each socket dialled to it. Throws ERR_PORT_IN_USE if the port is bound. */
  bindPort(port: number, onSocket: (socket: Socket) => void): void
  /** Unbinds port, whoever bound it; sockets it accepted stay open. False if nothing was bound there. */
  unbindPort(port: number): boolean
}

/** An ICE server, as in RTCConfiguration. */
export interface IceServer {
  urls: string[]
  username?: string
  credential?: string
}

/** What the hub hands nodes: the ICE servers (STUN/TURN) for their peer connections. */
export interface HubConfiguration {
  iceServers: IceServer[]
}

/** node.hub */
export interface NodeHub {
  /** The node's address on the hub. */
  address(): Promise<string>
  /** The ICE configuration the hub hands out. */
  configuration(): Promise<HubConfiguration>
  /** Leases hostname (1-253 of a-z 0-9 - . _) to this node; ERR_HOSTNAME_TAKEN if another node holds it. */
  register(hostname: string): Promise<void>
  /** Gives up a hostname this node holds. */
  unregister(hostname: string): Promise<void>
  /** The address holding hostname; rejects with ERR_HOSTNAME_NOT_FOUND. connect() resolves hostnames itself. */
  lookup(hostname: string): Promise<string>
}

// ---------------------------------------------------------------------------------------------------------------
// Sockets

/** node.sockets */
export interface Sockets {
  /** A socket server; call listen(port) on it. onSocket gets each socket, already open. */
  createServer(onSocket: (socket: Socket) => void): SocketServer
  /**
   * A socket to port on the node at address: an address, a hostname registered on the hub, or 'localhost' (this
   * node). Returns at once and connects in the background: listen for 'open', or 'error' then 'close'. Throws
   * only for bad arguments (RangeError ERR_INVALID_PORT) or a disposed node.
   */
  connect(address: string, port: number): Socket
}

/** A socket server of a node. */
export declare class SocketServer {
  #private
  private constructor()
  /** The port it listens on; null before listen and after dispose. */
  readonly port: number | null
  /** Binds port. Throws ERR_PORT_IN_USE if it is bound, or if this server already listens. */
  listen(port: number): this
  /** Unbinds the port; sockets already accepted stay open. */
  dispose(): void
  /** Same as dispose. */
  close(): void
}

export interface SocketMessageEvent {
  /** A string for a text message, bytes for a binary one. */
  data: string | Uint8Array
}

export interface SocketCloseEvent {
  /**
   * As in WebSocket: 1000 normal, 1001 going away (1001 "node disposed" after dispose), 1006 abnormal (the
   * connection failed or was lost; an error event came first), 4404 the port is not listening, 3000-4999
   * applications' own.
   */
  code: number
  reason: string
  /** Whether the close handshake completed. */
  wasClean: boolean
}

export type SocketReadyState = 'connecting' | 'open' | 'closing' | 'closed'

/** The events of a Socket and their listeners' arguments. */
export interface SocketEventMap {
  open: []
  message: [event: SocketMessageEvent]
  error: [error: SmokeError]
  close: [event: SocketCloseEvent]
}

/**
 * A WebSocket-like message socket. Events: open, message ({ data }), error, close ({ code, reason, wasClean }),
 * always in that order, close last and once. A listener that throws is reported on console.error; the socket
 * and the other listeners carry on. Add listeners right after connect(): none are missed then.
 */
export declare class Socket {
  #private
  private constructor()
  readonly readyState: SocketReadyState
  /** Bytes queued by send() and not yet handed to the network. */
  readonly bufferedAmount: number
  /** The remote node (as dialled until open, then its address) and port. */
  readonly remoteAddress: string
  readonly remotePort: number
  /** This node's address (empty until open) and port (0 for a dialling socket). */
  readonly localAddress: string
  readonly localPort: number
  /**
   * Sends a message: a string as text, bytes as binary. Before open it queues (sent once open, dropped if the
   * socket never opens). Throws ERR_INVALID_STATE after close(), ERR_BUFFER_FULL with more than 16 MiB waiting,
   * a RangeError (ERR_MESSAGE_TOO_LARGE) over 64 MiB, a TypeError for other types.
   */
  send(data: string | ArrayBuffer | ArrayBufferView): void
  /**
   * Closes after the messages queued so far have gone, also while connecting (connect, send, close delivers the
   * message); while connecting with nothing queued, it gives up at once. code: 1000 (default) or 3000-4999;
   * reason: at most 123 bytes of UTF-8.
   */
  close(code?: number, reason?: string): void
  on<K extends keyof SocketEventMap>(event: K, listener: (this: Socket, ...args: SocketEventMap[K]) => void): this
  once<K extends keyof SocketEventMap>(event: K, listener: (this: Socket, ...args: SocketEventMap[K]) => void): this
  off<K extends keyof SocketEventMap>(event: K, listener: (this: Socket, ...args: SocketEventMap[K]) => void): this
}

// ---------------------------------------------------------------------------------------------------------------
// Not yet available (later versions add them)

/** node.rest: not yet available; each method throws ERR_NOT_AVAILABLE. */
export interface Rest {
  createServer(...args: unknown[]): never
  fetch(...args: unknown[]): never
}

/** node.media: not yet available; each method throws ERR_NOT_AVAILABLE. */
export interface Media {
  createTestPattern(...args: unknown[]): never
  createMediaSource(...args: unknown[]): never
}

// ---------------------------------------------------------------------------------------------------------------
// The namespace

/** Everything the package exports, as one object: the default export, and globalThis.Smoke of dist/smoke.js. */
export interface Smoke {
  readonly Node: typeof Node
  readonly PageHub: typeof PageHub
  readonly NetworkHub: typeof NetworkHub
  readonly Socket: typeof Socket
  readonly SocketServer: typeof SocketServer
}

declare const smoke: Smoke
export default smoke
