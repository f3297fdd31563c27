//go:build js

package rtc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"syscall/js"

	"github.com/smokenet/smoke/internal/jsx"
)

// Settings has nothing to set in the browser: the browser owns the ICE agent, its interfaces and its ports. It
// exists so that pkg/node's Options declare the same field on both platforms; natively it is pion's SettingEngine.
type Settings struct{}

type apiImpl struct{}

// NewAPI returns the browser's API; s has nothing in it.
func NewAPI(s *Settings) *API { return &API{} }

// NewPeerConnection makes a browser RTCPeerConnection.
func (a *API) NewPeerConnection(c Configuration) (*PeerConnection, error) {
	ctor, err := jsx.Get(js.Global(), "RTCPeerConnection")
	if err == nil && ctor.Type() != js.TypeFunction {
		err = errors.New("rtc: this JavaScript environment has no RTCPeerConnection")
	}
	if err != nil {
		return nil, err
	}
	servers := make([]any, 0, len(c.ICEServers))
	for _, s := range c.ICEServers {
		urls := make([]any, len(s.URLs))
		for i, u := range s.URLs {
			urls[i] = u
		}
		o := map[string]any{"urls": urls}
		if s.Username != "" {
			o["username"] = s.Username
		}
		if s.Credential != "" {
			o["credential"] = s.Credential
		}
		servers = append(servers, o)
	}
	conf := map[string]any{"iceServers": servers}
	if c.RelayOnly {
		conf["iceTransportPolicy"] = "relay"
	}
	v, err := jsx.New(ctor, conf)
	if err != nil {
		return nil, fmt.Errorf("rtc: new RTCPeerConnection: %w", err)
	}
	life, cancel := context.WithCancel(context.Background())
	p := &PeerConnection{pcImpl{v: v, life: life, cancel: cancel, handlers: make(map[string]func())}}
	pageExit.add(v)
	return p, nil
}

type pcImpl struct {
	v js.Value
	// life is the connection's lifetime, canceled by Close: the one context its promise waits use (see the
	// package doc for why Close must end them).
	life   context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	handlers map[string]func() // event name → remove of its listener
	closed   bool
	idle     map[*Transceiver]struct{} // released by Release, for AddTrack to reuse (media_js.go)

	closeOnce sync.Once
	closeErr  error
}

// listen sets the listener for event, replacing the previous one.
func listen(mu *sync.Mutex, closed *bool, handlers map[string]func(), target js.Value, event string, f func(js.Value)) {
	mu.Lock()
	defer mu.Unlock()
	if *closed {
		return
	}
	if remove := handlers[event]; remove != nil {
		remove()
	}
	remove, err := jsx.AddEventListener(target, event, f)
	if err != nil {
		return // not an EventTarget: cannot happen for the browser's own objects
	}
	handlers[event] = remove
}

// removeAll removes every listener in handlers.
func removeAll(mu *sync.Mutex, closed *bool, handlers map[string]func()) {
	mu.Lock()
	*closed = true
	removes := make([]func(), 0, len(handlers))
	for k, r := range handlers {
		removes = append(removes, r)
		delete(handlers, k)
	}
	mu.Unlock()
	for _, r := range removes {
		r()
	}
}

func (p *PeerConnection) on(event string, f func(js.Value)) {
	listen(&p.mu, &p.closed, p.handlers, p.v, event, f)
}

// await calls the promise-returning method and waits for it to settle, or for Close.
func (p *PeerConnection) await(method string, args ...any) (js.Value, error) {
	pr, err := jsx.Call(p.v, method, args...)
	if err == nil {
		pr, err = jsx.Await(p.life, pr)
	}
	if err != nil {
		if p.life.Err() != nil {
			return js.Undefined(), fmt.Errorf("rtc: %s: %w", method, net.ErrClosed)
		}
		return js.Undefined(), fmt.Errorf("rtc: %s: %w", method, err)
	}
	return pr, nil
}

// prop reads a property of one of the browser's own objects (an attribute getter that does not throw).
func prop(v js.Value, name string) js.Value {
	x, err := jsx.Get(v, name)
	if err != nil {
		return js.Undefined()
	}
	return x
}

func descFrom(v js.Value) *SessionDescription {
	if v.Type() != js.TypeObject {
		return nil // null: no description yet
	}
	return &SessionDescription{Type: SDPType(prop(v, "type").String()), SDP: prop(v, "sdp").String()}
}

