package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/smokenet/smoke/pkg/hub/internal/wire"
	"github.com/smokenet/smoke/pkg/hub/internal/ws"
)

// NetworkHub is a Hub reached over the network: a WebSocket connection to a smoke-hub server (see PROTOCOL.md).
// The same code runs natively and in the browser.
//
// NewNetworkHub returns at once and connects in the background; Address waits for the first binding. When the
// connection drops, the hub reconnects with exponential backoff and presents its resume token, so within the
// server's grace period (30 s by default) the node gets its same address and hostnames back, and messages sent to
// it meanwhile are delivered. After a longer outage the server binds a new address; the hub then registers its
// hostnames again under the new address.
//
// Before the first connection, calls wait for it (bounded by their context). While disconnected later, Send,
// Register, Unregister and Lookup fail fast with ErrDisconnected instead of queueing
// (signalling goes stale quickly, and a queued message might leave from a new address). Requests in flight when
// the connection drops fail the same way.
type NetworkHub struct {
	urls []string     // the URL given, then NetworkHubOptions.URLs
	cur  atomic.Int32 // index in urls of the server to connect to next
	opts NetworkHubOptions

	// ctx lives as long as the hub: Close cancels it, which ends the connection loop.
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{} // closed when the connection loop has exited

	inbox  chan Message
	nextID atomic.Uint64

	mu       sync.Mutex
	conn     *hubConn        // nil while disconnected
	binding  *wire.Message   // the latest binding; nil before the first
	bound    chan struct{}   // closed at the first binding
	lastErr  error           // why the latest connection attempt or connection failed
	names    map[string]bool // hostnames this node holds (to register again after a new binding)
	closeErr error           // set by Close
}

// NetworkHubOptions configures a NetworkHub. Nil means the defaults.
type NetworkHubOptions struct {
	// Token is the server's shared secret, if it has one.
	Token string
	// MinBackoff and MaxBackoff bound the wait between reconnection attempts, which doubles from MinBackoff up to
	// MaxBackoff with ±20% jitter. Defaults 100 ms and 5 s.
	MinBackoff, MaxBackoff time.Duration
	// URLs are more servers of the same cluster of hubs (smoke-hub --nats): when the server in use cannot be
	// reached, the hub tries the next, and resumes its session there (same address and hostnames). One URL behind
	// a load balancer works as well.
	URLs []string
	// InboxSize is how many received messages may wait for Receive before the hub stops reading from the server
	// (backpressure: the server then queues, and beyond its bound reports the recipient busy). Default 1024.
	InboxSize int
}

// hubConn is one live WebSocket connection and the requests waiting for replies on it.
type hubConn struct {
	ws      *ws.Conn
	gone    chan struct{} // closed when this connection has ended
	maxSize int

	mu      sync.Mutex
	pending map[uint64]chan wire.Message
}

// NewNetworkHub returns a hub client for the server at rawURL (ws:// or wss://) and starts connecting. A URL it
// cannot connect to (no scheme, another scheme, no host) makes every call fail at once with ErrInvalidURL.
func NewNetworkHub(rawURL string, opts *NetworkHubOptions) *NetworkHub {
	var o NetworkHubOptions
	if opts != nil {
		o = *opts
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = 100 * time.Millisecond
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(5*time.Second, o.MinBackoff)
	}
	if o.InboxSize <= 0 {
		o.InboxSize = 1024
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &NetworkHub{
		urls:   append([]string{rawURL}, o.URLs...),
		opts:   o,
		ctx:    ctx,
		cancel: cancel,
		done:   make(chan struct{}),
		inbox:  make(chan Message, o.InboxSize),
		bound:  make(chan struct{}),
		names:  make(map[string]bool),
	}
	for _, u := range h.urls {
		if err := checkURL(u); err != nil {
			// Bad configuration fails at once, from every call, rather than after retries.
			h.closeErr = err
			cancel()
			close(h.done)
			return h
		}
	}
	go h.loop()
	return h
}

// checkURL accepts what ws.Dial can connect to: ws and wss, or http and https for the same.
func checkURL(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("%w %q: %v", ErrInvalidURL, rawURL, err)
	}
	switch u.Scheme {
	case "ws", "wss", "http", "https":
	default:
		return fmt.Errorf("%w %q: want ws://host[:port][/path] or wss://… (scheme %q)", ErrInvalidURL, rawURL, u.Scheme)
	}
	if u.Host == "" {
		return fmt.Errorf("%w %q: no host", ErrInvalidURL, rawURL)
	}
	return nil
}

var _ Hub = (*NetworkHub)(nil)

// URL returns the server URL the hub connects to.
func (h *NetworkHub) URL() string { return h.urls[h.cur.Load()] }

