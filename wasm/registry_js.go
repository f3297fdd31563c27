package main

import (
	"sync"

	"github.com/smokenet/smoke/pkg/hub"
)

// registry holds everything JavaScript refers to by handle: page hubs, nodes, port bindings, sockets, REST servers,
// exchanges (a request being answered) and bodies being read, and whatever later parts of the JS face add. Handles
// are positive integers, unique across all kinds and never reused. An entry leaves when its object ends (a node
// disposed, a socket closed, a port unbound); a handle that is no longer here means "gone", never another object.
// Each kind is looked up with lookup[T], so a handle of one kind passed where another is expected reads as gone.
//
// The lock is held only to read or change the map, never across a call into JavaScript or a wait.
type registry struct {
	mu   sync.Mutex
	next int
	objs map[int]any
}

func newRegistry() *registry {
	return &registry{objs: make(map[int]any)}
}

// newID reserves a handle, for an object that needs its handle before it is put in the registry.
func (r *registry) newID() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.next++
	return r.next
}

// add puts v in the registry under a new handle and returns it.
func (r *registry) add(v any) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.next++
	r.objs[r.next] = v
	return r.next
}

// put puts v under id, a handle from newID.
func (r *registry) put(id int, v any) {
	r.mu.Lock()
	r.objs[id] = v
	r.mu.Unlock()
}

// remove forgets the objects with the handles ids.
func (r *registry) remove(ids ...int) {
	r.mu.Lock()
	for _, id := range ids {
		delete(r.objs, id)
	}
	r.mu.Unlock()
}

// take removes the object with handle id and returns it, if it is a T.
func take[T any](r *registry, id int) (T, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.objs[id].(T)
	if ok {
		delete(r.objs, id)
	}
	return v, ok
}

// lookup returns the object with handle id, if there is one and it is a T.
func lookup[T any](r *registry, id int) (T, bool) {
	r.mu.Lock()
	v, ok := r.objs[id].(T)
	r.mu.Unlock()
	return v, ok
}

// node returns the live node with the handle in argument i.
func (r *registry) node(a args, i int) (*jsNode, error) {
	n, ok := lookup[*jsNode](r, a.int(i))
	if !ok {
		return nil, coded("", errDisposed)
	}
	return n, nil
}

// socket returns the socket with the handle in argument i, or nil once it has closed.
func (r *registry) socket(a args, i int) *jsSocket {
	s, _ := lookup[*jsSocket](r, a.int(i))
	return s
}

// pageHubNew() → handle: a new, empty PageHub that Nodes can share.
func (r *registry) pageHubNew(args) (any, error) {
	return r.add(hub.NewPageHub(nil)), nil
}