func descValue(d SessionDescription) map[string]any {
	return map[string]any{"type": string(d.Type), "sdp": d.SDP}
}

func (p *PeerConnection) create(method string) (SessionDescription, error) {
	v, err := p.await(method)
	if err != nil {
		return SessionDescription{}, err
	}
	d := descFrom(v)
	if d == nil {
		return SessionDescription{}, fmt.Errorf("rtc: %s returned no description", method)
	}
	return *d, nil
}

func (p *PeerConnection) CreateOffer() (SessionDescription, error)  { return p.create("createOffer") }
func (p *PeerConnection) CreateAnswer() (SessionDescription, error) { return p.create("createAnswer") }

func (p *PeerConnection) SetLocalDescription(d SessionDescription) error {
	_, err := p.await("setLocalDescription", descValue(d))
	return err
}

// SetLocalOfferOrAnswer makes the offer or the answer the signalling state calls for, sets it as the local
// description and returns it: the browser's setLocalDescription() without arguments. One promise where
// createOffer and setLocalDescription are two, each a round trip between Go and JavaScript and a task of the
// browser's: in a trace of a new connection's dial (smoke-bench's sockets -trace) the offer took 1.0 ms, not 2.7.
func (p *PeerConnection) SetLocalOfferOrAnswer() (SessionDescription, error) {
	if _, err := p.await("setLocalDescription"); err != nil {
		return SessionDescription{}, err
	}
	d := p.LocalDescription()
	if d == nil {
		return SessionDescription{}, fmt.Errorf("rtc: setLocalDescription left no local description")
	}
	return *d, nil
}

func (p *PeerConnection) SetRemoteDescription(d SessionDescription) error {
	_, err := p.await("setRemoteDescription", descValue(d))
	return err
}

func (p *PeerConnection) LocalDescription() *SessionDescription {
	return descFrom(prop(p.v, "localDescription"))
}

func (p *PeerConnection) RemoteDescription() *SessionDescription {
	return descFrom(prop(p.v, "remoteDescription"))
}

func (p *PeerConnection) CurrentRemoteDescription() *SessionDescription {
	return descFrom(prop(p.v, "currentRemoteDescription"))
}

func (p *PeerConnection) PendingLocalDescription() *SessionDescription {
	return descFrom(prop(p.v, "pendingLocalDescription"))
}

func (p *PeerConnection) AddICECandidate(c ICECandidateInit) error {
	o := map[string]any{"candidate": c.Candidate, "sdpMid": nil, "sdpMLineIndex": nil, "usernameFragment": nil}
	if c.SDPMid != nil {
		o["sdpMid"] = *c.SDPMid
	}
	if c.SDPMLineIndex != nil {
		o["sdpMLineIndex"] = int(*c.SDPMLineIndex)
	}
	if c.UsernameFragment != nil {
		o["usernameFragment"] = *c.UsernameFragment
	}
	// Not awaited: the browser applies it in order all the same (its operations chain runs addIceCandidate after
	// the setRemoteDescription before it), and waiting held up the signalling that came next, one Go↔JavaScript
	// round trip per candidate while ICE was starting (a trace showed 1–4 ms each). So the error is only what
	// throws at once; a candidate the agent cannot use is dropped, as pkg/node would drop its error.
	pr, err := jsx.Call(p.v, "addIceCandidate", o)
	if err != nil {
		return fmt.Errorf("rtc: addIceCandidate: %w", err)
	}
	if pr.Type() == js.TypeObject {
		_, _ = jsx.Call(pr, "catch", functionPrototype) // a rejection is expected and not worth a console line
	}
	return nil
}

// functionPrototype is a function that does nothing (Function.prototype is callable and returns undefined): a
// rejection handler that drops the reason, without a js.Func of our own.
var functionPrototype = js.Global().Get("Function").Get("prototype")

// CreateDataChannel opens an ordered, reliable datachannel labelled label.
func (p *PeerConnection) CreateDataChannel(label string) (*DataChannel, error) {
	v, err := jsx.Call(p.v, "createDataChannel", label, map[string]any{"ordered": true})
	if err != nil {
		return nil, fmt.Errorf("rtc: createDataChannel: %w", err)
	}
	return newDataChannel(v), nil
}

func (p *PeerConnection) OnNegotiationNeeded(f func()) {
	p.on("negotiationneeded", func(js.Value) { f() })
}

