package restcore

import (
	"io"
	"sync"
)

// requestBody is the r.Body of a request whose body streams after its head. The socket's reader goroutine hands it
// each chunk and waits until the handler takes it, so an unread body stops the reader and, through the socket's
// flow control, the client. (So a handler that streams records must read the request body first, or close it.)
type requestBody struct {
	ch     chan []byte   // chunks; closed at the body's end
	closed chan struct{} // closed by Close: nobody will read again
	failed chan struct{} // closed by fail, after err is set
	err    error

	closeOnce, failOnce sync.Once

	// The handler's goroutine only.
	buf      []byte
	eof      bool
	limit, n int64
	exceeded bool
}

func newRequestBody(limit int64) *requestBody {
	return &requestBody{ch: make(chan []byte), closed: make(chan struct{}), failed: make(chan struct{}), limit: limit}
}

// deliver hands p to the handler, or drops it if the handler is done with the body.
func (b *requestBody) deliver(p []byte) {
	select {
	case b.ch <- p:
	case <-b.closed:
	}
}

// end marks the end of the body; only the goroutine that calls deliver calls it.
func (b *requestBody) end() { close(b.ch) }

// fail makes reads fail with err once what was delivered is read.
func (b *requestBody) fail(err error) {
	b.failOnce.Do(func() {
		b.err = err
		close(b.failed)
	})
}

func (b *requestBody) Read(p []byte) (int, error) {
	if len(b.buf) == 0 {
		if b.eof {
			return 0, io.EOF
		}
		if b.exceeded {
			return 0, &MaxBytesError{Limit: b.limit}
		}
		select {
		case data, ok := <-b.ch:
			if !ok {
				b.eof = true
				return 0, io.EOF
			}
			b.n += int64(len(data))
			if b.limit > 0 && b.n > b.limit {
				b.exceeded = true
				return 0, &MaxBytesError{Limit: b.limit}
			}
			b.buf = data
		case <-b.failed:
			return 0, b.err
		case <-b.closed:
			return 0, ErrBodyReadAfterClose
		}
	}
	n := copy(p, b.buf)
	b.buf = b.buf[n:]
	return n, nil
}

func (b *requestBody) Close() error {
	b.closeOnce.Do(func() { close(b.closed) })
	return nil
}
