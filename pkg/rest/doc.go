// Package rest is HTTP-shaped request/response over Smoke sockets: a node serves an http.Handler on a port, and
// any node calls it with an http.Client whose Transport dials rest:// URLs.
//
//	srv, _ := rest.StartServer(n, 80, mux)     // serve mux on port 80 of node n
//	resp, _ := rest.NewClient(other).Get("rest://" + addr + "/hello")
//
// # How it works
//
// A request is a conversation over one node socket (one reliable, ordered datachannel): the client sends a request
// head, the request body and an end mark; the server answers with a response head, the response body and an end
// mark. A small request costs one socket message each way, head, body and end together; larger bodies stream as
// chunk messages, paced by the socket's own flow control. Sockets are kept alive and reused, one request at a time,
// like HTTP/1.1 connections: the Transport pools idle sockets per (address, port), so a run of sequential requests
// uses one socket and a burst of concurrent ones at most Transport.MaxConnsPerHost. The wire format is
// internal/wire/SPEC.md.
//
// # Cancellation
//
// Cancelling a request's context, or closing its response body before the end, closes the socket: the server
// cancels the handler's r.Context() as soon as it sees the socket go, and the socket is never reused. (A request
// that came whole is handled on the goroutine that reads its socket, which saves a hand-off per request; a handler
// that is still running a millisecond later gets a new reader goroutine, so a close reaches it then at the latest.) A client that
// disappears (its node closes, or the peer connection fails) cancels its handlers' contexts the same way.
//
// # Body kinds
//
// A response head says what its body is: bytes (the default), records, or media.
//
//   - Records are a stream of JSON values with back-pressure: NewRecordWriter writes them and may run at most a small
//     window (RecordOptions.Window, 16 by default) ahead of what the client's RecordReader has consumed; the client
//     grants more with DEMAND messages as it reads. Records travel several to a message, as many as the credit
//     allows (WriteRaw and WriteLines take batches; RecordReader.Buffered says how many came together). This is
//     what lazy database queries stream through (res.query in JavaScript; RecordReader.All with pkg/idb/query in
//     Go). Over a ResponseWriter that is not this package's (httptest, net/http), RecordWriter falls back to NDJSON
//     without demand, and RecordReader reads NDJSON from any response.
//   - Media marks a body that carries a media byte stream (SetBodyKind(w, KindMedia)); its meaning is filled in by
//     the media package. Today it travels exactly like bytes.
//
// BodyKind reports the kind of a response this package's Transport received.
//
// # Mapping to net/http
//
// A handler sees r.Method, r.URL (Path, RawQuery), r.RequestURI, r.Host (the address or hostname the client used),
// r.RemoteAddr (the client node's address), r.Header, r.Body, r.ContentLength (-1 when the client streams a body of
// unknown length) and r.Context(). Requests and responses say "HTTP/1.1" as their protocol, so handlers written for
// net/http behave the same. The ResponseWriter implements http.Flusher (Flush sends what is buffered at once) and
// defaults to status 200; Content-Type is sniffed as net/http does when the handler sets none. A response to HEAD
// carries no body. Trailers, 1xx informational responses, Hijack and upgrades are not supported. The client's
// http.Response has StatusCode, Status, Header, Body, ContentLength (-1 when streamed with no Content-Length) and
// Request; no Content-Length header is synthesised.
//
// # Limits
//
// Server.MaxHeaderBytes bounds a request head (431, then the socket closes), Server.MaxBodyBytes the request body
// (413), Server.ReadHeaderTimeout the wait for the first head on a new socket and Server.IdleTimeout the wait
// between requests. A head that does not decode gets 400 and the socket closes; any other protocol violation closes
// the socket with a close reason that says what was wrong. Nothing a peer sends can crash the server, and a
// handler's panic is recovered and logged: 500 if no head was sent yet, otherwise the response is aborted by closing
// the socket. A handler that panics with http.ErrAbortHandler aborts silently, as in net/http.
//
// # Wasm
//
// Everything here is the same in the browser: the package uses only node sockets, which run over the browser's
// RTCDataChannel there.
//
// # Package restcore
//
// The protocol itself is package restcore (pkg/rest/restcore), with request, response and header types of its own;
// this package converts to and from net/http's at the edge. Use restcore directly only to keep net/http out of a
// program: the browser's smoke.wasm does, because importing net/http links its TLS and X.509 code
// (docs/ARCHITECTURE.md, decision 15).
package rest
