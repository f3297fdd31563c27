//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/smokenet/smoke/pkg/hub"
	"github.com/smokenet/smoke/pkg/node"
)

// The native throughput figure's workload, the same for the library and the baseline.
// Many short runs rather than a few long ones: on a machine shared with other work, the load comes and goes in
// bursts, and alternating short runs spreads each burst over both kinds.
const (
	nativeTotal = 64 << 20 // bytes per run
	nativeSize  = 64 << 10 // message size
	nativeReps  = 5        // runs of each kind, alternating; the median counts
)

// The raw baseline's send watermarks: the same as pkg/node's datachannel link (dclink.go), so that both sides keep
// the same amount queued in pion's SCTP association.
const (
	rawBufferedHigh = 4 << 20
	rawBufferedLow  = 1 << 20
)

func (e *env) nativeSockets(ctx context.Context) error {
	e.progress("sockets: native throughput, %d runs of %s each way, %s messages", nativeReps, sizeName(nativeTotal), sizeName(nativeSize))
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()

	lib, err := newNodeLink(ctx, nil)
	if err != nil {
		return err
	}
	defer lib.close()
	raw, err := newRawPion(ctx)
	if err != nil {
		return err
	}
	defer raw.close()

	// One warm-up of each (pion's SCTP congestion window opens, buffers grow), then the runs, alternating.
	load := startLoad()
	var smoke, base []float64
	for i := -1; i < nativeReps; i++ {
		total := int64(nativeTotal)
		if i < 0 {
			total = 16 << 20
		}
		d, err := lib.transfer(ctx, nativeSize, total)
		if err != nil {
			return fmt.Errorf("smoke run: %w", err)
		}
		r, err := raw.transfer(ctx, nativeSize, total)
		if err != nil {
			return fmt.Errorf("raw pion run: %w", err)
		}
		if i >= 0 {
			smoke = append(smoke, ms(d))
			base = append(base, ms(r))
		}
	}
	s := mibps(nativeTotal, msDuration(median(smoke)))
	b := mibps(nativeTotal, msDuration(median(base)))
	e.printRow(row{
		section: "sock", label: "native throughput, " + sizeName(nativeSize) + " messages",
		ours: mibpsString(s), base: mibpsString(b), baseName: "raw-pion",
		ratio: ratio(s, b), target: fmt.Sprintf("≥ %.2f", nativeThroughputTarget), met: s >= nativeThroughputTarget*b,
	})
	e.note("median of %d runs of %s each way, both ends in this process; ms per run: smoke %s, raw %s",
		nativeReps, sizeName(nativeTotal), spread(smoke), spread(base))
	e.note("raw pion: one ordered datachannel, %s messages, sender waits above %s buffered; pion advertises a "+
		"max-message-size of 1 GiB, so 64 KiB fits (a peer that advertises none gets 65,535 bytes)",
		sizeName(nativeSize), sizeName(rawBufferedHigh))
	e.busyNote("native", load)
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// nodeLink is two nodes on a page hub in this process and one socket from the first to the second.
type nodeLink struct {
	a, b   *node.Node
	tx, rx *node.Socket
}

// newNodeLink makes two nodes and a socket between them; opts (nil for the defaults) are both nodes' options,
// apart from the hub and the WebRTC settings.
func newNodeLink(ctx context.Context, opts *node.Options) (*nodeLink, error) {
	ph := hub.NewPageHub(nil)
	mk := func() *node.Node {
		var o node.Options
		if opts != nil {
			o = *opts
		}
		o.Hub, o.WebRTC = ph.Join(), socketsWebRTC()
		return node.New(&o)
	}
	nl := &nodeLink{a: mk(), b: mk()}
	ok := false
	defer func() {
		if !ok {
			nl.close()
		}
	}()
	const port = 7000
	l, err := nl.b.Listen(port)
	if err != nil {
		return nil, err
	}
	defer l.Close()
	addr, err := nl.b.Address(ctx)
	if err != nil {
		return nil, err
	}
	accepted := make(chan *node.Socket, 1)
	go func() {
		s, _ := l.Accept(ctx)
		accepted <- s
	}()
	nl.tx, err = nl.a.Dial(ctx, addr, port)
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	if nl.rx = <-accepted; nl.rx == nil {
		return nil, errors.New("accept failed")
	}
	ok = true
	return nl, nil
}

func (nl *nodeLink) close() {
	for _, s := range []*node.Socket{nl.tx, nl.rx} {
		if s != nil {
			s.CloseNow()
		}
	}
	nl.a.Close()
	nl.b.Close()
}

// transfer writes total bytes as size-byte messages and returns how long until the other end has read them all.
func (nl *nodeLink) transfer(ctx context.Context, size int, total int64) (time.Duration, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	msg := make([]byte, size)
	for i := range msg {
		msg[i] = byte(i * 7)
	}
	wrote := make(chan error, 1)
	start := time.Now()
	go func() {
		for sent := int64(0); sent < total; sent += int64(size) {
			if err := nl.tx.Write(ctx, node.MessageBinary, msg[:min(int64(size), total-sent)]); err != nil {
				wrote <- err
				return
			}
		}
		wrote <- nil
	}()
	for got := int64(0); got < total; {
		_, b, err := nl.rx.Read(ctx)
		if err != nil {
			cancel()
			<-wrote
			return 0, fmt.Errorf("read after %d bytes: %w", got, err)
		}
		got += int64(len(b))
	}
	d := time.Since(start)
	return d, <-wrote
}

// rawPion is two pion peer connections in this process with one ordered datachannel between them: what the
// library is measured against.
type rawPion struct {
	a, b     *webrtc.PeerConnection
	tx       *webrtc.DataChannel
	low      chan struct{} // tx's bufferedAmount fell to rawBufferedLow
	received chan int      // sizes of the messages rx received
	closed   chan struct{} // rx closed
}

func newRawPion(ctx context.Context) (*rawPion, error) {
	api := webrtc.NewAPI(webrtc.WithSettingEngine(*socketsWebRTC()))
	r := &rawPion{low: make(chan struct{}, 1), received: make(chan int, 4096), closed: make(chan struct{})}
	var err error
	if r.a, err = api.NewPeerConnection(webrtc.Configuration{}); err != nil {
		return nil, err
	}
	if r.b, err = api.NewPeerConnection(webrtc.Configuration{}); err != nil {
		r.a.Close()
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			r.close()
		}
	}()
	ordered := true
	if r.tx, err = r.a.CreateDataChannel("bench", &webrtc.DataChannelInit{Ordered: &ordered}); err != nil {
		return nil, err
	}
	opened := make(chan struct{})
	r.tx.OnOpen(func() { close(opened) })
	r.tx.SetBufferedAmountLowThreshold(rawBufferedLow)
	r.tx.OnBufferedAmountLow(func() {
		select {
		case r.low <- struct{}{}:
		default:
		}
	})
	r.b.OnDataChannel(func(dc *webrtc.DataChannel) {
		dc.OnMessage(func(m webrtc.DataChannelMessage) { r.received <- len(m.Data) })
		dc.OnClose(func() { close(r.closed) })
	})
	// Signalling in memory, with all candidates in the descriptions.
	if err := exchange(ctx, r.a, r.b); err != nil {
		return nil, err
	}
	select {
	case <-opened:
	case <-ctx.Done():
		return nil, fmt.Errorf("raw pion datachannel did not open: %w", ctx.Err())
	}
	ok = true
	return r, nil
}

