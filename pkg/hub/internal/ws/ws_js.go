//go:build js

package ws

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall/js"

	"github.com/smokenet/smoke/internal/jsx"
)

// MessageType is a WebSocket message's type, numbered as coder/websocket numbers it.
type MessageType int

// Message types.
const (
	MessageText   MessageType = 1
	MessageBinary MessageType = 2
)

// StatusCode is a close code (RFC 6455, section 7.4).
type StatusCode int

// Close codes.
const (
	StatusNormalClosure           StatusCode = 1000
	StatusGoingAway               StatusCode = 1001
	StatusInvalidFramePayloadData StatusCode = 1007
	StatusPolicyViolation         StatusCode = 1008
	StatusMessageTooBig           StatusCode = 1009
	StatusInternalError           StatusCode = 1011
)

// CloseError is the close the connection ended with, as the close event told it.
type CloseError struct {
	Code   StatusCode
	Reason string
}

func (ce CloseError) Error() string {
	return "status = " + strconv.Itoa(int(ce.Code)) + " and reason = " + strconv.Quote(ce.Reason)
}

// Conn is a browser WebSocket. Its event listeners only queue what they get and signal; Read and Close wait on
// channels, never inside a listener (a listener that blocked would stop the module).
type Conn struct {
	ws     js.Value
	remove []func() // the event listeners, removed when the socket closes

	limit atomic.Int64 // the largest message Read returns

	mu     sync.Mutex
	queue  []message     // received, not read yet
	signal chan struct{} // something was queued (capacity 1)
	closed chan struct{} // closed on the close event
	err    error         // why it closed, set before closed is closed
	opened chan struct{} // closed on the open event
}

type message struct {
	typ  MessageType
	data []byte
}

// Dial opens a WebSocket to url (ws, wss; http and https mean the same) and waits until it is open, the browser
// gives up on it, or ctx is done.
func Dial(ctx context.Context, url string) (*Conn, error) {
	url = strings.Replace(url, "http://", "ws://", 1)
	url = strings.Replace(url, "https://", "wss://", 1)
	ws, err := jsx.New(js.Global().Get("WebSocket"), url)
	if err != nil {
		return nil, err
	}
	if err := jsx.Set(ws, "binaryType", "arraybuffer"); err != nil {
		return nil, err
	}
	c := &Conn{ws: ws, signal: make(chan struct{}, 1), closed: make(chan struct{}), opened: make(chan struct{})}
	c.limit.Store(32 << 10)
	var once sync.Once
	for _, l := range []struct {
		event string
		f     func(js.Value)
	}{
		{"open", func(js.Value) { once.Do(func() { close(c.opened) }) }},
		{"message", c.onMessage},
		{"close", c.onClose},
	} {
		remove, err := jsx.AddEventListener(ws, l.event, l.f)
		if err != nil {
			c.release()
			_, _ = jsx.Call(ws, "close")
			return nil, err
		}
		c.remove = append(c.remove, remove)
	}
	select {
	case <-c.opened:
		return c, nil
	case <-c.closed:
		return nil, c.err
	case <-ctx.Done():
		_, _ = jsx.Call(ws, "close")
		return nil, ctx.Err()
	}
}

func (c *Conn) onMessage(e js.Value) {
	var m message
	switch d := e.Get("data"); d.Type() {
	case js.TypeString:
		m = message{MessageText, []byte(d.String())}
	default:
		b, err := jsx.Bytes(d)
		if err != nil {
			return // binaryType is arraybuffer: nothing else comes
		}
		m = message{MessageBinary, b}
	}
	c.mu.Lock()
	c.queue = append(c.queue, m)
	c.mu.Unlock()
	select {
	case c.signal <- struct{}{}:
	default:
	}
}

func (c *Conn) onClose(e js.Value) {
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-c.closed:
		return
	default:
	}
	ce := CloseError{Code: StatusCode(e.Get("code").Int()), Reason: e.Get("reason").String()}
	if e.Get("wasClean").Bool() {
		c.err = ce
	} else {
		c.err = fmt.Errorf("unclean connection close: %w", ce)
	}
	close(c.closed)
	go c.release() // not inside the dispatch of the event whose listener it removes
}

func (c *Conn) release() {
	for _, remove := range c.remove {
		remove()
	}
}

// SetReadLimit sets the largest message Read returns; a bigger one closes the connection with 1009.
func (c *Conn) SetReadLimit(n int64) { c.limit.Store(n) }

// Read returns the next message, waiting until one comes, the connection closes or ctx is done.
func (c *Conn) Read(ctx context.Context) (MessageType, []byte, error) {
	for {
		c.mu.Lock()
		if len(c.queue) > 0 {
			m := c.queue[0]
			c.queue[0] = message{}
			c.queue = c.queue[1:]
			c.mu.Unlock()
			if limit := c.limit.Load(); limit >= 0 && int64(len(m.data)) > limit {
				c.Close(StatusMessageTooBig, "message too big")
				return 0, nil, fmt.Errorf("failed to read: message of %d bytes is over the limit of %d", len(m.data), limit)
			}
			return m.typ, m.data, nil
		}
		c.mu.Unlock()
		select {
		case <-c.signal:
		case <-c.closed:
			c.mu.Lock()
			more := len(c.queue) > 0
			c.mu.Unlock()
			if !more {
				return 0, nil, fmt.Errorf("failed to read: %w", c.err)
			}
		case <-ctx.Done():
			return 0, nil, ctx.Err()
		}
	}
}

// Write sends a message. A browser WebSocket queues it and does not block.
func (c *Conn) Write(ctx context.Context, typ MessageType, p []byte) error {
	select {
	case <-c.closed:
		return fmt.Errorf("failed to write: %w", net.ErrClosed)
	default:
	}
	var err error
	switch typ {
	case MessageText:
		_, err = jsx.Call(c.ws, "send", string(p))
	case MessageBinary:
		_, err = jsx.Call(c.ws, "send", jsx.Uint8Array(p))
	default:
		err = fmt.Errorf("unexpected message type %d", typ)
	}
	if err != nil {
		return fmt.Errorf("failed to write: %w", err)
	}
	return nil
}

// Close starts the closing handshake with code and reason and waits for its end. A browser sends only 1000 and
// 3000–4999 itself: another code (a policy violation, 1008) goes as 1000 with the code in front of the reason.
func (c *Conn) Close(code StatusCode, reason string) error {
	select {
	case <-c.closed:
		return net.ErrClosed
	default:
	}
	if code != StatusNormalClosure && (code < 3000 || code > 4999) {
		reason = strconv.Itoa(int(code)) + " " + reason
		code = StatusNormalClosure
	}
	if len(reason) > 123 { // the close frame's limit, in bytes
		reason = strings.ToValidUTF8(reason[:123], "")
	}
	if _, err := jsx.Call(c.ws, "close", int(code), reason); err != nil {
		return fmt.Errorf("failed to close WebSocket: %w", err)
	}
	<-c.closed
	if _, clean := c.err.(CloseError); clean {
		return nil
	}
	return c.err
}

// CloseNow closes the connection. A browser has no close without the handshake: it is Close(StatusGoingAway, "").
func (c *Conn) CloseNow() error { return c.Close(StatusGoingAway, "") }
