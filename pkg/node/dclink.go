package node

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/smokenet/smoke/pkg/node/internal/rtc"
)

// Send-side watermarks for a datachannel's bufferedAmount. Chrome fails a channel whose send queue passes 16 MiB;
// staying far below keeps memory flat, and the low mark leaves enough queued (tens of ms at datachannel speeds)
// that the channel never runs dry while we wake up.
const (
	bufferedHigh = 4 << 20
	bufferedLow  = 1 << 20
)

// drainTimeout bounds how long a normal close waits for queued frames to leave before closing the channel.
const drainTimeout = 2 * time.Second

// dcLink is a link over one WebRTC datachannel.
type dcLink struct {
	dc       *rtc.DataChannel
	counters *counters

	opened chan struct{} // closed when the channel opens
	closed chan struct{} // closed when the channel has closed, for any reason
	low    chan struct{} // signalled when bufferedAmount falls to bufferedLow

	mu       sync.Mutex
	h        linkHandler
	early    [][]byte // frames that arrived before Start
	isOpen   bool
	isClosed bool
	closeErr error
	onClose  func() // the peer's bookkeeping

	closeOnce sync.Once
}

var _ link = (*dcLink)(nil)

// newDCLink wraps dc. onClose, if not nil, runs once when the link closes (the peer's bookkeeping).
func newDCLink(dc *rtc.DataChannel, c *counters, onClose func(*dcLink)) *dcLink {
	l := &dcLink{
		dc:       dc,
		counters: c,
		opened:   make(chan struct{}),
		closed:   make(chan struct{}),
		low:      make(chan struct{}, 1),
	}
	if onClose != nil {
		l.onClose = func() { onClose(l) }
	}
	dc.SetBufferedAmountLowThreshold(bufferedLow)
	dc.OnBufferedAmountLow(func() {
		select {
		case l.low <- struct{}{}:
		default:
		}
	})
	dc.OnOpen(func() {
		l.mu.Lock()
		if !l.isOpen {
			l.isOpen = true
			close(l.opened)
		}
		l.mu.Unlock()
	})
	dc.OnClose(func() { l.fail(nil) })
	dc.OnMessage(l.frame)
	return l
}

// frame receives one datachannel message. It never blocks for long: it runs in pion's read loop natively and
// inside a JS event callback in the browser.
func (l *dcLink) frame(b []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.isClosed {
		return
	}
	if l.counters != nil {
		l.counters.frameIn(len(b))
	}
	if l.h == nil {
		l.early = append(l.early, b)
		return
	}
	l.h.Frame(b)
}

func (l *dcLink) Start(h linkHandler) {
	l.mu.Lock()
	l.h = h
	for _, b := range l.early {
		h.Frame(b)
	}
	l.early = nil
	closed, err := l.isClosed, l.closeErr
	l.mu.Unlock()
	if closed {
		h.Closed(err)
	}
}

func (l *dcLink) Send(ctx context.Context, frame []byte) error {
	for {
		// Drain a stale wake-up before looking, so one that comes after the look is not lost.
		select {
		case <-l.low:
		default:
		}
		if l.dc.BufferedAmount() <= bufferedHigh {
			break
		}
		select {
		case <-l.low:
		case <-l.closed:
			return l.sendErr()
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	select {
	case <-l.closed:
		return l.sendErr()
	default:
	}
	if err := l.dc.Send(frame); err != nil {
		return fmt.Errorf("node: datachannel send: %w", err)
	}
	if l.counters != nil {
		l.counters.frameOut(len(frame))
	}
	return nil
}

func (l *dcLink) sendErr() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closeErr != nil {
		return l.closeErr
	}
	return errLinkClosed
}

func (l *dcLink) Close() error {
	l.fail(nil)
	return nil
}

// fail closes the link with err (nil: a normal close) and tells the handler once.
func (l *dcLink) fail(err error) {
	l.closeOnce.Do(func() {
		l.mu.Lock()
		l.isClosed = true
		l.closeErr = err
		l.early = nil
		h := l.h
		onClose := l.onClose
		l.mu.Unlock()
		close(l.closed)
		if err == nil && l.dc.BufferedAmount() > 0 {
			// A normal close after a last frame (a REJECT, a CLOSE): let the frames reach the peer first. Closing
			// resets the SCTP stream, and pion can reset it ahead of data still queued, which loses the frame that
			// said why. Bounded, and off the caller's goroutine (it may be a JS callback).
			go func() {
				deadline := time.Now().Add(drainTimeout)
				for l.dc.BufferedAmount() > 0 && time.Now().Before(deadline) {
					time.Sleep(5 * time.Millisecond)
				}
				l.dc.Close()
			}()
		} else {
			// Closing a datachannel is a synchronous call in both backends; the remote sees its channel close.
			l.dc.Close()
		}
		if onClose != nil {
			onClose()
		}
		if h != nil {
			h.Closed(err)
		}
	})
}
