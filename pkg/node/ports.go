package node

import (
	"fmt"
	"sort"
	"sync"
)

// ports is a node's port table: the listener bound to each port, and the sockets open on the node (whichever way
// they were dialled), so that Close can end them and Stats can count them.
type ports struct {
	mu        sync.Mutex
	closed    bool
	listeners map[int]*Listener
	sockets   map[*Socket]struct{}
}

func newPorts() *ports {
	return &ports{listeners: make(map[int]*Listener), sockets: make(map[*Socket]struct{})}
}

// bind makes the listener for port; closed is the error once the node is closed.
func (t *ports) bind(n *Node, port int, closed func() error) (*Listener, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil, closed()
	}
	if _, ok := t.listeners[port]; ok {
		return nil, fmt.Errorf("%w: %d", ErrPortInUse, port)
	}
	l := newListener(n, port)
	t.listeners[port] = l
	return l, nil
}

func (t *ports) unbind(l *Listener) {
	t.mu.Lock()
	if t.listeners[l.port] == l {
		delete(t.listeners, l.port)
	}
	t.mu.Unlock()
}

// listener returns the listener on port, or nil.
func (t *ports) listener(port int) *Listener {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.listeners[port]
}

func (t *ports) track(s *Socket) {
	t.mu.Lock()
	t.sockets[s] = struct{}{}
	t.mu.Unlock()
}

func (t *ports) untrack(s *Socket) {
	t.mu.Lock()
	delete(t.sockets, s)
	t.mu.Unlock()
}

// shut closes the table to new listeners and returns what is bound and open; the caller closes them.
func (t *ports) shut() ([]*Listener, []*Socket) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = true
	listeners := make([]*Listener, 0, len(t.listeners))
	for _, l := range t.listeners {
		listeners = append(listeners, l)
	}
	sockets := make([]*Socket, 0, len(t.sockets))
	for s := range t.sockets {
		sockets = append(sockets, s)
	}
	return listeners, sockets
}

// snapshot returns the bound ports, ascending, and how many sockets are open.
func (t *ports) snapshot() (listening []int, open int) {
	t.mu.Lock()
	for port := range t.listeners {
		listening = append(listening, port)
	}
	open = len(t.sockets)
	t.mu.Unlock()
	sort.Ints(listening)
	return listening, open
}
