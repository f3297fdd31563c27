// Command wasm is the JavaScript face of Smoke: built with GOOS=js GOARCH=wasm into npm/dist/smoke.wasm, it gives
// the npm package (npm/) the Go-backed half of the original smoke README's JavaScript API.
//
//	GOOS=js GOARCH=wasm go build -o npm/dist/smoke.wasm ./wasm   (make npm does this, and the rest of the package)
//
// # Split between Go and JavaScript
//
// The public classes (Node, PageHub, NetworkHub, the socket server, Socket; REST's in npm/src/rest.js; Database and
// Query in npm/src/db.js) are thin JavaScript classes in npm/src/core.js and beside it. They hold integer handles and
// call a small table of Go functions, the "native" object, that this program hands to the loader once. Each native
// function is declared once, in natives_js.go: its name, its parameters with their kinds, and the method that
// implements it; calls are checked against the declaration before the method runs, and TestNatives checks the
// JavaScript's calls against it. Every handle, of any kind, lives in one registry (registry_js.go). Doing the classes
// in JavaScript gives real classes (new, instanceof, private fields, getters) that index.d.ts describes one to one, and
// a fixed set of Go functions that live as long as the page: nothing per object, so no js.Func can leak. Everything
// that touches the network or waits lives here, in Go.
//
// Hand-off: the loader puts a one-shot function on globalThis under a random name and passes that name as os.Args[1].
// main deletes the property and calls the function with the native object, then parks; the loader turns the native
// object into the namespace { Node, PageHub, NetworkHub, Socket, SocketServer, Database, Bucket }. No other global
// is made by Smoke (Go's wasm_exec.js defines its own: Go, and fs, process and path where the page has none).
//
// # Rules kept here (docs/ARCHITECTURE.md, decision 6)
//
//   - A native function never blocks: one that waits returns a Promise (jsx.Promise) and does its work in a
//     goroutine. Node.Listen, which only takes a lock, is called synchronously so that listen() can throw
//     "port in use" at once and a connect() on the next line finds the port bound.
//   - User callbacks (server connection handlers, socket listeners) are called through jsx.CallbackSafe and
//     jsx.Events: a throwing handler is reported on console.error and the node goes on.
//   - Errors reaching JavaScript are real Errors with the Go text and a code property (ERR_PORT_IN_USE,
//     ERR_PORT_NOT_LISTENING, ...; see errors_js.go); bad arguments are TypeErrors or RangeErrors.
//
// # Sockets
//
// node.sockets.connect(address, port) returns a Socket at once; the dial runs in a goroutine. Events are emitted
// by one goroutine per socket, in order (open, message..., error?, close last and exactly once), and the first one
// waits for a microtask, so listeners attached right after connect() never miss open. A socket accepted by a server
// is open when the server's callback gets it; its message events start after that callback has returned.
//
// send() before open queues: messages wait, in order, until the socket opens, and are dropped (the socket emits
// error and close) if it never does. The queue is bounded at 16 MiB of waiting messages (bufferedAmount); a send
// beyond it throws ERR_BUFFER_FULL, except that one message of any size up to the maximum (64 MiB) is accepted into
// an empty queue. send() after close() throws ERR_INVALID_STATE. close(code, reason) goes behind the messages
// queued so far, then closes with the handshake, also when called while connecting (connect, send, close in
// one go delivers the message); only a close while connecting with nothing queued abandons the dial at once. The
// close event carries { code, reason, wasClean }.
//
// Node.dispose() closes every open socket with 1001 "node disposed" (queued messages are dropped), unbinds every
// port, leaves the hub, and rejects the node's pending promises with ERR_DISPOSED.
//
// # REST
//
// node.rest.createServer() is an express-like router written in JavaScript (npm/src/rest.js); listen(port) binds
// the port synchronously (ERR_PORT_IN_USE at once, as for sockets) and serves a pkg/rest Server whose
// http.Handler (rest_js.go) hands each request to the router: one call into JavaScript per request, from the
// handler's goroutine, with the head packed into one string (method, url, remote address, headers, joined by NUL;
// an array when a part holds a NUL) and a body handle: each JS object or string that crosses costs, so a head
// crosses once. The handler goroutine then owns the ResponseWriter and writes what the response's native calls
// queue (restRespond: head, chunk, end; restAbort), until the end, an abort, or the client's going; then it calls
// the server's done(exchange, how, err) once, which settles res.end() and, if the client went, aborts req.signal.
// No Go function is made per request: where JavaScript waits (room to write, a body chunk), it passes resolve and
// reject, which Go calls from a goroutine; a fetch passes one done callback, called with the packed response head.
//
// Semantics, express's where cheap: routes and use() middleware run in order; next() goes on, next(err) to error
// middleware (four parameters) or a 500; a handler that throws or rejects is a 500 when the head is not sent yet and
// a cut response (pkg/rest closes the socket; the client's body read fails) when it is, reported on console.error;
// no match is 404; a GET route answers HEAD. res.status is a function that reads as its code, so res.status = 404
// and res.status(404).send() both work (res.statusCode is the plain number). send() of a string is text/html, of
// bytes application/octet-stream, of anything else JSON, with Content-Length; write() streams without one and
// resolves when there is room (1 MiB queued for the handler goroutine at most, then until 256 KiB).
//
// node.rest.fetch(url, options) resolves relative paths against rest://localhost/, runs the node's one
// rest.Transport (sockets pooled across fetches) in a goroutine, and resolves with a fetch-shaped response: status,
// statusText, ok, url, redirected, Headers, body (a ReadableStream), text/json/arrayBuffer/buffer/blob. options:
// method, headers, body (string, bytes, Blob, URLSearchParams, ReadableStream, or a plain object as JSON), signal
// (ERR_ABORTED, an AbortError; cancels the request context, also while the body is read), timeout (ERR_TIMEOUT),
// redirect ('follow' up to 20, as browsers do, 'manual', 'error'), progress ({ direction, loaded, total, lengthComputable } as the
// request body is taken and the response body read). Node.dispose() ends the node's REST servers with its ports and
// rejects its pending fetches and body reads with ERR_DISPOSED.
//
// Bodies: each byte crosses between JavaScript and Go once. A body JavaScript reads (a response body, a request
// body on the server) is read ahead by one goroutine into at most 1 MiB; bodyRead hands over everything buffered as
// one Uint8Array, at once when there is some. A response body of known length up to 64 KiB (pkg/rest sends it in the
// head's message) is read before the head is handed over and comes with it. A request body is bytes (copied once)
// or, from a ReadableStream, a pull source that Go reads chunk by chunk straight into the Transport's buffer. So a
// 16 MiB body streams and is never held whole in Go, except that res.send(bytes) and a byte request body are
// copied into Go whole, once. A response dropped unread has its body cancelled when it is garbage collected.
//
// A fetched response says its body's kind ('bytes', 'records', 'media'). res.query(query) serves a query as
// pkg/rest's record stream (restRecords): JavaScript reads the query's batches and hands each to the handler
// goroutine as one string (JSON records joined by newlines), which a rest.RecordWriter sends several records to a
// message, as the client's demand allows (a window of 2048 records); JavaScript may queue one batch beyond the one
// being written, so the query is read at most about a window and two batches ahead of the client. A client that
// stops (the stream closes) ends the handler, res.query resolves false, and the query is no longer read.
// response.query() reads a record stream (recordsRead, rest_records_js.go): each read takes the next record and
// those that came in the same message, as one string, parsed in JavaScript as one array; leaving the for await
// closes the stream; read as bytes instead (text(), body), a record stream is NDJSON. mediastream() on either side
// throws or rejects with ERR_NOT_AVAILABLE until media exists.
//
// # Database
//
// new Database(name) (npm/src/db.js) opens a pkg/idb Database in the background; every method waits for it. insert,
// update and delete check the record's key at once (a TypeError, ERR_INVALID_RECORD) and stage it in JavaScript;
// commit() hands everything staged to Go in one call (dbCommit), as Maps from key to record (the records
// themselves), which Go writes in one transaction with one Map.forEach(store.put, store) each: all or, rejecting,
// nothing. db.query(store) is a lazy Query written in JavaScript:
// it reads the store in batches (dbBatch, one short transaction each, 64 records doubling to 1024), which cross as
// the arrays IndexedDB made, and runs every predicate, key and projection in JavaScript over whole batches. A batch
// is read only when the query is consumed that far (from the third batch on, one batch ahead, so that IndexedDB reads
// the next while the query works on this one), so take, first, any, all and elementAt stop early; count()
// straight on a store asks IndexedDB.
//
// # Bucket
//
// new Bucket(name) (npm/src/bucket.js) is pkg/idb/bucket's file store. The bytes stay in JavaScript: a write is cut
// into Blobs of 1 MiB there (a Blob to write is sliced, unread) and handed to Go four at a time (bucketPut, one
// transaction each), which stores them as they are; a read asks Go for a plan (bucketPlan: the chunk parts of a
// byte range) and then for the chunks (bucketChunks), the Blobs IndexedDB made, and reads only the bytes asked for.
// Go owns the layout and the atomic commit (bucketCommit). bucket.serve(req, res, key) answers a REST request with
// the public res API only: ETag and If-None-Match (304), Range and If-Range (206, 416), HEAD.
//
// # Hubs
//
// new PageHub() is one in-page hub that any number of Nodes may share: each Node joins it and gets the next
// address. new NetworkHub(url) only holds settings: every Node given it opens its own connection to the smoke-hub
// at url and gets its own address, as every node on a network hub must. A Node with no hub joins the page's
// default PageHub. Custom hubs written in JavaScript are not supported yet.
package main
