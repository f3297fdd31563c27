package main

import (
	"sync"
	"syscall/js"

	"github.com/smokenet/smoke/pkg/hub"
)

// registry holds what JavaScript refers to by handle: page hubs, nodes, port bindings and sockets. Handles are
// positive integers, never reused. An entry leaves when its object ends (a node disposed, a socket closed, a
// port unbound); a handle that is no longer here means "gone", never another object.
//
// The lock is held only to read or change the maps, never across a call into JavaScript or a wait.
type registry struct {
	mu       sync.Mutex
	next     int
	pageHubs map[int]*hub.PageHub
	nodes    map[int]*jsNode
	binds    map[int]*binding
	sockets  map[int]*jsSocket
}

func newRegistry() *registry {
	return &registry{
		pageHubs: make(map[int]*hub.PageHub),
		nodes:    make(map[int]*jsNode),
		binds:    make(map[int]*binding),
		sockets:  make(map[int]*jsSocket),
	}
}

func (r *registry) newID() int {
	r.next++
	return r.next
}

// node returns the live node with the handle in args[0].
func (r *registry) node(args []js.Value) (*jsNode, error) {
	id, err := intArg(args, 0, "node handle")
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	n := r.nodes[id]
	r.mu.Unlock()
	if n == nil {
		return nil, coded("", errDisposed)
	}
	return n, nil
}

// socket returns the socket with the handle in args[0], or nil once it has closed.
func (r *registry) socket(args []js.Value) (*jsSocket, error) {
	id, err := intArg(args, 0, "socket handle")
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sockets[id], nil
}

// pageHubNew() → handle: a new, empty PageHub that Nodes can share.
func (r *registry) pageHubNew(args []js.Value) (any, error) {
	h := hub.NewPageHub(nil)
	r.mu.Lock()
	defer r.mu.Unlock()
	id := r.newID()
	r.pageHubs[id] = h
	return id, nil
}