func (p *PeerConnection) OnConnectionStateChange(f func(PeerConnectionState)) {
	p.on("connectionstatechange", func(js.Value) { f(p.ConnectionState()) })
}

// OnICECandidate calls f with each local candidate as the browser's own candidate.toJSON(), which keeps every
// field (and IPv6 addresses) as the browser wrote them; the end of gathering is not reported.
func (p *PeerConnection) OnICECandidate(f func(ICECandidateInit)) {
	p.on("icecandidate", func(ev js.Value) {
		c := prop(ev, "candidate")
		if c.Type() != js.TypeObject {
			return // null: end of gathering
		}
		j, err := jsx.Call(c, "toJSON")
		if err != nil {
			return
		}
		init := ICECandidateInit{Candidate: prop(j, "candidate").String()}
		if mid := prop(j, "sdpMid"); mid.Type() == js.TypeString {
			s := mid.String()
			init.SDPMid = &s
		}
		if idx := prop(j, "sdpMLineIndex"); idx.Type() == js.TypeNumber {
			i := uint16(idx.Int())
			init.SDPMLineIndex = &i
		}
		if uf := prop(j, "usernameFragment"); uf.Type() == js.TypeString {
			s := uf.String()
			init.UsernameFragment = &s
		}
		f(init)
	})
}

// OnDataChannel calls f with each channel the remote opens, inside the datachannel event, so that f can attach
// its handlers before any message of the channel is dispatched.
func (p *PeerConnection) OnDataChannel(f func(*DataChannel)) {
	p.on("datachannel", func(ev js.Value) {
		if ch := prop(ev, "channel"); ch.Type() == js.TypeObject {
			f(newDataChannel(ch))
		}
	})
}

func (p *PeerConnection) ConnectionState() PeerConnectionState {
	return PeerConnectionState(prop(p.v, "connectionState").String())
}

func (p *PeerConnection) SignalingState() SignalingState {
	return SignalingState(prop(p.v, "signalingState").String())
}

// Close closes the connection, ends the waits of calls in progress, and removes its handlers. Closing fires no
// events (W3C), so the handlers are not told. Safe to call more than once.
func (p *PeerConnection) Close() error {
	p.closeOnce.Do(func() {
		p.cancel()
		removeAll(&p.mu, &p.closed, p.handlers)
		pageExit.remove(p.v)
		if _, err := jsx.Call(p.v, "close"); err != nil {
			p.closeErr = fmt.Errorf("rtc: close: %w", err)
		}
	})
	return p.closeErr
}

type dcImpl struct {
	v     js.Value
	label string

	mu       sync.Mutex
	handlers map[string]func()
	closed   bool
	onClose  func()
}

func newDataChannel(v js.Value) *DataChannel {
	// Binary messages as ArrayBuffer, not Blob: an ArrayBuffer's bytes can be copied out at once, in the event.
	_ = jsx.Set(v, "binaryType", "arraybuffer")
	d := &DataChannel{dcImpl{v: v, label: prop(v, "label").String(), handlers: make(map[string]func())}}
	// Once closed, a channel fires nothing more: let go of its listeners. This one listener is not a handler, so
	// OnClose does not replace it.
	listen(&d.mu, &d.closed, d.handlers, v, "close", func(js.Value) {
		d.mu.Lock()
		f := d.onClose
		d.mu.Unlock()
		if f != nil {
			f()
		}
		removeAll(&d.mu, &d.closed, d.handlers)
	})
	return d
}

func (d *DataChannel) on(event string, f func(js.Value)) {
	listen(&d.mu, &d.closed, d.handlers, d.v, event, f)
}

func (d *DataChannel) readyState() string { return prop(d.v, "readyState").String() }

func (d *DataChannel) Label() string { return d.label }

// OnOpen calls f when the channel opens, or at once if it is open already (a channel the remote opened may be open
// by the time its handlers are set). The listener is added before the state is read, and no event can be
// dispatched between the two, so f runs exactly once.
func (d *DataChannel) OnOpen(f func()) {
	d.on("open", func(js.Value) { f() })
	if d.readyState() == "open" {
		f()
	}
}

// OnClose calls f when the channel has closed, or at once if it is closed already.
func (d *DataChannel) OnClose(f func()) {
	d.mu.Lock()
	d.onClose = f
	d.mu.Unlock()
	if d.readyState() == "closed" {
		f()
	}
}

