package node

import (
	"context"
	"fmt"
	"net"
	"sync"
)

// Listener is a bound port. Sockets dialled to it wait in a queue until Accept takes them.
type Listener struct {
	node *Node
	port int

	queue  chan *Socket
	closed chan struct{}
	once   sync.Once
}

// acceptBacklog is how many accepted sockets may wait for Accept; beyond it, new dials are refused (REJECT with
// StatusBusy) rather than held.
const acceptBacklog = 128

func newListener(n *Node, port int) *Listener {
	return &Listener{node: n, port: port, queue: make(chan *Socket, acceptBacklog), closed: make(chan struct{})}
}

// Port returns the bound port.
func (l *Listener) Port() int { return l.port }

// Accept waits for the next socket dialled to the port.
func (l *Listener) Accept(ctx context.Context) (*Socket, error) {
	select {
	case s := <-l.queue:
		return s, nil
	case <-l.closed:
		return nil, fmt.Errorf("node: listener on port %d: %w", l.port, net.ErrClosed)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// enqueue hands an accepted socket to Accept; false if the listener is closed or its backlog is full.
func (l *Listener) enqueue(s *Socket) bool {
	select {
	case <-l.closed:
		return false
	default:
	}
	select {
	case l.queue <- s:
		return true
	default:
		return false
	}
}

// Close unbinds the port. Sockets already accepted stay open; ones still waiting in the queue are closed at once.
// It never blocks.
func (l *Listener) Close() error {
	l.once.Do(func() {
		close(l.closed)
		l.node.ports.unbind(l)
		for {
			select {
			case s := <-l.queue:
				// CloseNow, not Close: Close waits for the peer's handshake, and Listener.Close may be called where
				// blocking is fatal (a JS callback).
				s.CloseNow()
			default:
				return
			}
		}
	})
	return nil
}
