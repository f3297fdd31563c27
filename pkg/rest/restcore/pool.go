package restcore

import (
	"context"
	"slices"
	"sync"
	"time"
)

// pool holds a Transport's sockets per (host, port): how many are open, the idle ones, and the requests waiting for
// one when MaxConnsPerHost are busy.
type pool struct {
	mu    sync.Mutex
	hosts map[hostKey]*hostConns
}

type hostConns struct {
	open    int           // dialling, in use or idle
	idle    []*clientConn // most recently used last
	waiters []chan *clientConn
}

// A waiter receives an idle socket, or nil: a slot to dial a new one in (counted in open already).

func (p *pool) host(key hostKey) *hostConns {
	if p.hosts == nil {
		p.hosts = make(map[hostKey]*hostConns)
	}
	h := p.hosts[key]
	if h == nil {
		h = &hostConns{}
		p.hosts[key] = h
	}
	return h
}

// get returns an idle socket to address:port, or dials one, or waits for one of the two to be possible.
func (p *pool) get(ctx context.Context, t *Transport, key hostKey) (*clientConn, error) {
	p.mu.Lock()
	h := p.host(key)
	if n := len(h.idle); n > 0 {
		pc := h.idle[n-1]
		h.idle = h.idle[:n-1]
		p.mu.Unlock()
		pc.idleTimer.Stop() // if it fired meanwhile, its callback finds pc no longer idle and does nothing
		pc.reused = true
		return pc, nil
	}
	if h.open < t.maxConnsPerHost() {
		h.open++
		p.mu.Unlock()
		return p.dial(ctx, t, key)
	}
	w := make(chan *clientConn, 1)
	h.waiters = append(h.waiters, w)
	p.mu.Unlock()

	select {
	case pc := <-w:
		if pc == nil {
			return p.dial(ctx, t, key)
		}
		pc.reused = true
		return pc, nil
	case <-ctx.Done():
		p.mu.Lock()
		i := slices.Index(h.waiters, w)
		if i >= 0 {
			h.waiters = slices.Delete(h.waiters, i, i+1)
		}
		p.mu.Unlock()
		if i < 0 { // handed something just now: pass it on
			if pc := <-w; pc != nil {
				p.put(pc)
			} else {
				p.release(key)
			}
		}
		return nil, ctx.Err()
	}
}

func (p *pool) dial(ctx context.Context, t *Transport, key hostKey) (*clientConn, error) {
	sock, err := t.Node.Dial(ctx, key.address, key.port)
	if err != nil {
		p.release(key)
		return nil, err
	}
	return &clientConn{t: t, key: key, sock: sock}, nil
}

// put returns a healthy socket, whose last exchange completed, for reuse.
func (p *pool) put(pc *clientConn) {
	t := pc.t
	p.mu.Lock()
	h := p.host(pc.key)
	if len(h.waiters) > 0 {
		w := h.waiters[0]
		h.waiters = h.waiters[1:]
		p.mu.Unlock()
		w <- pc
		return
	}
	if len(h.idle) >= t.maxIdleConnsPerHost() {
		h.open--
		p.mu.Unlock()
		pc.closeGracefully()
		return
	}
	h.idle = append(h.idle, pc)
	if pc.idleTimer == nil {
		pc.idleTimer = time.AfterFunc(t.idleConnTimeout(), func() { p.expire(pc) })
	} else {
		pc.idleTimer.Reset(t.idleConnTimeout())
	}
	p.mu.Unlock()
}

// expire closes pc if it is still idle.
func (p *pool) expire(pc *clientConn) {
	p.mu.Lock()
	h := p.host(pc.key)
	i := slices.Index(h.idle, pc)
	if i < 0 {
		p.mu.Unlock()
		return
	}
	h.idle = slices.Delete(h.idle, i, i+1)
	p.mu.Unlock()
	p.release(pc.key)
	pc.closeGracefully()
}

// release gives up the slot of a socket that closed (or was never opened): a waiter may dial in its place.
func (p *pool) release(key hostKey) {
	p.mu.Lock()
	h := p.host(key)
	if len(h.waiters) > 0 {
		w := h.waiters[0]
		h.waiters = h.waiters[1:]
		p.mu.Unlock()
		w <- nil
		return
	}
	h.open--
	if h.open == 0 && len(h.idle) == 0 {
		delete(p.hosts, key)
	}
	p.mu.Unlock()
}

func (p *pool) closeIdle() {
	p.mu.Lock()
	var idle []*clientConn
	for _, h := range p.hosts {
		for _, pc := range h.idle {
			pc.idleTimer.Stop()
			idle = append(idle, pc)
		}
		h.open -= len(h.idle)
		h.idle = nil
	}
	p.mu.Unlock()
	for _, pc := range idle {
		pc.closeGracefully()
	}
}

func (t *Transport) maxConnsPerHost() int { return positive(t.MaxConnsPerHost, defaultMaxConnsPerHost) }

func (t *Transport) maxIdleConnsPerHost() int {
	return positive(t.MaxIdleConnsPerHost, defaultMaxIdleConnsPerHost)
}

func (t *Transport) idleConnTimeout() time.Duration {
	return positive(t.IdleConnTimeout, defaultIdleConnTimeout)
}

func (t *Transport) maxHeaderBytes() int { return positive(t.MaxHeaderBytes, DefaultMaxHeaderBytes) }