// OnMessage calls f with each message, in order, inside the message event: the bytes are copied out of the
// ArrayBuffer first. A text message arrives as its UTF-8 bytes.
//
// This runs once per datachannel message, so it makes as few JS calls as it can: every js.Value of an object that
// crosses into Go costs a finalizer, and every property name a string conversion (measured: going through
// jsx.Get and jsx.Bytes cost about 70 µs per message in Chrome, this about a third of that). Reading a
// MessageEvent's data cannot throw.
func (d *DataChannel) OnMessage(f func([]byte)) {
	d.on("message", func(ev js.Value) {
		data := ev.Get("data")
		if data.Type() == js.TypeString {
			f([]byte(data.String()))
			return
		}
		if data.InstanceOf(arrayBufferCtor) {
			u := uint8ArrayCtor.New(data)
			b := make([]byte, u.Length())
			js.CopyBytesToGo(b, u)
			f(b)
			return
		}
		b, err := jsx.Bytes(data)
		if err != nil {
			// Cannot happen with binaryType "arraybuffer"; dropping a message silently would corrupt the stream.
			d.Close()
			return
		}
		f(b)
	})
}

var (
	arrayBufferCtor = js.Global().Get("ArrayBuffer")
	uint8ArrayCtor  = js.Global().Get("Uint8Array")
)

func (d *DataChannel) OnBufferedAmountLow(f func()) {
	d.on("bufferedamountlow", func(js.Value) { f() })
}

func (d *DataChannel) SetBufferedAmountLowThreshold(n uint64) {
	_ = jsx.Set(d.v, "bufferedAmountLowThreshold", n)
}

func (d *DataChannel) BufferedAmount() uint64 {
	// A plain property read of the browser's own object: it cannot throw, and a number costs no finalizer.
	v := d.v.Get("bufferedAmount")
	if v.Type() != js.TypeNumber {
		return 0
	}
	return uint64(v.Float())
}

// Send queues b (copied into a new Uint8Array) on the channel. It fails when the channel is not open, or when the
// browser's send queue is full (Chrome: 16 MiB).
//
// It calls send directly and recovers the panic syscall/js makes of a thrown exception, rather than going through
// jsx.Call's JavaScript try wrapper: this runs once per frame.
func (d *DataChannel) Send(b []byte) (err error) {
	u := uint8ArrayCtor.New(len(b))
	js.CopyBytesToJS(u, b)
	defer func() {
		if r := recover(); r != nil {
			if je, ok := r.(js.Error); ok {
				err = fmt.Errorf("rtc: datachannel send: %w", jsx.ErrorFrom(je.Value))
				return
			}
			err = fmt.Errorf("rtc: datachannel send: %v", r)
		}
	}()
	d.v.Call("send", u)
	return nil
}

// Close closes the channel and removes its handlers: the close event that follows reaches nobody (the caller
// closed it, so it knows).
func (d *DataChannel) Close() error {
	removeAll(&d.mu, &d.closed, d.handlers)
	if _, err := jsx.Call(d.v, "close"); err != nil {
		return fmt.Errorf("rtc: datachannel close: %w", err)
	}
	return nil
}

// pageExit holds the page's open peer connections, so that they are closed when the page goes away.
var pageExit pageConns

type pageConns struct {
	once sync.Once
	open js.Value // a JS Set of RTCPeerConnections
}

// add registers pc to be closed when the page is unloaded (pagehide, unless the page goes into the back/forward
// cache). Closing them explicitly tells the remote peers at once; left to the browser's teardown, a closed tab was
// only noticed when ICE gave up on it, after about ten seconds.
func (e *pageConns) add(pc js.Value) {
	e.once.Do(func() {
		open := js.Global().Get("Set").New()
		e.open = open
		if js.Global().Get("addEventListener").Type() != js.TypeFunction {
			return // not a window (a worker has no pagehide)
		}
		// Never removed: one listener for the page's lifetime. It only calls close(), which does not block and
		// fires no events back into Go.
		_, _ = jsx.AddEventListener(js.Global(), "pagehide", func(ev js.Value) {
			if prop(ev, "persisted").Truthy() {
				return // kept in the back/forward cache: the page may come back with its connections
			}
			list := js.Global().Get("Array").Call("from", open)
			for i := range list.Length() {
				_, _ = jsx.Call(list.Index(i), "close")
			}
			open.Call("clear")
		})
	})
	e.open.Call("add", pc)
}

func (e *pageConns) remove(pc js.Value) { e.open.Call("delete", pc) }
