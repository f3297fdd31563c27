package main

import (
	"context"
	"syscall/js"
	"time"

	"github.com/smokenet/smoke/internal/jsx"
	"github.com/smokenet/smoke/pkg/node"
)

// Media responses (pkg/media/SPEC.md) from JavaScript: res.mediastream() sends a MediaStream's tracks to the
// client node on the peer connection the two share (mediaSend), and answers with the media head and descriptor
// (restMedia); response.mediastream() reads the descriptor and picks the tracks out by their mids (mediaReceive).
// The lifetimes — tracks ending, the client going — are watched in JavaScript (npm/src/media.js), which closes the
// sender or receiver here.

// mediaSend(node, address, tracks) → Promise<[sender, mids]>: start sending tracks (MediaStreamTracks) to the node
// at address; resolves once it agreed to receive them.
func (r *registry) mediaSend(a args) (any, error) {
	jn, err := r.node(a, 0)
	if err != nil {
		return nil, err
	}
	address, list := a.str(1), a.val(2)
	if list.Type() != js.TypeObject || list.Length() == 0 || list.Length() > node.MaxMediaTracks {
		return nil, typeError("a media stream needs 1 to %d tracks", node.MaxMediaTracks)
	}
	tracks := make([]node.LocalTrack, list.Length())
	for i := range tracks {
		tracks[i] = list.Index(i)
	}
	return jn.promise("cannot send media to "+address, func(ctx context.Context) (any, error) {
		s, err := jn.n.SendMedia(ctx, address, tracks)
		if err != nil {
			return nil, err
		}
		id := r.add(s)
		go func() {
			<-s.Done()
			r.remove(id)
		}()
		mids := make([]any, len(s.Mids()))
		for i, m := range s.Mids() {
			mids[i] = m
		}
		return []any{id, mids}, nil
	}), nil
}

// mediaSenderDone(sender) → Promise<void>: resolves when the stream ends (closed, or the peer connection went).
func (r *registry) mediaSenderDone(a args) (any, error) {
	s, ok := lookup[*node.MediaSender](r, a.int(0))
	return mediaDone(ok, func() <-chan struct{} { return s.Done() }), nil
}

// mediaSenderClose(sender): stop sending; the client's tracks end once renegotiated.
func (r *registry) mediaSenderClose(a args) (any, error) {
	if s, ok := take[*node.MediaSender](r, a.int(0)); ok {
		s.Close()
	}
	return nil, nil
}

// mediaReceive(node, address, mids) → Promise<[receiver, tracks]>: the tracks with mids from the node at address.
func (r *registry) mediaReceive(a args) (any, error) {
	jn, err := r.node(a, 0)
	if err != nil {
		return nil, err
	}
	address, list := a.str(1), a.val(2)
	if list.Type() != js.TypeObject || list.Length() == 0 || list.Length() > node.MaxMediaTracks {
		return nil, typeError("a media stream has 1 to %d mids", node.MaxMediaTracks)
	}
	mids := make([]string, list.Length())
	for i := range mids {
		if v := list.Index(i); v.Type() == js.TypeString {
			mids[i] = v.String()
		} else {
			return nil, typeError("mid %d is not a string", i)
		}
	}
	return jn.promise("cannot receive media from "+address, func(ctx context.Context) (any, error) {
		// The server has negotiated the tracks before it sent the mids, so they are here or about to be: a server
		// that names mids it never sends fails the response rather than holding it forever.
		ctx, cancel := context.WithTimeout(ctx, mediaArrival)
		defer cancel()
		rv, err := jn.n.ReceiveMedia(ctx, address, mids)
		if err != nil {
			return nil, err
		}
		id := r.add(rv)
		go func() {
			<-rv.Done()
			r.remove(id)
		}()
		tracks := make([]any, len(rv.Tracks()))
		for i, t := range rv.Tracks() {
			tracks[i] = t
		}
		return []any{id, tracks}, nil
	}), nil
}

// mediaArrival is how long response.mediastream() waits for the tracks a descriptor names.
const mediaArrival = 20 * time.Second

// mediaReceiverDone(receiver) → Promise<void>: resolves when the stream ends (the server stopped it, or the peer
// connection went).
func (r *registry) mediaReceiverDone(a args) (any, error) {
	rv, ok := lookup[*node.MediaReceiver](r, a.int(0))
	return mediaDone(ok, func() <-chan struct{} { return rv.Done() }), nil
}

// mediaReceiverClose(receiver): stop receiving here.
func (r *registry) mediaReceiverClose(a args) (any, error) {
	if rv, ok := take[*node.MediaReceiver](r, a.int(0)); ok {
		rv.Close()
	}
	return nil, nil
}

// mediaDone is a Promise that resolves when done closes (at once for a handle that is gone: its stream ended).
func mediaDone(ok bool, done func() <-chan struct{}) js.Value {
	if !ok {
		return js.Global().Get("Promise").Call("resolve")
	}
	ch := done()
	return jsx.Promise(func(context.Context) (any, error) {
		<-ch
		return nil, nil
	})
}

// restMedia(exchange, status, headers, descriptor) → boolean: the head of a media response (body kind media) and
// its descriptor line; the response stays open until restRespond ends it.
func (r *registry) restMedia(a args) (any, error) {
	ex, err := r.exchange(a)
	if err != nil {
		return nil, err
	}
	op := resOp{media: true, data: []byte(a.str(3))}
	if err := op.setHead(a); err != nil {
		return nil, err
	}
	return ex.queue(op)
}

// netStats(node, address) → Promise<RTCStatsReport>: the statistics of the peer connection to address.
func (r *registry) netStats(a args) (any, error) {
	jn, err := r.node(a, 0)
	if err != nil {
		return nil, err
	}
	address := a.str(1)
	return jn.promise("cannot read the statistics of the connection to "+address, func(ctx context.Context) (any, error) {
		return jn.n.StatsReport(ctx, address)
	}), nil
}