// Connected reports whether the hub has a live connection to its server right now.
func (h *NetworkHub) Connected() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.conn != nil
}

// loop connects, serves the connection until it ends, and reconnects, until Close.
func (h *NetworkHub) loop() {
	defer close(h.done)
	backoff := h.opts.MinBackoff
	for {
		c, err := h.connect()
		if err == nil {
			backoff = h.opts.MinBackoff
			err = h.serve(c)
		} else if n := int32(len(h.urls)); n > 1 {
			// That server is down or refuses: the next of the cluster, at once the first time round.
			if next := (h.cur.Load() + 1) % n; next != 0 {
				h.cur.Store(next)
				if h.ctx.Err() == nil {
					continue
				}
			} else {
				h.cur.Store(0)
			}
		}
		if h.ctx.Err() != nil {
			return
		}
		h.mu.Lock()
		h.lastErr = err
		h.mu.Unlock()

		// ±20% jitter spreads the reconnects of many nodes after a hub restart.
		wait := time.Duration(float64(backoff) * (0.8 + 0.4*rand.Float64()))
		backoff = min(2*backoff, h.opts.MaxBackoff)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-h.ctx.Done():
			t.Stop()
			return
		}
	}
}

// connect dials the server and reads the binding.
func (h *NetworkHub) connect() (*hubConn, error) {
	hubURL := h.URL()
	u, err := url.Parse(hubURL)
	if err != nil {
		return nil, fmt.Errorf("hub: bad URL %q: %w", hubURL, err)
	}
	q := u.Query()
	q.Set("v", strconv.Itoa(wire.Version))
	h.mu.Lock()
	if h.binding != nil {
		q.Set("resume", h.binding.Resume)
	}
	h.mu.Unlock()
	if h.opts.Token != "" {
		q.Set("token", h.opts.Token)
	}
	u.RawQuery = q.Encode()

	// Dialling and the binding share one deadline, so a server that accepts but never binds cannot hold us.
	ctx, cancel := context.WithTimeout(h.ctx, 15*time.Second)
	defer cancel()
	conn, err := ws.Dial(ctx, u.String())
	if err != nil {
		return nil, fmt.Errorf("hub: connecting to %s: %w", hubURL, err)
	}
	// Until the binding tells us the limit, accept the protocol's default with room for the envelope.
	conn.SetReadLimit(2 * (64 << 10))
	typ, b, err := conn.Read(ctx)
	if err != nil {
		conn.CloseNow()
		return nil, fmt.Errorf("hub: waiting for binding from %s: %w", hubURL, closeErr(err))
	}
	m, err := wire.Decode(b, wire.FromServer)
	if err == nil && (typ != ws.MessageText || m.Type != wire.TypeBinding) {
		err = fmt.Errorf("hub: expected a binding, got %q", m.Type)
	}
	if err != nil {
		conn.Close(ws.StatusPolicyViolation, "expected binding")
		return nil, err
	}
	maxSize := 64 << 10
	if m.MaxMessageSize > 0 {
		maxSize = m.MaxMessageSize
	}
	// Forwards carry from instead of to; allow twice the limit so a legal message is never refused.
	conn.SetReadLimit(int64(2 * maxSize))
	c := &hubConn{ws: conn, gone: make(chan struct{}), maxSize: maxSize, pending: make(map[uint64]chan wire.Message)}

	h.mu.Lock()
	if h.closeErr != nil {
		// Close ran while we were connecting: leave properly so the server releases the session at once.
		h.mu.Unlock()
		conn.Close(ws.StatusNormalClosure, "node closed")
		return nil, h.closeErr
	}
	rebound := h.binding != nil && !m.Resumed && h.binding.Address != m.Address
	h.binding = &m
	h.conn = c
	h.lastErr = nil
	select {
	case <-h.bound:
	default:
		close(h.bound)
	}
	var names []string
	if rebound {
		for n := range h.names {
			names = append(names, n)
		}
	}
	h.mu.Unlock()
	if len(names) > 0 {
		go h.reregister(c, names)
	}
	return c, nil
}

// reregister claims hostnames again after the server bound a new address. A name someone else took meanwhile is
// dropped from this hub's set.
func (h *NetworkHub) reregister(c *hubConn, names []string) {
	for _, n := range names {
		_, err := h.request(h.ctx, c, wire.Message{Type: wire.TypeRegister, Hostname: n})
		if errors.Is(err, ErrHostnameTaken) {
			h.mu.Lock()
			delete(h.names, n)
			h.mu.Unlock()
		}
	}
}

