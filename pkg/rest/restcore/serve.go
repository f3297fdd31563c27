package restcore

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/smokenet/smoke/pkg/node"
)

// serverState is a Server's bookkeeping: its listeners and sockets, and the context its handlers derive from.
type serverState struct {
	once   sync.Once
	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc

	mu        sync.Mutex
	listeners map[*node.Listener]struct{}
	conns     map[*conn]struct{}
	closed    bool          // Close or Shutdown was called
	shutdown  bool          // Shutdown was called: sockets close once idle
	connGone  chan struct{} // size 1: a socket went away (Shutdown waits on it)
}

func (s *Server) init() {
	s.state.once.Do(func() {
		s.state.ctx, s.state.cancel = context.WithCancel(context.Background())
		s.state.listeners = make(map[*node.Listener]struct{})
		s.state.conns = make(map[*conn]struct{})
		s.state.connGone = make(chan struct{}, 1)
	})
}

func (s *Server) logger() Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return discard{}
}

// discard is the Logger of a Server that has none.
type discard struct{}

func (discard) Error(string, ...any) {}
func (discard) Warn(string, ...any)  {}
func (discard) Info(string, ...any)  {}

func (s *Server) readHeaderTimeout() time.Duration {
	return positive(s.ReadHeaderTimeout, defaultReadHeaderTimeout)
}

func (s *Server) idleTimeout() time.Duration { return positive(s.IdleTimeout, defaultIdleTimeout) }

func (s *Server) maxHeaderBytes() int { return positive(s.MaxHeaderBytes, DefaultMaxHeaderBytes) }

// track adds l to the listeners Close closes; false if the server is already closed.
func (s *Server) track(l *node.Listener) bool {
	s.init()
	s.state.mu.Lock()
	defer s.state.mu.Unlock()
	if s.state.closed {
		return false
	}
	s.state.listeners[l] = struct{}{}
	return true
}

func (s *Server) isClosed() bool {
	s.state.mu.Lock()
	defer s.state.mu.Unlock()
	return s.state.closed
}

func (s *Server) serve(l *node.Listener) error {
	if s.Handler == nil {
		l.Close()
		return errors.New("rest: Server.Handler is nil")
	}
	if !s.track(l) {
		l.Close()
		return ErrServerClosed
	}
	defer func() {
		l.Close()
		s.state.mu.Lock()
		delete(s.state.listeners, l)
		s.state.mu.Unlock()
	}()
	for {
		sock, err := l.Accept(s.state.ctx)
		if err != nil {
			if s.isClosed() {
				return ErrServerClosed
			}
			return err
		}
		c := newConn(s, sock)
		if !s.addConn(c) {
			sock.CloseNow()
			return ErrServerClosed
		}
		go c.serve()
	}
}

func (s *Server) addConn(c *conn) bool {
	s.state.mu.Lock()
	defer s.state.mu.Unlock()
	if s.state.closed {
		return false
	}
	s.state.conns[c] = struct{}{}
	return true
}

func (s *Server) removeConn(c *conn) {
	s.state.mu.Lock()
	delete(s.state.conns, c)
	s.state.mu.Unlock()
	select {
	case s.state.connGone <- struct{}{}:
	default:
	}
}

// shuttingDown reports whether sockets should close as soon as they are idle.
func (s *Server) shuttingDown() bool {
	s.state.mu.Lock()
	defer s.state.mu.Unlock()
	return s.state.shutdown
}

// stop marks the server closed and returns its listeners and sockets, for Close and Shutdown to act on.
func (s *Server) stop(shutdown bool) ([]*node.Listener, []*conn) {
	s.init()
	s.state.mu.Lock()
	defer s.state.mu.Unlock()
	s.state.closed = true
	s.state.shutdown = s.state.shutdown || shutdown
	var ls []*node.Listener
	for l := range s.state.listeners {
		ls = append(ls, l)
	}
	var cs []*conn
	for c := range s.state.conns {
		cs = append(cs, c)
	}
	return ls, cs
}

func (s *Server) close() error {
	ls, cs := s.stop(false)
	s.state.cancel()
	for _, l := range ls {
		l.Close()
	}
	for _, c := range cs {
		c.closeNow()
	}
	return nil
}

func (s *Server) shutdown(ctx context.Context) error {
	ls, cs := s.stop(true)
	for _, l := range ls {
		l.Close()
	}
	for _, c := range cs {
		c.closeIfIdle()
	}
	for {
		s.state.mu.Lock()
		n := len(s.state.conns)
		s.state.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-s.state.connGone:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