// exchange runs offer/answer between a and b, waiting for ICE gathering so that each description carries its
// candidates.
func exchange(ctx context.Context, a, b *webrtc.PeerConnection) error {
	describe := func(pc *webrtc.PeerConnection, sd webrtc.SessionDescription) (*webrtc.SessionDescription, error) {
		gathered := webrtc.GatheringCompletePromise(pc)
		if err := pc.SetLocalDescription(sd); err != nil {
			return nil, err
		}
		select {
		case <-gathered:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return pc.LocalDescription(), nil
	}
	offer, err := a.CreateOffer(nil)
	if err != nil {
		return err
	}
	o, err := describe(a, offer)
	if err != nil {
		return err
	}
	if err := b.SetRemoteDescription(*o); err != nil {
		return err
	}
	answer, err := b.CreateAnswer(nil)
	if err != nil {
		return err
	}
	an, err := describe(b, answer)
	if err != nil {
		return err
	}
	return a.SetRemoteDescription(*an)
}

// transfer sends total bytes as size-byte messages, keeping bufferedAmount under rawBufferedHigh as the library
// does, and returns how long until the receiver has had them all.
func (r *rawPion) transfer(ctx context.Context, size int, total int64) (time.Duration, error) {
	msg := make([]byte, size)
	for i := range msg {
		msg[i] = byte(i * 7)
	}
	sent := make(chan error, 1)
	stop := make(chan struct{})
	defer close(stop)
	start := time.Now()
	go func() {
		for n := int64(0); n < total; n += int64(size) {
			for r.tx.BufferedAmount() > rawBufferedHigh {
				select {
				case <-r.low:
				case <-stop:
					sent <- nil
					return
				case <-ctx.Done():
					sent <- ctx.Err()
					return
				}
			}
			// A wake-up left from before this wait is harmless: the loop looks again.
			if err := r.tx.Send(msg[:min(int64(size), total-n)]); err != nil {
				sent <- err
				return
			}
		}
		sent <- nil
	}()
	sending := sent
	for got := int64(0); got < total; {
		select {
		case n := <-r.received:
			got += int64(n)
		case err := <-sending:
			if err != nil {
				return 0, err
			}
			sending = nil // all sent; the rest is in flight
		case <-r.closed:
			return 0, fmt.Errorf("receiving channel closed after %d bytes", got)
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	d := time.Since(start)
	return d, nil
}

func (r *rawPion) close() {
	if r.a != nil {
		r.a.Close()
	}
	if r.b != nil {
		r.b.Close()
	}
}
