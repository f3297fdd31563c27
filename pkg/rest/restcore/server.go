package restcore

import (
	"context"
	"time"

	"github.com/smokenet/smoke/pkg/node"
)

// DefaultPort is the port rest:// URLs without one use, and StartServer's when given 0.
const DefaultPort = 80

// DefaultMaxHeaderBytes bounds an encoded request or response head when the Server's or Transport's MaxHeaderBytes
// is 0.
const DefaultMaxHeaderBytes = 64 << 10

// Default timeouts of a Server.
const (
	defaultReadHeaderTimeout = 10 * time.Second
	defaultIdleTimeout       = 2 * time.Minute
)

// Logger is what a Server logs to: a *slog.Logger is one. It is an interface so that this package need not import
// log/slog, which would add a tenth of a megabyte to smoke.wasm, where nothing reads the log.
type Logger interface {
	Error(msg string, args ...any)
	Warn(msg string, args ...any)
	Info(msg string, args ...any)
}

// Server serves a Handler on a node's port. Fill in its fields, then call Serve; do not change them after.
type Server struct {
	Handler           Handler       // required
	MaxHeaderBytes    int           // 0: DefaultMaxHeaderBytes; a bigger request head gets 431 and the socket closes
	MaxBodyBytes      int64         // 0: no limit; a request body over it gets 413
	ReadHeaderTimeout time.Duration // 0: 10 s; a socket that sends no head in time is closed
	IdleTimeout       time.Duration // 0: 2 min; idle kept-alive sockets are closed
	Logger            Logger        // nil: discard

	state serverState
}

// StartServer listens on port of n and serves h there in a new goroutine; it returns at once. Port 0 means
// DefaultPort. Stop the server with Close or Shutdown.
func StartServer(n *node.Node, port int, h Handler) (*Server, error) {
	s := &Server{Handler: h}
	if err := s.Start(n, port); err != nil {
		return nil, err
	}
	return s, nil
}

// Start listens on port of n and serves there in a new goroutine; it returns at once. Port 0 means DefaultPort.
func (s *Server) Start(n *node.Node, port int) error {
	if port == 0 {
		port = DefaultPort
	}
	l, err := n.Listen(port)
	if err != nil {
		return err
	}
	s.track(l)
	go s.Serve(l)
	return nil
}

// Serve accepts sockets on l and serves requests on each until l is closed or the server is closed. It returns
// ErrServerClosed after Close or Shutdown, and otherwise the error that ended Accept. It closes l when it returns.
func (s *Server) Serve(l *node.Listener) error { return s.serve(l) }

// Close closes the server's listeners and every socket at once, and cancels the contexts of the requests being
// handled. It does not wait for handlers to return.
func (s *Server) Close() error { return s.close() }

// Shutdown stops accepting sockets, closes idle ones, and waits until every request being handled has completed
// and its socket closed, or until ctx is done (then it returns ctx.Err() and leaves the rest running; call Close to
// end them).
func (s *Server) Shutdown(ctx context.Context) error { return s.shutdown(ctx) }
