package main

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"syscall/js"
	"time"

	"github.com/smokenet/smoke/internal/jsx"
	"github.com/smokenet/smoke/pkg/hub"
	"github.com/smokenet/smoke/pkg/node"
	"github.com/smokenet/smoke/pkg/rest/restcore"
)

const (
	// maxMessageSize is the largest socket message a JS node sends and accepts (node.Options.MaxMessageSize).
	maxMessageSize = 64 << 20
	// sendBufferLimit bounds what a socket's send() queues: messages waiting to open, or waiting for the peer's
	// flow-control credit. Chrome's own datachannel send queue is 16 MiB too.
	sendBufferLimit = 16 << 20
)

// jsNode is a node.Node as JavaScript holds it: the node, plus the sockets and port bindings the JS face made on
// it, which dispose closes.
type jsNode struct {
	r  *registry
	id int
	n  *node.Node

	// ctx ends when dispose begins, with errDisposed as its cause: the promises of the node's calls reject then.
	ctx    context.Context
	cancel context.CancelCauseFunc

	mu       sync.Mutex
	disposed bool
	done     chan struct{} // closed when dispose has finished
	sockets  map[*jsSocket]struct{}
	binds    map[int]*binding    // by port
	rt       *restcore.Transport // the node's REST transport, made by its first fetch (rest_fetch_js.go)
}

