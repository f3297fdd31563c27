package node

import "context"

// A link carries one socket's frames between two nodes: one WebRTC datachannel, or an in-process pipe when a node
// dials its own listeners. Frames arrive in order, reliably, each as one message (see internal/frame/SPEC.md).
//
// Links are how the socket layer stays independent of WebRTC: the socket's files (socket.go and the parts it is
// made of) know links and frames, peer.go and dclink.go know datachannels, and the in-memory pipe (pipe.go) lets
// the socket layer be tested without a network.
type link interface {
	// Send transmits one frame. It blocks while the link's own send buffer is above its high-water mark (a
	// datachannel's bufferedAmount), honouring ctx, so a fast writer cannot grow the browser's send queue without
	// bound. The link does not keep frame after Send returns. Safe for concurrent use, but frames from concurrent
	// calls may interleave in any order, so the socket layer sends from one goroutine at a time.
	Send(ctx context.Context, frame []byte) error

	// Start begins delivering received frames to h. It is called once, before any frame is delivered.
	Start(h linkHandler)

	// Close closes the link. Frames already handed to Send are still delivered if the transport can; h.Closed is
	// called once (with nil error for a local Close).
	Close() error
}

// linkHandler receives what arrives on a link.
type linkHandler interface {
	// Frame is called for each received frame, in order, never concurrently. The frame is the handler's to keep.
	// Frame must not block: in the browser it runs inside a JS event callback, where blocking deadlocks the page.
	Frame(frame []byte)
	// Closed is called once when the link has closed, with why (nil for a normal close).
	Closed(err error)
}
