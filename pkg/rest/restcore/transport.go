package restcore

import (
	"time"

	"github.com/smokenet/smoke/pkg/node"
)

// Default limits of a Transport.
const (
	defaultMaxConnsPerHost     = 64
	defaultMaxIdleConnsPerHost = 8
	// Less than a Server's default IdleTimeout, so the client usually drops an idle socket before the server does.
	defaultIdleConnTimeout = 90 * time.Second
)

// Transport is the client of rest:// URLs over a node's sockets: rest://address[:port]/path?query.
// The port defaults to 80 and an empty host means "localhost" (the node itself); a host that is not a node address
// is looked up as a hostname on the node's hub.
//
// It keeps sockets alive between requests, one request at a time per socket, and pools idle ones per (host, port).
// A Transport is safe for concurrent use; reuse one rather than making one per request.
type Transport struct {
	Node                  *node.Node    // required
	MaxConnsPerHost       int           // 0: 64 concurrent sockets per (host, port); more requests wait
	MaxIdleConnsPerHost   int           // 0: 8
	IdleConnTimeout       time.Duration // 0: 90 s; an idle socket is closed after this long
	ResponseHeaderTimeout time.Duration // 0: none (the request context governs)
	MaxHeaderBytes        int           // 0: DefaultMaxHeaderBytes; bounds a response head

	pool pool
}

// RoundTrip sends req over a pooled or new socket and returns the response once its head has arrived; the body
// streams from the socket as it is read. As http.RoundTripper does, it closes req.Body, and it does not
// modify req. Cancelling req's context closes the socket, which cancels the handler's context on the server.
func (t *Transport) RoundTrip(req *Request) (*Response, error) { return t.roundTrip(req) }

// CloseIdleConnections closes the sockets that are idle in the pool. Sockets in use are not affected.
func (t *Transport) CloseIdleConnections() { t.pool.closeIdle() }
