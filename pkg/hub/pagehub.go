package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"sync"

	"github.com/smokenet/smoke/pkg/hub/internal/wire"
)

// PageHub is an in-process hub: nodes in the same process (in a browser, the same page) signal each other through
// it without any network. It is the default hub of a node. Any number of nodes may share one PageHub; each calls
// Join to get its own Hub with the next address: 0.0.0.1, 0.0.0.2, … in the order they join, counting on past
// 0.0.0.255 to 0.0.1.0 like an IPv4 address. Applications should treat addresses as opaque strings all the same.
type PageHub struct {
	config     Configuration
	queueSize  int
	maxMessage int

	mu    sync.Mutex
	count uint32                   // addresses handed out so far
	nodes map[string]*pageEndpoint // by address
	names map[string]string        // hostname → address
}

// PageHubOptions configures a PageHub. The zero value (or nil) gives the defaults.
type PageHubOptions struct {
	// ICEServers handed to nodes. Default none: nodes in one page reach each other over host candidates.
	ICEServers []ICEServer
	// QueueSize is how many messages may wait for a node that is not receiving before Send fails with
	// ErrRecipientBusy. Default 1024.
	QueueSize int
	// MaxMessageSize limits Send's data, as a network hub does. Default 64 KiB.
	MaxMessageSize int
}

// NewPageHub returns an empty PageHub.
func NewPageHub(opts *PageHubOptions) *PageHub {
	var o PageHubOptions
	if opts != nil {
		o = *opts
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 1024
	}
	if o.MaxMessageSize <= 0 {
		o.MaxMessageSize = 64 << 10
	}
	return &PageHub{
		config:     Configuration{ICEServers: append([]ICEServer(nil), o.ICEServers...)},
		queueSize:  o.QueueSize,
		maxMessage: o.MaxMessageSize,
		nodes:      make(map[string]*pageEndpoint),
		names:      make(map[string]string),
	}
}

var defaultPageHub = sync.OnceValue(func() *PageHub { return NewPageHub(nil) })

// DefaultPageHub returns the process-wide PageHub that nodes use when given no hub.
func DefaultPageHub() *PageHub { return defaultPageHub() }

// Join connects a new node to the hub and returns its Hub, holding the next address.
func (h *PageHub) Join() Hub {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.count++
	n := h.count
	addr := fmt.Sprintf("%d.%d.%d.%d", byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	e := &pageEndpoint{
		hub:     h,
		address: addr,
		inbox:   make(chan Message, h.queueSize),
		closed:  make(chan struct{}),
		names:   make(map[string]struct{}),
	}
	h.nodes[addr] = e
	return e
}

// pageEndpoint is one node's Hub on a PageHub.
type pageEndpoint struct {
	hub     *PageHub
	address string
	inbox   chan Message
	closed  chan struct{}

	// names is guarded by hub.mu.
	names map[string]struct{}
}

var _ Hub = (*pageEndpoint)(nil)

func (e *pageEndpoint) errClosed() error {
	select {
	case <-e.closed:
		return fmt.Errorf("hub: %s left the page hub: %w", e.address, net.ErrClosed)
	default:
		return nil
	}
}

func (e *pageEndpoint) Address(ctx context.Context) (string, error) {
	if err := e.errClosed(); err != nil {
		return "", err
	}
	return e.address, nil
}

func (e *pageEndpoint) Configuration(ctx context.Context) (Configuration, error) {
	if err := e.errClosed(); err != nil {
		return Configuration{}, err
	}
	c := e.hub.config
	c.ICEServers = append([]ICEServer(nil), c.ICEServers...)
	return c, nil
}

func (e *pageEndpoint) Send(ctx context.Context, to string, data json.RawMessage) error {
	if err := e.errClosed(); err != nil {
		return err
	}
	if len(data) > e.hub.maxMessage {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrMessageTooLarge, len(data), e.hub.maxMessage)
	}
	if !wire.IsJSON(data) {
		return ErrInvalidData
	}
	e.hub.mu.Lock()
	dst := e.hub.nodes[to]
	e.hub.mu.Unlock()
	if dst == nil {
		return fmt.Errorf("%w: %q", ErrUnknownAddress, to)
	}
	m := Message{From: e.address, Data: append(json.RawMessage(nil), data...)}
	select {
	case <-dst.closed:
		return fmt.Errorf("%w: %q", ErrUnknownAddress, to)
	default:
	}
	select {
	case dst.inbox <- m:
		return nil
	default:
		return fmt.Errorf("%w: %q has %d messages waiting", ErrRecipientBusy, to, cap(dst.inbox))
	}
}

func (e *pageEndpoint) Receive(ctx context.Context) (Message, error) {
	// Closed wins over a full inbox, so a node that left stops handling messages at once.
	if err := e.errClosed(); err != nil {
		return Message{}, err
	}
	select {
	case m := <-e.inbox:
		return m, nil
	case <-e.closed:
		return Message{}, e.errClosed()
	case <-ctx.Done():
		return Message{}, ctx.Err()
	}
}

func (e *pageEndpoint) Register(ctx context.Context, hostname string) error {
	name, err := normalizeHostname(hostname)
	if err != nil {
		return err
	}
	h := e.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := e.errClosed(); err != nil {
		return err
	}
	switch holder, ok := h.names[name]; {
	case ok && holder == e.address:
		return nil
	case ok:
		return fmt.Errorf("%w: %q", ErrHostnameTaken, name)
	}
	if len(e.names) >= maxHostnames {
		return ErrTooManyHostnames
	}
	h.names[name] = e.address
	e.names[name] = struct{}{}
	return nil
}

func (e *pageEndpoint) Unregister(ctx context.Context, hostname string) error {
	name, err := normalizeHostname(hostname)
	if err != nil {
		return err
	}
	h := e.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := e.errClosed(); err != nil {
		return err
	}
	if _, ok := e.names[name]; !ok {
		return fmt.Errorf("%w: %q is not held by %s", ErrHostnameNotFound, name, e.address)
	}
	delete(e.names, name)
	delete(h.names, name)
	return nil
}

func (e *pageEndpoint) Lookup(ctx context.Context, hostname string) (string, error) {
	name, err := normalizeHostname(hostname)
	if err != nil {
		return "", err
	}
	if err := e.errClosed(); err != nil {
		return "", err
	}
	e.hub.mu.Lock()
	defer e.hub.mu.Unlock()
	addr, ok := e.hub.names[name]
	if !ok {
		return "", fmt.Errorf("%w: %q", ErrHostnameNotFound, name)
	}
	return addr, nil
}

func (e *pageEndpoint) Close() error {
	h := e.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	select {
	case <-e.closed:
		return nil
	default:
	}
	close(e.closed)
	delete(h.nodes, e.address)
	for name := range e.names {
		delete(h.names, name)
	}
	clear(e.names)
	return nil
}

// maxHostnames is how many hostnames one node may hold, on every hub this package provides.
const maxHostnames = 16

func normalizeHostname(name string) (string, error) {
	n, err := wire.NormalizeHostname(name)
	if err != nil {
		return "", fmt.Errorf("%w %q: %v", ErrInvalidHostname, name, err)
	}
	return n, nil
}
