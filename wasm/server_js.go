package main

import (
	"context"
	"fmt"
	"syscall/js"

	"github.com/smokenet/smoke/internal/jsx"
	"github.com/smokenet/smoke/pkg/node"
)

// binding is a port a JS node listens on: a node.Listener whose sockets go to a JavaScript callback.
type binding struct {
	id   int
	jn   *jsNode
	port int
	l    *node.Listener

	newSocket js.Value // the loader's factory: (handle) => a new Socket object
	onSocket  js.Value // the user's callback
}

// netBind(node, port, newSocket, onSocket) → binding handle. It binds the port at once and throws ERR_PORT_IN_USE
// if it is taken: Listen only takes a lock, so it is safe to call here, and doing it synchronously means that a
// connect() on the next line of the script finds the port bound.
func (r *registry) netBind(a args) (any, error) {
	jn, err := r.node(a, 0)
	if err != nil {
		return nil, err
	}
	port, newSocket, onSocket := a.int(1), a.val(2), a.val(3)
	l, err := jn.n.Listen(port)
	if err != nil {
		return nil, coded(fmt.Sprintf("cannot listen on port %d", port), err)
	}
	b := &binding{jn: jn, port: port, l: l, newSocket: newSocket, onSocket: onSocket}
	jn.mu.Lock()
	if jn.disposed {
		jn.mu.Unlock()
		l.Close()
		return nil, coded(fmt.Sprintf("cannot listen on port %d", port), errDisposed)
	}
	b.id = r.add(b)
	jn.binds[port] = b
	jn.mu.Unlock()
	go b.serve()
	return b.id, nil
}

// netUnbind(binding) → boolean: unbind the port of a server. Sockets it accepted stay open. False if it was
// unbound already.
func (r *registry) netUnbind(a args) (any, error) {
	b, ok := lookup[*binding](r, a.int(0))
	if !ok {
		return false, nil
	}
	return b.unbind(), nil
}

// netUnbindPort(node, port) → boolean: unbind whatever listens on port.
func (r *registry) netUnbindPort(a args) (any, error) {
	jn, err := r.node(a, 0)
	if err != nil {
		return nil, err
	}
	port := a.int(1)
	jn.mu.Lock()
	b := jn.binds[port]
	jn.mu.Unlock()
	if b == nil {
		return false, nil
	}
	return b.unbind(), nil
}

func (b *binding) unbind() bool {
	jn := b.jn
	jn.mu.Lock()
	mine := jn.binds[b.port] == b
	if mine {
		delete(jn.binds, b.port)
	}
	jn.mu.Unlock()
	jn.r.remove(b.id)
	// Not here: this runs inside a call from JavaScript, and Listener.Close closes the sockets still waiting in its
	// queue with a close handshake, which waits for the peer. The goroutine runs before the call returns to
	// JavaScript (Go runs every goroutine it can before it does), so the port is free by then; only such a
	// handshake may go on after.
	go b.l.Close()
	return mine
}

// serve hands each accepted socket to JavaScript until the port is unbound.
func (b *binding) serve() {
	defer guard("a server")
	for {
		s, err := b.l.Accept(context.Background())
		if err != nil {
			return // unbound, or the node was disposed
		}
		b.adopt(s)
	}
}

// adopt makes an accepted socket a JS Socket, gives it to the user's callback, and only then starts its events,
// so that listeners the callback adds see every message.
func (b *binding) adopt(s *node.Socket) {
	w := newJSSocket(b.jn)
	w.s = s
	w.state = stateOpen
	obj, err := invoke(b.newSocket, w.id)
	if err == nil {
		err = w.attach(obj, s.RemoteAddr().(node.Addr), s.LocalAddr().(node.Addr))
	}
	if err != nil {
		consoleError(fmt.Sprintf("smoke: accepting a socket on port %d:", b.port), jsx.ErrorValue(err))
		s.CloseNow()
		return
	}
	if !b.jn.track(w) {
		w.ev.Release()
		s.CloseNow()
		return
	}
	b.jn.r.put(w.id, w)
	go w.writeLoop(s)
	callback(b.onSocket, fmt.Sprintf("smoke: the connection callback of port %d", b.port), obj)
	go w.emitLoop(false)
	go w.run(s)
}