// serve reads messages until the connection ends.
func (h *NetworkHub) serve(c *hubConn) error {
	defer func() {
		h.mu.Lock()
		if h.conn == c {
			h.conn = nil
		}
		h.mu.Unlock()
		close(c.gone)
		c.ws.CloseNow()
	}()
	for {
		typ, b, err := c.ws.Read(h.ctx)
		if err != nil {
			return fmt.Errorf("hub: connection to %s lost: %w", h.URL(), closeErr(err))
		}
		if typ != ws.MessageText {
			c.ws.Close(ws.StatusPolicyViolation, "binary message")
			return errors.New("hub: server sent a binary message")
		}
		m, err := wire.Decode(b, wire.FromServer)
		if err != nil {
			code := ws.StatusPolicyViolation
			if _, ok := err.(*wire.SyntaxError); ok {
				code = ws.StatusInvalidFramePayloadData
			}
			c.ws.Close(code, "malformed message")
			return err
		}
		switch m.Type {
		case wire.TypeForward:
			if err := h.deliver(Message{From: m.From, Data: m.Data}); err != nil {
				return err
			}
		case wire.TypeUndeliverable:
			cause := ErrUnknownAddress
			if m.Reason == "recipient busy" {
				cause = ErrRecipientBusy
			}
			err := fmt.Errorf("%w: %q", cause, m.To) // the reason is what the sentinel says, unless it is new
			if m.Reason != "unknown address" && m.Reason != "recipient busy" && m.Reason != "" {
				err = fmt.Errorf("%w: %q (%s)", cause, m.To, m.Reason)
			}
			if err := h.deliver(Message{From: m.To, Err: err}); err != nil {
				return err
			}
		case wire.TypeResult, wire.TypeError:
			c.mu.Lock()
			ch := c.pending[m.ID]
			delete(c.pending, m.ID)
			c.mu.Unlock()
			if ch != nil {
				ch <- m // size 1, one send per id
			}
		case wire.TypeBinding:
			// A server binds once per connection; a second binding is ignored rather than trusted.
		}
	}
}

// deliver queues a message for Receive, waiting while the inbox is full so the server sees backpressure.
func (h *NetworkHub) deliver(m Message) error {
	select {
	case h.inbox <- m:
		return nil
	case <-h.ctx.Done():
		return h.ctx.Err()
	}
}

// current returns the live connection. Before the first binding it waits for it (a node that registers a
// hostname right after creating its hub should not fail); after that, a lost connection fails fast.
func (h *NetworkHub) current(ctx context.Context) (*hubConn, error) {
	if _, err := h.waitBinding(ctx); err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closeErr != nil {
		return nil, h.closeErr
	}
	if h.conn == nil {
		if h.lastErr != nil {
			return nil, fmt.Errorf("%w (%v)", ErrDisconnected, h.lastErr)
		}
		return nil, ErrDisconnected
	}
	return h.conn, nil
}

// Address returns this node's address, waiting for the first binding. If ctx ends first, the error says why the
// hub has not connected yet.
func (h *NetworkHub) Address(ctx context.Context) (string, error) {
	b, err := h.waitBinding(ctx)
	if err != nil {
		return "", err
	}
	return b.Address, nil
}

// Configuration returns the ICE servers from the latest binding, waiting for the first.
func (h *NetworkHub) Configuration(ctx context.Context) (Configuration, error) {
	b, err := h.waitBinding(ctx)
	if err != nil {
		return Configuration{}, err
	}
	c := Configuration{ICEServers: make([]ICEServer, 0, len(b.ICEServers))}
	for _, s := range b.ICEServers {
		c.ICEServers = append(c.ICEServers, ICEServer{URLs: append([]string(nil), s.URLs...), Username: s.Username, Credential: s.Credential})
	}
	return c, nil
}

func (h *NetworkHub) waitBinding(ctx context.Context) (*wire.Message, error) {
	select {
	case <-h.bound:
	case <-h.done:
	case <-ctx.Done():
		h.mu.Lock()
		last := h.lastErr
		h.mu.Unlock()
		if last != nil {
			return nil, fmt.Errorf("hub: not connected to %s: %w (last error: %v)", h.URL(), ctx.Err(), last)
		}
		return nil, fmt.Errorf("hub: not connected to %s: %w", h.URL(), ctx.Err())
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closeErr != nil {
		return nil, h.closeErr
	}
	return h.binding, nil
}

// Send forwards data to the node at address to. Delivery failures come back through Receive.
func (h *NetworkHub) Send(ctx context.Context, to string, data json.RawMessage) error {
	if !wire.IsJSON(data) {
		return ErrInvalidData
	}
	c, err := h.current(ctx)
	if err != nil {
		return err
	}
	b := make([]byte, 0, len(data)+len(to)+32)
	b = append(b, `{"type":"forward","to":`...)
	b = strconv.AppendQuote(b, to)
	b = append(b, `,"data":`...)
	b = append(b, data...)
	b = append(b, '}')
	if len(b) > c.maxSize {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrMessageTooLarge, len(b), c.maxSize)
	}
	if err := c.ws.Write(ctx, ws.MessageText, b); err != nil {
		return fmt.Errorf("%w: %v", ErrDisconnected, err)
	}
	return nil
}

