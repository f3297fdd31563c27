package rest

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/smokenet/smoke/pkg/node"
	"github.com/smokenet/smoke/pkg/rest/restcore"
)

// Server serves an http.Handler on a node's port. Fill in its fields, then call Serve; do not change them after.
type Server struct {
	Handler           http.Handler  // required
	MaxHeaderBytes    int           // 0: DefaultMaxHeaderBytes; a bigger request head gets 431 and the socket closes
	MaxBodyBytes      int64         // 0: no limit; a request body over it gets 413
	ReadHeaderTimeout time.Duration // 0: 10 s; a socket that sends no head in time is closed
	IdleTimeout       time.Duration // 0: 2 min; idle kept-alive sockets are closed
	Logger            *slog.Logger  // nil: discard

	once sync.Once
	srv  *restcore.Server // the protocol's server, made from the fields above on first use
}

// StartServer listens on port of n and serves h there in a new goroutine; it returns at once (unlike net/http's
// ListenAndServe, which blocks: hence the name). Port 0 means DefaultPort. Stop the server with Close or Shutdown.
func StartServer(n *node.Node, port int, h http.Handler) (*Server, error) {
	s := &Server{Handler: h}
	if err := s.core().Start(n, port); err != nil {
		return nil, err
	}
	return s, nil
}

// Serve accepts sockets on l and serves requests on each until l is closed or the server is closed. It returns
// ErrServerClosed after Close or Shutdown, and otherwise the error that ended Accept. It closes l when it returns.
func (s *Server) Serve(l *node.Listener) error { return s.core().Serve(l) }

// Close closes the server's listeners and every socket at once, and cancels the contexts of the requests being
// handled. It does not wait for handlers to return.
func (s *Server) Close() error { return s.core().Close() }

// Shutdown stops accepting sockets, closes idle ones, and waits until every request being handled has completed
// and its socket closed, or until ctx is done (then it returns ctx.Err() and leaves the rest running; call Close to
// end them).
func (s *Server) Shutdown(ctx context.Context) error { return s.core().Shutdown(ctx) }

func (s *Server) core() *restcore.Server {
	s.once.Do(func() {
		s.srv = &restcore.Server{
			Handler:           handler{s.Handler},
			MaxHeaderBytes:    s.MaxHeaderBytes,
			MaxBodyBytes:      s.MaxBodyBytes,
			ReadHeaderTimeout: s.ReadHeaderTimeout,
			IdleTimeout:       s.IdleTimeout,
		}
		if s.Logger != nil { // a nil *slog.Logger in the interface would not be a nil Logger
			s.srv.Logger = s.Logger
		}
	})
	return s.srv
}
