package restcore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/smokenet/smoke/pkg/node"
	"github.com/smokenet/smoke/pkg/rest/internal/wire"
)

// responseBody is the resp.Body of a response from a rest socket: the body bytes that came with the head, then one
// data message at a time from the socket as they are read. A record stream reads as NDJSON through Read, or record
// by record through a RecordReader; either way the server is granted demand as records are consumed.
type responseBody struct {
	ex     *clientExchange
	kind   byte
	window int64

	buf      []byte // bytes not read yet
	rec      bool   // buf is whole records (records only), joined by newlines: a newline follows the last in Read
	left     int    // records in buf (records only)
	done     bool   // the end arrived
	err      error  // sticky failure
	declared int64  // the head's content length, -1 if unknown
	received int64
	consumed int64 // records handed out since the last demand

	closed atomic.Bool
}

func (b *responseBody) Read(p []byte) (int, error) {
	if b.closed.Load() {
		return 0, ErrBodyReadAfterClose
	}
	for len(b.buf) == 0 && !b.rec {
		if err := b.next(b.ex.ctx); err != nil {
			return 0, err
		}
	}
	if len(p) == 0 {
		return 0, nil
	}
	if len(b.buf) > 0 {
		n := copy(p, b.buf)
		b.buf = b.buf[n:]
		if b.rec {
			// Records of one message are joined by newlines: each newline read ends a record.
			for range bytes.Count(p[:n], newline) {
				b.left--
				if err := b.consumedRecord(); err != nil {
					return n, err
				}
			}
		}
		return n, nil
	}
	p[0] = '\n'
	b.rec, b.left = false, 0
	if err := b.consumedRecord(); err != nil {
		return 1, err
	}
	return 1, nil
}

var newline = []byte{'\n'}

// bufferedRecords returns how many records of the last message are not read yet.
func (b *responseBody) bufferedRecords() int {
	if !b.rec {
		return 0
	}
	return b.left
}

// nextRecord returns the next whole record of a record stream.
func (b *responseBody) nextRecord(ctx context.Context) ([]byte, error) {
	if b.closed.Load() {
		return nil, ErrBodyReadAfterClose
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for !b.rec {
		if len(b.buf) > 0 {
			return nil, fmt.Errorf("rest: record stream read partly with Read")
		}
		if err := b.next(ctx); err != nil {
			return nil, err
		}
	}
	// A message holds one or more records joined by newlines (SPEC.md §4).
	var r []byte
	if i := bytes.IndexByte(b.buf, '\n'); i >= 0 {
		r, b.buf = b.buf[:i], b.buf[i+1:]
	} else {
		r, b.buf, b.rec = b.buf, nil, false
	}
	b.left--
	if err := b.consumedRecord(); err != nil {
		return nil, err
	}
	return r, nil
}

// next reads the next data message into buf. It returns io.EOF at the end, the body's failure, or ctx's error when
// ctx is not the request's (a RecordReader's Next): that leaves the stream intact.
func (b *responseBody) next(ctx context.Context) error {
	if b.err != nil {
		return b.err
	}
	if b.done {
		return io.EOF
	}
	_, msg, err := b.ex.pc.sock.Read(ctx)
	if err != nil {
		if ctx != b.ex.ctx && ctx.Err() != nil && b.ex.ctx.Err() == nil {
			return ctx.Err()
		}
		return b.fail(err)
	}
	end, data, err := wire.DecodeData(msg)
	if err != nil {
		return b.fail(fmt.Errorf("%w: %w", ErrProtocol, err))
	}
	b.received += int64(len(data))
	if b.declared >= 0 && (b.received > b.declared || end && b.received != b.declared) {
		return b.fail(fmt.Errorf("%w: response body is not the %d bytes its head declared", ErrProtocol, b.declared))
	}
	if b.kind == wire.KindRecords && (len(data) == 0 && !end ||
		len(data) > 0 && (data[0] == '\n' || data[len(data)-1] == '\n' || bytes.Contains(data, []byte("\n\n")))) {
		return b.fail(fmt.Errorf("%w: empty record", ErrProtocol))
	}
	b.buf = data
	b.rec = b.kind == wire.KindRecords && len(data) > 0
	if b.rec {
		b.left = 1 + bytes.Count(data, newline) // once per message: Buffered is asked after every record
	}
	if end {
		b.done = true
		b.ex.responseEnded()
	}
	return nil
}

// fail ends the body with err (the request's context error, if that is what happened) and closes the socket.
func (b *responseBody) fail(err error) error {
	if cerr := b.ex.ctx.Err(); cerr != nil {
		err = cerr
	} else if b.closed.Load() {
		err = ErrBodyReadAfterClose
	} else {
		err = fmt.Errorf("rest: reading response body: %w", err)
	}
	b.err = err
	b.ex.abort(err)
	return err
}

// consumedRecord counts a record handed to the application, and grants the server demand for more once half a
// window has been consumed (so the server rarely waits, and demand costs one message per half window).
func (b *responseBody) consumedRecord() error {
	b.consumed++
	if b.done || b.consumed < max(1, b.window/2) {
		return nil
	}
	n := b.consumed
	b.consumed = 0
	if err := b.ex.pc.sock.Write(b.ex.ctx, node.MessageBinary, wire.AppendDemand(nil, uint64(n))); err != nil {
		return b.fail(err)
	}
	return nil
}

// Close ends the body; before the end arrived, that closes the socket, which cancels the handler.
func (b *responseBody) Close() error {
	if b.closed.Swap(true) {
		return nil
	}
	b.ex.abort(errClosedEarly) // a no-op if the end arrived
	return nil
}

var errClosedEarly = errors.New("rest: response body closed before its end")

func bodyKind(resp *Response) Kind {
	if b, ok := resp.Body.(*responseBody); ok {
		return Kind(b.kind)
	}
	return KindBytes
}