// Receive returns the next message for this node.
func (h *NetworkHub) Receive(ctx context.Context) (Message, error) {
	select {
	case m := <-h.inbox:
		return m, nil
	case <-h.done:
		h.mu.Lock()
		defer h.mu.Unlock()
		return Message{}, h.closeErr
	case <-ctx.Done():
		return Message{}, ctx.Err()
	}
}

// Register leases hostname to this node. The hub remembers it and claims it again if the server ever binds a new
// address after a long outage.
func (h *NetworkHub) Register(ctx context.Context, hostname string) error {
	name, err := normalizeHostname(hostname)
	if err != nil {
		return err
	}
	c, err := h.current(ctx)
	if err != nil {
		return err
	}
	if _, err := h.request(ctx, c, wire.Message{Type: wire.TypeRegister, Hostname: name}); err != nil {
		return err
	}
	h.mu.Lock()
	h.names[name] = true
	h.mu.Unlock()
	return nil
}

// Unregister gives up a hostname.
func (h *NetworkHub) Unregister(ctx context.Context, hostname string) error {
	name, err := normalizeHostname(hostname)
	if err != nil {
		return err
	}
	c, err := h.current(ctx)
	if err != nil {
		return err
	}
	h.mu.Lock()
	delete(h.names, name)
	h.mu.Unlock()
	_, err = h.request(ctx, c, wire.Message{Type: wire.TypeUnregister, Hostname: name})
	return err
}

// Lookup returns the address holding hostname.
func (h *NetworkHub) Lookup(ctx context.Context, hostname string) (string, error) {
	name, err := normalizeHostname(hostname)
	if err != nil {
		return "", err
	}
	c, err := h.current(ctx)
	if err != nil {
		return "", err
	}
	m, err := h.request(ctx, c, wire.Message{Type: wire.TypeLookup, Hostname: name})
	if err != nil {
		return "", err
	}
	return m.Address, nil
}

// request sends m with a fresh id on c and waits for the reply.
func (h *NetworkHub) request(ctx context.Context, c *hubConn, m wire.Message) (wire.Message, error) {
	m.ID = h.nextID.Add(1)
	ch := make(chan wire.Message, 1)
	c.mu.Lock()
	c.pending[m.ID] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.pending, m.ID)
		c.mu.Unlock()
	}()
	b, err := wire.Encode(&m)
	if err != nil {
		return wire.Message{}, err
	}
	if err := c.ws.Write(ctx, ws.MessageText, b); err != nil {
		return wire.Message{}, fmt.Errorf("%w: %v", ErrDisconnected, err)
	}
	select {
	case r := <-ch:
		if r.Type == wire.TypeError {
			return wire.Message{}, replyError(r, m.Hostname)
		}
		return r, nil
	case <-c.gone:
		return wire.Message{}, fmt.Errorf("%w: connection lost while waiting for %s %q", ErrDisconnected, m.Type, m.Hostname)
	case <-ctx.Done():
		return wire.Message{}, ctx.Err()
	}
}

func replyError(r wire.Message, hostname string) error {
	var sentinel error
	switch r.Code {
	case wire.CodeHostnameTaken:
		sentinel = ErrHostnameTaken
	case wire.CodeHostnameNotFound:
		sentinel = ErrHostnameNotFound
	case wire.CodeInvalidHostname:
		sentinel = ErrInvalidHostname
	case wire.CodeTooManyHostnames:
		sentinel = ErrTooManyHostnames
	default:
		return &ServerError{Code: r.Code, Message: r.Text}
	}
	return fmt.Errorf("%w: %q", sentinel, hostname)
}

// Close leaves the hub: it closes the connection normally, so the server releases the address and hostnames at
// once, and stops reconnecting.
func (h *NetworkHub) Close() error {
	h.mu.Lock()
	if h.closeErr != nil {
		h.mu.Unlock()
		return nil
	}
	h.closeErr = fmt.Errorf("hub: network hub closed: %w", net.ErrClosed)
	c := h.conn
	h.mu.Unlock()
	if c != nil {
		// Close waits for the server's close frame (bounded by the library), which ends the session cleanly.
		c.ws.Close(ws.StatusNormalClosure, "node closed")
	}
	h.cancel()
	<-h.done
	return nil
}

// closeErr turns a WebSocket close into a *CloseError, keeping other errors as they are.
func closeErr(err error) error {
	var ce ws.CloseError
	if errors.As(err, &ce) {
		return &CloseError{Code: int(ce.Code), Reason: ce.Reason}
	}
	return err
}
