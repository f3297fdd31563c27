package restcore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/smokenet/smoke/pkg/node"
	"github.com/smokenet/smoke/pkg/rest/internal/wire"
)

// clientExchange is one request on a pooled socket. The socket goes back to the pool only when both halves ended
// cleanly: the request body was sent whole and the response's end arrived. Anything else (a cancelled context, a
// body closed early, an error either way) closes it, so a socket in an unknown state is never reused.
type clientExchange struct {
	pc   *clientConn
	ctx  context.Context
	stop func() bool // stops the context watch

	mu        sync.Mutex
	reqEnded  bool
	respEnded bool
	over      bool  // the socket went back to the pool or was closed
	noReuse   bool  // the server said it closes the socket after this response
	wErr      error // the request body's read error, if that is what failed
}

func newClientExchange(pc *clientConn, ctx context.Context, reqEnded bool) *clientExchange {
	ex := &clientExchange{pc: pc, ctx: ctx, reqEnded: reqEnded, stop: noStop}
	if ctx.Done() == nil {
		return ex // it cannot be cancelled (context.Background, as http.Client's Get uses)
	}
	// Cancelling the request closes the socket at once: the server sees it and cancels the handler. (stop is set
	// under mu because the callback may run at once, on another goroutine.)
	ex.mu.Lock()
	ex.stop = context.AfterFunc(ctx, func() { ex.abort(context.Cause(ctx)) })
	ex.mu.Unlock()
	return ex
}

func noStop() bool { return false }

func (ex *clientExchange) requestEnded() {
	ex.mu.Lock()
	ex.reqEnded = true
	reuse := ex.respEnded && !ex.over && !ex.noReuse
	ex.over = ex.over || reuse
	stop := ex.stop
	ex.mu.Unlock()
	if reuse {
		stop()
		ex.pc.t.pool.put(ex.pc)
	}
}

// responseEnded is called when the response's end arrived: the socket is reused if the request's body was sent
// whole, and closed if it is still being sent (the server answered without reading it all).
func (ex *clientExchange) responseEnded() {
	ex.mu.Lock()
	ex.respEnded = true
	wasOver := ex.over
	reuse := ex.reqEnded && !ex.over && !ex.noReuse
	ex.over = ex.over || reuse
	stop := ex.stop
	ex.mu.Unlock()
	if reuse {
		stop()
		ex.pc.t.pool.put(ex.pc)
	} else if !wasOver {
		ex.abort(errors.New("rest: socket not reusable after this response"))
	}
}

// abort closes the socket unless the exchange is already over; it is safe from any goroutine.
func (ex *clientExchange) abort(cause error) {
	ex.mu.Lock()
	if ex.over {
		ex.mu.Unlock()
		return
	}
	ex.over = true
	stop := ex.stop
	ex.mu.Unlock()
	stop()
	ex.pc.closeGracefully()
	ex.pc.t.pool.release(ex.pc.key)
}

func (ex *clientExchange) bodyErr() error {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	return ex.wErr
}

// writeBody streams the request body after the head: each Read's bytes become one data message, so a body fed
// slowly (a pipe) reaches the handler as it is written.
func (ex *clientExchange) writeBody(body io.ReadCloser, declared int64) {
	defer body.Close()
	buf := make([]byte, 2+inlineMax)
	var sent int64
	for {
		n, err := body.Read(buf[2:])
		sent += int64(n)
		if err == nil && n == 0 {
			continue
		}
		if err != nil && err != io.EOF {
			ex.failBody(fmt.Errorf("rest: reading request body: %w", err))
			return
		}
		if declared >= 0 && (sent > declared || err == io.EOF && sent != declared) {
			ex.failBody(fmt.Errorf("rest: request body is %d bytes, not its ContentLength %d", sent, declared))
			return
		}
		end := err == io.EOF
		if err := ex.pc.sock.Write(ex.ctx, node.MessageBinary, wire.AppendData(buf[:0], end, buf[2:2+n])); err != nil {
			// A server that closed the socket may have answered first (413, say): the response reader gets what
			// arrived, then the close. Any other failure leaves the socket in doubt.
			if node.CloseStatus(err) < 0 {
				ex.abort(err)
			}
			return
		}
		if end {
			ex.requestEnded()
			return
		}
	}
}

func (ex *clientExchange) failBody(err error) {
	ex.mu.Lock()
	ex.wErr = err
	ex.mu.Unlock()
	ex.abort(err)
}

// closeGracefully closes the socket with a close handshake, in the background.
func (pc *clientConn) closeGracefully() {
	go pc.sock.Close(node.StatusNormalClosure, "")
}
