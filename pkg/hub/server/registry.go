package server

import (
	"context"
	"sync"
)

// Registry holds hostname leases: which node address holds which hostname. The Server calls it for register,
// unregister and lookup requests, and to release the leases of a session that ends. Hostnames reach it already
// normalized (lowercase, valid per PROTOCOL.md).
//
// A Registry must be safe for concurrent use by many goroutines. Every method may block (a distributed backend
// does network I/O) and must give up when ctx is done, returning an error that wraps ctx.Err(). The Server calls it
// from the goroutine that reads the requesting node's connection, so a slow Registry slows only that node.
//
// The planned distributed backend is NATS JetStream KV (one key per hostname, compare-and-set on the holder); the
// in-memory one from NewMemoryRegistry serves a single hub process.
type Registry interface {
	// Claim makes address the holder of hostname. It succeeds again, changing nothing, when address already
	// holds it (so a retried claim is harmless), and fails with ErrHostnameTaken when another address holds it:
	// a lease is never stolen.
	Claim(ctx context.Context, hostname, address string) error

	// Release ends address's lease on hostname. It fails with ErrHostnameNotFound when address does not hold
	// hostname (nobody does, or another address does, whose lease stays).
	Release(ctx context.Context, hostname, address string) error

	// Lookup returns the address holding hostname, or ErrHostnameNotFound.
	Lookup(ctx context.Context, hostname string) (address string, err error)
}

// NewMemoryRegistry returns a Registry kept in this process's memory. Its methods never block and ignore ctx.
func NewMemoryRegistry() Registry {
	return &memoryRegistry{holders: make(map[string]string)}
}

type memoryRegistry struct {
	mu      sync.Mutex
	holders map[string]string // hostname -> address
}

func (r *memoryRegistry) Claim(_ context.Context, hostname, address string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if h, ok := r.holders[hostname]; ok && h != address {
		return ErrHostnameTaken
	}
	r.holders[hostname] = address
	return nil
}

func (r *memoryRegistry) Release(_ context.Context, hostname, address string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if h, ok := r.holders[hostname]; !ok || h != address {
		return ErrHostnameNotFound
	}
	delete(r.holders, hostname)
	return nil
}

func (r *memoryRegistry) Lookup(_ context.Context, hostname string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if h, ok := r.holders[hostname]; ok {
		return h, nil
	}
	return "", ErrHostnameNotFound
}
