// Types of @smokenet/smoke: the smoke-node JavaScript API, served by Go compiled to WebAssembly.
//
// Importing the package loads the wasm (top-level await), so `new Node()` works on the next line. Every method
// that waits returns a Promise and never throws; failures are Errors with a `code` (see SmokeError).

/**
 * An Error from Smoke. `code` tells failures apart without parsing messages; `message` is one plain sentence,
 * "smoke: " first, that says what failed and why. Bad arguments are TypeErrors (ERR_INVALID_ARG_TYPE) or
 * RangeErrors (ERR_INVALID_ARG_VALUE, or a more specific code); ERR_FAILED is a failure without a code of its own.
 */
export interface SmokeError extends Error {
  code:
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
    | 'ERR_HUB_IN_USE'
    | 'ERR_INVALID_URL'
    | 'ERR_INVALID_CLOSE_CODE'
    | 'ERR_INVALID_CLOSE_REASON'
    | 'ERR_CLOSED'
    | 'ERR_ABORTED'
    | 'ERR_INVALID_STATUS'
    | 'ERR_HEADERS_SENT'
    | 'ERR_INVALID_RECORD'
    | 'ERR_KEY_EXISTS'
    | 'ERR_QUOTA_EXCEEDED'
    | 'ERR_BLOCKED'
    | 'ERR_NOT_RECORDS'
    | 'ERR_REJECTED'
    | 'ERR_INVALID_ARG_TYPE'
    | 'ERR_INVALID_ARG_VALUE'
    | 'ERR_FAILED'
    | 'ERR_REDIRECT'
    | 'ERR_NOT_MEDIA'
    | 'ERR_TOO_MANY_STREAMS'
    | 'ERR_NOT_FOUND'
    | 'ERR_CHANGED'
    | 'ERR_INVALID_KEY'
    | 'ERR_OUT_OF_RANGE'
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
  /** HTTP-like REST over WebRTC: an express-like server and a fetch-shaped client. */
  readonly rest: Rest
  /** Media: test pattern, recording, broadcast and playback of byte streams. */
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
  /**
   * The RTCStatsReport of the peer connection to address (an address or hostname): frame rates, sizes and delays
   * of its media (inbound-rtp, outbound-rtp), its datachannels and its ICE candidate pair. Rejects with
   * ERR_PEER_GONE when there is no connection to it.
   */
  getStats(address: string): Promise<RTCStatsReport>
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
// REST

/** node.rest */
export interface Rest {
  /** A new REST server: add routes and middleware, then listen(port). */
  createServer(): RestServer
  /**
   * Requests url: rest://address[:port]/path?query (address: a node's address, a hostname registered on the hub,
   * or localhost; port 80 by default), or a path such as '/' for this node (rest://localhost/path). Resolves once
   * the response head has come; rejects with ERR_PORT_NOT_LISTENING, ERR_PEER_UNREACHABLE, ERR_TIMEOUT,
   * ERR_ABORTED (an AbortError, through options.signal), ERR_DISPOSED, or a TypeError for bad arguments.
   */
  fetch(url: string | URL, options?: FetchOptions): Promise<FetchResponse>
}

/** What a request body may be. A plain object or array is sent as JSON (Content-Type application/json). */
export type RestBody =
  | string
  | ArrayBuffer
  | ArrayBufferView
  | Blob
  | URLSearchParams
  | ReadableStream<Uint8Array | string>
  | { [name: string]: unknown }
  | unknown[]
  | null

/** The progress of a body: the request's (upload) or the response's (download), as it is consumed. */
export interface RestProgress {
  direction: 'upload' | 'download'
  /** Bytes so far. */
  loaded: number
  /** All the bytes: Content-Length, or the body's length; 0 when not known (lengthComputable false). */
  total: number
  lengthComputable: boolean
}

export interface FetchOptions {
  /** GET by default; any case. */
  method?: string
  headers?: HeadersInit
  /** Not with GET or HEAD. */
  body?: RestBody
  /** Aborts the request and its response body; the promise rejects with an AbortError (code ERR_ABORTED). */
  signal?: AbortSignal | null
  /** Milliseconds for the whole exchange, body included; 0 (default) for none. Rejects with ERR_TIMEOUT. */
  timeout?: number
  /** As fetch's: 'follow' (default, up to 10), 'manual' (the 3xx response itself), 'error'. */
  redirect?: 'follow' | 'manual' | 'error'
  /** Called as the request body is sent and as the response body is read. A throw is logged, not raised. */
  progress?: (progress: RestProgress) => void
}

/** The body readers of requests and responses. A body can be read once. */
export interface RestBodyReaders {
  readonly bodyUsed: boolean
  /** The body as bytes. */
  buffer(): Promise<Uint8Array>
  arrayBuffer(): Promise<ArrayBuffer>
  /** The body as UTF-8 text. */
  text(): Promise<string>
  json<T = any>(): Promise<T>
  blob(): Promise<Blob>
}

/** The response of node.rest.fetch(): shaped like fetch's Response. */
export interface FetchResponse extends RestBodyReaders {
  readonly status: number
  readonly statusText: string
  /** status is 200-299. */
  readonly ok: boolean
  /** The URL of the response, after redirects. */
  readonly url: string
  readonly redirected: boolean
  readonly type: 'basic'
  /** Case-insensitive: headers.get('content-type'). */
  readonly headers: Headers
  /** The body as a stream of chunks; null for a response without one (HEAD, 204, 304). */
  readonly body: ReadableStream<Uint8Array> | null
  /** What the server says the body is: bytes, a record stream (database queries) or media. */
  readonly kind: 'bytes' | 'records' | 'media'
  /**
   * The records of a record stream (kind 'records': res.query on the server) as a lazy Query, with the same
   * operators, applied here. Records come from the server as the query consumes them; leaving a for await early
   * ends the stream and stops the server's query. The body is read once. Throws ERR_NOT_RECORDS for other kinds.
   */
  query<T = unknown>(): Query<T>
  /**
   * The MediaStream of a media response (res.mediastream on the server). Its tracks end when the server's do (each
   * fires ended; in Firefox only a track's onended hears it), and stopping all of them stops the server sending.
   * Rejects with ERR_NOT_MEDIA for other kinds of body.
   */
  mediastream(): Promise<MediaStream>
}

/**
 * A route or middleware handler. It may be async: a rejection, like a throw, goes to next(err) (error middleware,
 * else a 500 and console.error).
 */
export type RestHandler = (req: RestRequest, res: RestResponse, next: RestNext) => unknown
/** Error middleware: a handler of four parameters, reached by next(err) or a throwing handler. */
export type RestErrorHandler = (err: unknown, req: RestRequest, res: RestResponse, next: RestNext) => unknown
/** Passes on to the next matching handler; with an error, to the next error middleware. */
export type RestNext = (err?: unknown) => void

/**
 * An express-like server: node.rest.createServer(). Paths are express's: '/users/:id' (req.params.id), '/a/:b?'
 * (optional), '*' (req.params[0]), or a RegExp; case-insensitive, a trailing slash ignored. Routes and middleware
 * run in the order they were added. A GET route also answers HEAD. No match: 404. A handler that throws or
 * rejects: error middleware, or 500 (or, once the head is sent, the response is cut), reported on console.error.
 */
export interface RestServer {
  /** The port it listens on; null before listen and after dispose. */
  readonly port: number | null
  /** A route for verb, in any case ('POST', 'post'); '*' or 'all' for any method. */
  method(verb: string, path: string | RegExp, ...handlers: RestHandler[]): this
  get(path: string | RegExp, ...handlers: RestHandler[]): this
  post(path: string | RegExp, ...handlers: RestHandler[]): this
  put(path: string | RegExp, ...handlers: RestHandler[]): this
  patch(path: string | RegExp, ...handlers: RestHandler[]): this
  delete(path: string | RegExp, ...handlers: RestHandler[]): this
  head(path: string | RegExp, ...handlers: RestHandler[]): this
  options(path: string | RegExp, ...handlers: RestHandler[]): this
  all(path: string | RegExp, ...handlers: RestHandler[]): this
  /** Middleware for every request, or for path and everything under it. Four-parameter functions handle errors. */
  use(...handlers: RestHandler[]): this
  use(path: string | RegExp, ...handlers: RestHandler[]): this
  use(...handlers: RestErrorHandler[]): this
  use(path: string | RegExp, ...handlers: RestErrorHandler[]): this
  /** Serves on port (default 80). Throws ERR_PORT_IN_USE if it is bound. */
  listen(port?: number): this
  /** Stops serving; the port is free at once and requests in progress are cut. */
  dispose(): void
  /** Same as dispose. */
  close(): void
}

/** A request as the server sees it: req. */
export interface RestRequest extends RestBodyReaders {
  /** Upper case, as sent. */
  readonly method: string
  /** Path and query, as sent: '/users/7?full=1'. */
  readonly url: string
  /** The path: '/users/7'. */
  readonly path: string
  /** The query string's parameters; a repeated one is an array. */
  readonly query: { [name: string]: string | string[] }
  /** The route's parameters: ':id' → params.id, '*' → params[0]. */
  params: { [name: string]: string }
  /** Lower-case names; repeated headers joined with ', '. */
  readonly headers: { [name: string]: string }
  /** The caller's node address. */
  readonly address: string
  readonly remoteAddress: string
  readonly remotePort: number
  /** The address or hostname the caller used. */
  readonly host: string
  /** Aborts when the caller goes away before the response has ended. */
  readonly signal: AbortSignal
  /** A header by any case of its name. */
  get(name: string): string | undefined
  header(name: string): string | undefined
  /** The body as a stream of chunks. */
  readable(): ReadableStream<Uint8Array>
}

/** res.status: call it to set the code (res.status(404).send()); it also reads as the code (+res.status). */
export interface RestStatus {
  (code: number): RestResponse
  [Symbol.toPrimitive](): number
}

/**
 * The response: res. Set status and headers, then send (or text, json, buffer), or stream with write() and end(),
 * or readable(stream). Methods that send resolve when the bytes are handed to the network and reject with
 * ERR_ABORTED if the caller has gone (they never cause unhandled rejections when not awaited).
 */
export interface RestResponse {
  /** The status code, 200 by default. */
  statusCode: number
  /** Sets the code as res.status = 404 or res.status(404); reads as a callable that converts to the code. */
  get status(): RestStatus
  set status(code: number)
  /** Headers to send; assign with any case: res.headers['Content-Type'] = 'text/html'. */
  headers: { [name: string]: string | number | string[] }
  readonly headersSent: boolean
  readonly writableEnded: boolean
  readonly finished: boolean
  /** Sets a header (replacing one of the same name in any case), or several. Throws ERR_HEADERS_SENT once sent. */
  set(name: string, value: string | number | string[]): this
  set(headers: { [name: string]: string | number | string[] }): this
  setHeader(name: string, value: string | number | string[]): this
  header(name: string, value: string | number | string[]): this
  get(name: string): string | number | string[] | undefined
  getHeader(name: string): string | number | string[] | undefined
  removeHeader(name: string): this
  /**
   * Sends the whole response: a string (text/html unless Content-Type is set), bytes (application/octet-stream),
   * a ReadableStream (streamed), or anything else as JSON.
   */
  send(body?: string | ArrayBuffer | ArrayBufferView | ReadableStream<Uint8Array | string> | unknown): Promise<void>
  /** text/plain; charset=utf-8 */
  text(text: string): Promise<void>
  /** application/json; charset=utf-8 */
  json(value: unknown): Promise<void>
  /** application/octet-stream */
  buffer(bytes: ArrayBuffer | ArrayBufferView): Promise<void>
  /** Sends the code with its number as the text. */
  sendStatus(code: number): Promise<void>
  /** 302 (or status) to url. */
  redirect(url: string): Promise<void>
  redirect(status: number, url: string): Promise<void>
  /**
   * Writes a chunk of a streamed body (the head goes first, without Content-Length unless set). Resolves when there
   * is room for more: await it to keep pace with the network. Throws ERR_INVALID_STATE after end.
   */
  write(chunk: string | ArrayBuffer | ArrayBufferView): Promise<void>
  /** Ends the response, after a last chunk if given. */
  end(chunk?: string | ArrayBuffer | ArrayBufferView): Promise<void>
  /** Streams a ReadableStream as the body, then ends. */
  readable(stream: ReadableStream<Uint8Array | string>): Promise<void>
  /** Cuts the response: the caller's body read fails. */
  abort(): void
  /**
   * Serves query (db.query(store) with any operators, or another response's query()) as a record stream: records
   * travel in batches as the client consumes them, and the query is read at most a batch or two ahead of that.
   * Resolves with true once every record is sent, or false when the client stopped reading first (take, first, a
   * break, a closed tab), which stops the query; rejects if the query failed (the response is cut).
   */
  query(query: Query<unknown>): Promise<boolean>
  /**
   * Serves stream (a camera, a test pattern, or a response.mediastream() passed on) as a media response: its tracks
   * go to the client on the peer connection the two nodes share, and the response lasts until they end or the
   * client stops watching. Resolves then; rejects if the tracks could not be sent.
   */
  mediastream(stream: MediaStream): Promise<void>
}

// ---------------------------------------------------------------------------------------------------------------
// The database

/** A database record: an object with a string key. Extend it: interface User extends Record { name: string }. */
export interface Record {
  key: string
}

/** Options of new Database(name, options). */
export interface DatabaseOptions {
  /** Durability of commits: 'relaxed' (the default: fast, a machine crash may lose the last ones), 'strict', 'default'. */
  durability?: 'relaxed' | 'strict' | 'default'
}

/**
 * A database in the page's IndexedDB. insert, update and delete are staged until commit(), which applies them all
 * in one transaction or, when it rejects, none. Stores are made on first use. A record without a string key throws
 * a TypeError (ERR_INVALID_RECORD) at once.
 */
export declare class Database {
  #private
  constructor(name: string, options?: DatabaseOptions)
  readonly name: string
  /** Deletes the database name with all its stores. */
  static drop(name: string): Promise<void>
  /** A new key: unique, and sorting in the order keys were made. */
  key(): string
  /** Stages adding record to store; the commit fails with ERR_KEY_EXISTS if its key is there. */
  insert<T extends Record>(store: string, record: T): void
  /** Stages adding record to store, or replacing the record with its key. */
  update<T extends Record>(store: string, record: T): void
  /** Stages deleting the record with key (or the record given) from store. */
  delete(store: string, keyOrRecord: string | Record): void
  /** Applies the staged operations in one transaction: all, or none (the promise rejects). */
  commit(): Promise<void>
  /** The record of store with key, or undefined. */
  get<T extends Record = Record>(store: string, key: string): Promise<T | undefined>
  exists(store: string, key: string): Promise<boolean>
  /** The number of records in store (asked of IndexedDB; none are read). */
  count(store: string): Promise<number>
  /** The keys of store, in order. */
  keys(store: string): Promise<string[]>
  /** A lazy query over the records of store, in key order, read in batches as it is consumed. */
  query<T extends Record = Record>(store: string): Query<T>
  /** Batches of records this database's queries have read from IndexedDB (a diagnostic). */
  readonly batchesRead: number
  /** Deletes store and its records. */
  drop(store: string): Promise<void>
  /** Closes the database; staged operations are dropped. */
  dispose(): Promise<void>
}

/**
 * A lazy query. Operators that return a Query read nothing; the eager ones (and for await) run it. Predicates and
 * selectors run in JavaScript over whole batches of records. take, first, any, all and elementAt stop reading as
 * soon as they know; orderBy and reverse read everything first.
 */
export interface Query<T> extends AsyncIterable<T> {
  where(predicate: (value: T) => unknown): Query<T>
  select<U>(selector: (value: T) => U): Query<U>
  selectMany<U>(selector: (value: T) => Iterable<U>): Query<U>
  orderBy(key: (value: T) => unknown): OrderedQuery<T>
  orderByDescending(key: (value: T) => unknown): OrderedQuery<T>
  reverse(): Query<T>
  distinct(selector?: (value: T) => unknown): Query<T>
  concat(other: Query<T> | T[] | Iterable<T> | AsyncIterable<T>): Query<T>
  skip(count: number): Query<T>
  take(count: number): Query<T>
  first(predicate?: (value: T) => unknown): Promise<T | undefined>
  last(predicate?: (value: T) => unknown): Promise<T | undefined>
  elementAt(index: number): Promise<T | undefined>
  aggregate<A>(func: (accumulator: A, value: T) => A, initial: A): Promise<A>
  aggregate(func: (accumulator: T, value: T) => T): Promise<T | undefined>
  all(predicate: (value: T) => unknown): Promise<boolean>
  any(predicate?: (value: T) => unknown): Promise<boolean>
  average(selector?: (value: T) => number): Promise<number | undefined>
  sum(selector?: (value: T) => number): Promise<number>
  min<U = T>(selector?: (value: T) => U): Promise<U | undefined>
  max<U = T>(selector?: (value: T) => U): Promise<U | undefined>
  count(predicate?: (value: T) => unknown): Promise<number>
  toArray(): Promise<T[]>
  /** The elements batch by batch (arrays, never empty). */
  batches(): AsyncIterableIterator<T[]>
}

/** A query sorted by orderBy or orderByDescending: thenBy and thenByDescending order what it finds equal. */
export interface OrderedQuery<T> extends Query<T> {
  thenBy(key: (value: T) => unknown): OrderedQuery<T>
  thenByDescending(key: (value: T) => unknown): OrderedQuery<T>
}

// ---------------------------------------------------------------------------------------------------------------
// The file bucket

/** What bucket.info() tells of a file. */
export interface BucketInfo {
  key: string
  /** Bytes. */
  size: number
  created: Date
  /** When the content last changed (a write or an append). */
  updated: Date
  /** The content's version: changes with every write and append, and only then (bucket.serve's strong ETag). */
  etag: string
}

/** What bucket.list() finds. */
export interface BucketList {
  /** The keys with the prefix (and, with a delimiter, without it after the prefix), in order. */
  keys: string[]
  /** With a delimiter: each distinct key prefix up to and including the delimiter after the prefix, in order. */
  prefixes: string[]
}

/** What bucket.write() and append() take. Strings are written as UTF-8; Blobs are sliced without being read. */
export type BucketData = string | ArrayBuffer | ArrayBufferView | Blob | ReadableStream<Uint8Array | string | Blob>

/** Options of bucket.serve(). */
export interface BucketServeOptions {
  /** The Content-Type (else one already set on res, else application/octet-stream). */
  type?: string
}

/**
 * A bucket of files in the page's IndexedDB. Files live in chunks of 1 MiB, so a file of any size is written and
 * read a few MiB at a time, never whole. A write replaces the content atomically: one that fails or is aborted
 * leaves the old content, and a reader never sees a mix of two (a read that races a replace fails with
 * ERR_CHANGED). A key is any non-empty string (a TypeError, ERR_INVALID_KEY, otherwise); a missing file is
 * ERR_NOT_FOUND.
 */
export declare class Bucket {
  #private
  constructor(name: string)
  readonly name: string
  /** Deletes the bucket name with all its files. */
  static drop(name: string): Promise<void>
  /** Writes data as the content of key, replacing the old content once all of it is stored. */
  write(key: string, data: BucketData): Promise<BucketInfo>
  /** Adds data to the end of key (creating it), atomically. */
  append(key: string, data: BucketData): Promise<BucketInfo>
  /** The content of key, as bytes. */
  read(key: string): Promise<Uint8Array>
  /** The content of key, as text decoded with encoding ('utf-8', ...). */
  read(key: string, encoding: string): Promise<string>
  /** The content of key as a Blob (of type, if given), made of the stored chunks without reading them. */
  readBlob(key: string, type?: string): Promise<Blob>
  /**
   * The bytes [start, end) of key (as Blob.slice: end left out, or beyond the file, means to its end), as a stream
   * of chunks of up to 1 MiB, read as it is consumed. A start beyond the end fails the stream (ERR_OUT_OF_RANGE).
   */
  readable(key: string, start?: number, end?: number): ReadableStream<Uint8Array>
  /** A stream to key: its content replaces the old one when the stream closes; abort leaves the old content. */
  writable(key: string): WritableStream<string | ArrayBuffer | ArrayBufferView | Blob>
  exists(key: string): Promise<boolean>
  /** The info of key (ERR_NOT_FOUND if there is no such file). */
  info(key: string): Promise<BucketInfo>
  /** The info of each key, undefined for those that name no file, read in one transaction. */
  info(keys: string[]): Promise<(BucketInfo | undefined)[]>
  /** The keys that start with prefix, S3-like: with a delimiter, "subdirectories" come once each in prefixes. */
  list(prefix?: string, delimiter?: string): Promise<BucketList>
  /** Deletes key; resolves whether there was such a file. */
  delete(key: string): Promise<boolean>
  /**
   * Serves key as the response to req, as express's res.sendFile: strong ETag with If-None-Match (304), Range
   * with If-Range (206, Content-Range; 416 beyond the end), HEAD, Last-Modified; a missing file is a 404. Resolves
   * once the response is sent. server.get('/f/:name', (req, res) => bucket.serve(req, res, req.params.name))
   */
  serve(req: RestRequest, res: RestResponse, key: string, options?: BucketServeOptions): Promise<void>
  /** Closes the bucket. */
  dispose(): Promise<void>
}

// ---------------------------------------------------------------------------------------------------------------
// Not yet available (later versions add them)

// ---------------------------------------------------------------------------------------------------------------
// Media

/** Options of node.media.createTestPattern(). */
export interface TestPatternOptions {
  /** Pixels; default 640. */
  width?: number
  /** Pixels; default 480. */
  height?: number
  /** Frames per second; default 30. */
  frameRate?: number
  /** An audio track with a quiet tone; default true. */
  audio?: boolean
  /** The tone's pitch in Hz; default 440. */
  frequency?: number
}

/** Options of node.media.record(). */
export interface RecordOptions {
  /**
   * What to record; default the first this browser can of video/webm;codecs=vp8,opus, …vp9,opus and video/webm
   * (without audio: video/webm;codecs=vp8, …vp9, video/webm; without video: audio/webm;codecs=opus, audio/webm).
   */
  mimeType?: string
  /** Milliseconds between chunks of bytes; default 100. */
  timeslice?: number
  /** Milliseconds between keyframes (and WebM clusters, where a broadcast's late joiner starts); default 1000. */
  keyFrameInterval?: number
  videoBitsPerSecond?: number
  audioBitsPerSecond?: number
  /** Bytes a reader may fall behind before the stream fails with ERR_BUFFER_FULL; default 16 MiB. */
  maxBuffered?: number
}

/** Options of node.media.broadcast(). */
export interface BroadcastOptions {
  /** Bytes one reader may fall behind before its stream fails with ERR_BUFFER_FULL; default 8 MiB. */
  maxBuffered?: number
}

/** One live WebM byte stream for many readers: see node.media.broadcast(). */
export interface Broadcast {
  /** A new reader: the initialisation segment, then the stream from its next cluster on. */
  join(): ReadableStream<Uint8Array>
  /** How many readers are joined now. */
  readonly readers: number
}

/** Options of node.media.createMediaSource(). */
export interface MediaSourceOptions {
  /** The element to play in; with it, the stream is read only as fast as it plays. */
  media?: HTMLMediaElement
  /** Seconds of media read ahead of playback; default 30. */
  ahead?: number
  /** Seconds kept behind playback (without media: behind the newest data, plus ahead); default 10. */
  behind?: number
}

/** node.media: test patterns, recording, broadcast and playback of byte streams (res.mediastream serves MediaStreams). */
export interface Media {
  /**
   * A MediaStream of moving colour bars with a frame counter and a clock, and a quiet tone. Drawn on a timer, so it
   * goes on in a background tab; it stops when all its tracks are stopped. The tone is Web Audio: silent until the
   * page has had a click or key press (Firefox: also on a machine with no audio output).
   */
  createTestPattern(options?: TestPatternOptions): MediaStream
  /**
   * The stream's tracks as WebM bytes (MediaRecorder). Ends when the tracks end; cancelling stops the recorder.
   * Firefox gives out nothing until the end (at times nothing at all) while a track carries no data (a test
   * pattern's tone before any user gesture): leave such a track out.
   */
  record(stream: MediaStream, options?: RecordOptions): ReadableStream<Uint8Array>
  /** One live WebM byte stream for many readers, each starting with the initialisation segment. */
  broadcast(readable: ReadableStream<Uint8Array>, options?: BroadcastOptions): Broadcast
  /**
   * Plays a byte stream through Media Source Extensions ('sequence' mode). codec: 'webm', 'mp4' or a MIME type.
   * Removes what has been played, so memory stays bounded however long the stream.
   */
  createMediaSource(readable: ReadableStream<Uint8Array>, codec: 'webm' | 'mp4' | (string & {}), options?: MediaSourceOptions): MediaSource
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
  readonly Database: typeof Database
  readonly Bucket: typeof Bucket
}

declare const smoke: Smoke
export default smoke