// nodeNew(kind, ...) → handle. kind is "default" (the page's default PageHub), "page" with a PageHub handle, or
// "network" with a smoke-hub URL and a token ("" for none): each such node has its own connection.
func (r *registry) nodeNew(a args) (any, error) {
	opts := &node.Options{MaxMessageSize: maxMessageSize}
	switch kind := a.str(0); kind {
	case "default":
	case "page":
		if a.val(1).Type() != js.TypeNumber {
			return nil, typeError("page hub handle must be a number, got %s", a.val(1).Type())
		}
		ph, ok := lookup[*hub.PageHub](r, a.int(1))
		if !ok {
			return nil, typeError("unknown PageHub handle %d", a.int(1))
		}
		opts.Hub = ph.Join()
	case "network":
		if a.val(1).Type() != js.TypeString {
			return nil, typeError("hub URL must be a string, got %s", a.val(1).Type())
		}
		opts.Hub = hub.NewNetworkHub(a.str(1), &hub.NetworkHubOptions{Token: a.str(2)})
	default:
		return nil, typeError("unknown hub kind %q", kind)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	jn := &jsNode{
		r:       r,
		n:       node.New(opts),
		ctx:     ctx,
		cancel:  cancel,
		done:    make(chan struct{}),
		sockets: make(map[*jsSocket]struct{}),
		binds:   make(map[int]*binding),
	}
	jn.id = r.add(jn)
	return jn.id, nil
}

// promise runs f in a goroutine and returns its Promise. f gets the node's context; when the node is disposed
// meanwhile, the promise rejects with ERR_DISPOSED whatever f returned.
func (jn *jsNode) promise(op string, f func(ctx context.Context) (any, error)) js.Value {
	return jsx.Promise(func(context.Context) (any, error) {
		v, err := f(jn.ctx)
		if err != nil {
			if jn.ctx.Err() != nil {
				err = context.Cause(jn.ctx)
			}
			return nil, coded(op, err)
		}
		return v, nil
	})
}

// nodeStarted(node) → milliseconds since the epoch when the node was created.
func (r *registry) nodeStarted(a args) (any, error) {
	jn, err := r.node(a, 0)
	if err != nil {
		return nil, err
	}
	return float64(jn.n.Stats().Started.UnixMilli()), nil
}

// nodeAddress(node) → Promise<string>: the node's address, once its hub has assigned it.
func (r *registry) nodeAddress(a args) (any, error) {
	jn, err := r.node(a, 0)
	if err != nil {
		return nil, err
	}
	return jn.promise("cannot get the node's address", func(ctx context.Context) (any, error) {
		return jn.n.Address(ctx)
	}), nil
}

// nodeDispose(node) → Promise<void>. Disposing twice is harmless; so is disposing a node already gone.
func (r *registry) nodeDispose(a args) (any, error) {
	jn, err := r.node(a, 0)
	if err != nil {
		return jsx.Promise(func(context.Context) (any, error) { return nil, nil }), nil
	}
	return jsx.Promise(func(context.Context) (any, error) {
		jn.dispose()
		return nil, nil
	}), nil
}

// dispose closes the node's sockets (1001, "node disposed"), unbinds its ports, leaves the hub and ends its
// pending calls. It returns when all that is done; a second call waits for the first.
func (jn *jsNode) dispose() {
	jn.mu.Lock()
	if jn.disposed {
		jn.mu.Unlock()
		<-jn.done
		return
	}
	jn.disposed = true
	sockets := make([]*jsSocket, 0, len(jn.sockets))
	for s := range jn.sockets {
		sockets = append(sockets, s)
	}
	binds := make([]*binding, 0, len(jn.binds))
	for _, b := range jn.binds {
		binds = append(binds, b)
	}
	clear(jn.binds)
	jn.mu.Unlock()

	ids := []int{jn.id}
	for _, b := range binds {
		ids = append(ids, b.id)
	}
	jn.r.remove(ids...)

	for _, b := range binds {
		b.l.Close()
	}
	var wg sync.WaitGroup
	for _, s := range sockets {
		wg.Go(func() { s.shutdown(node.StatusGoingAway, "node disposed") })
	}
	wg.Wait()
	jn.cancel(errDisposed)
	jn.n.Close()
	close(jn.done)
}

// track adds a socket to the node; false once the node is disposed.
func (jn *jsNode) track(s *jsSocket) bool {
	jn.mu.Lock()
	defer jn.mu.Unlock()
	if jn.disposed {
		return false
	}
	jn.sockets[s] = struct{}{}
	return true
}

func (jn *jsNode) untrack(s *jsSocket) {
	jn.mu.Lock()
	delete(jn.sockets, s)
	jn.mu.Unlock()
}

// hubConfiguration(node) → Promise<{ iceServers }>: the ICE configuration the hub hands out.
func (r *registry) hubConfiguration(a args) (any, error) {
	jn, err := r.node(a, 0)
	if err != nil {
		return nil, err
	}
	return jn.promise("cannot get the hub's configuration", func(ctx context.Context) (any, error) {
		c, err := jn.n.Hub().Configuration(ctx)
		if err != nil {
			return nil, err
		}
		servers := make([]any, 0, len(c.ICEServers))
		for _, s := range c.ICEServers {
			o := map[string]any{"urls": s.URLs}
			if s.Username != "" {
				o["username"] = s.Username
			}
			if s.Credential != "" {
				o["credential"] = s.Credential
			}
			servers = append(servers, o)
		}
		return map[string]any{"iceServers": servers}, nil
	}), nil
}

// hubRegister(node, name) → Promise<void>: lease a hostname on the hub.
func (r *registry) hubRegister(a args) (any, error) {
	return r.hostnameCall(a, "cannot register hostname", func(ctx context.Context, h hub.Hub, name string) (any, error) {
		return nil, h.Register(ctx, name)
	})
}

// hubUnregister(node, name) → Promise<void>.
func (r *registry) hubUnregister(a args) (any, error) {
	return r.hostnameCall(a, "cannot unregister hostname", func(ctx context.Context, h hub.Hub, name string) (any, error) {
		return nil, h.Unregister(ctx, name)
	})
}

// hubLookup(node, name) → Promise<string>: the address holding a hostname; rejects with ERR_HOSTNAME_NOT_FOUND.
func (r *registry) hubLookup(a args) (any, error) {
	return r.hostnameCall(a, "cannot look up hostname", func(ctx context.Context, h hub.Hub, name string) (any, error) {
		return h.Lookup(ctx, name)
	})
}

func (r *registry) hostnameCall(a args, op string, f func(context.Context, hub.Hub, string) (any, error)) (any, error) {
	jn, err := r.node(a, 0)
	if err != nil {
		return nil, err
	}
	name := a.str(1)
	return jn.promise(op+" "+strconv.Quote(name), func(ctx context.Context) (any, error) { return f(ctx, jn.n.Hub(), name) }), nil
}

// netPeers(node) → [{ address, state, since, sockets }]: the node's peer connections now.
func (r *registry) netPeers(a args) (any, error) {
	jn, err := r.node(a, 0)
	if err != nil {
		return nil, err
	}
	return peersValue(jn.n.Stats().Peers), nil
}

// netPorts(node) → [port]: the bound ports, ascending.
func (r *registry) netPorts(a args) (any, error) {
	jn, err := r.node(a, 0)
	if err != nil {
		return nil, err
	}
	ports := jn.n.Stats().Listening
	out := make([]any, len(ports))
	for i, p := range ports {
		out[i] = p
	}
	return out, nil
}

// sysNetstat(node) → Promise<NetStat>: the node's counters (node.Stats).
func (r *registry) sysNetstat(a args) (any, error) {
	jn, err := r.node(a, 0)
	if err != nil {
		return nil, err
	}
	return jn.promise("cannot list the sockets", func(context.Context) (any, error) {
		st := jn.n.Stats()
		listening := make([]any, len(st.Listening))
		for i, p := range st.Listening {
			listening[i] = p
		}
		return map[string]any{
			"started":                dateOf(st.Started),
			"uptime":                 float64(st.Uptime) / float64(time.Millisecond),
			"bytesIn":                st.BytesIn,
			"bytesOut":               st.BytesOut,
			"framesIn":               st.FramesIn,
			"framesOut":              st.FramesOut,
			"socketsOpened":          st.SocketsOpened,
			"openSockets":            st.OpenSockets,
			"listening":              listening,
			"peerConnectionsCreated": st.PeerConnectionsCreated,
			"peers":                  peersValue(st.Peers),
		}, nil
	}), nil
}

// sysStorage() → Promise<{ usage, quota }>: navigator.storage.estimate(), in bytes, for the page's origin.
func (r *registry) sysStorage(args) (any, error) {
	return jsx.Promise(func(ctx context.Context) (any, error) {
		nav, err := jsx.Get(js.Global(), "navigator")
		if err != nil {
			return nil, err
		}
		storage, err := jsx.Get(nav, "storage")
		if err != nil || storage.Type() != js.TypeObject {
			return nil, coded("cannot read the storage estimate", fmt.Errorf("%w: navigator.storage needs a secure context (https or localhost)", errUnavailable))
		}
		p, err := jsx.Call(storage, "estimate")
		if err != nil {
			return nil, coded("cannot read the storage estimate", err)
		}
		est, err := jsx.Await(ctx, p)
		if err != nil {
			return nil, coded("cannot read the storage estimate", err)
		}
		out := map[string]any{"usage": 0.0, "quota": 0.0}
		for k := range out {
			if v, err := jsx.Get(est, k); err == nil && v.Type() == js.TypeNumber {
				out[k] = v.Float()
			}
		}
		return out, nil
	}), nil
}

func peersValue(ps []node.PeerStats) []any {
	out := make([]any, len(ps))
	for i, p := range ps {
		out[i] = map[string]any{
			"address": p.Address,
			"state":   p.State,
			"since":   dateOf(p.Since),
			"sockets": p.OpenSockets,
		}
	}
	return out
}

var dateCtor = js.Global().Get("Date")

func dateOf(t time.Time) js.Value { return dateCtor.New(float64(t.UnixMilli())) }
