package main

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"syscall/js"

	"github.com/smokenet/smoke/internal/jsx"
	"github.com/smokenet/smoke/pkg/rest/restcore"
)

// jsRecords is the record stream of a fetched response (restcore's records kind), read by response.query(): each
// recordsRead takes the next record and every record already received with it, as one string of JSON records
// joined by newlines, which JavaScript parses as one array. Records are read only as JavaScript asks, so the
// server's demand follows the query's consumption.
type jsRecords struct {
	id     int
	reg    *registry
	rr     *restcore.RecordReader
	body   io.Closer
	ctx    context.Context
	done   func() // ends the request's context; called once when the stream is over
	errFor func(error) error

	mu       sync.Mutex
	reading  bool
	canceled bool
	overOnce sync.Once
}

// recordsBatch is the most records one recordsRead hands over.
const recordsBatch = 1024

func (reg *registry) newRecords(ctx context.Context, resp *restcore.Response, done func(), errFor func(error) error) (*jsRecords, error) {
	rr, err := restcore.NewRecordReader(resp)
	if err != nil {
		return nil, err
	}
	s := &jsRecords{reg: reg, rr: rr, body: resp.Body, ctx: ctx, done: done, errFor: errFor}
	s.id = reg.add(s)
	return s, nil
}

func (s *jsRecords) over() {
	s.overOnce.Do(func() {
		s.reg.remove(s.id)
		s.body.Close()
		if s.done != nil {
			s.done()
		}
	})
}

// cancel stops the stream: the body is closed, which closes the socket and so cancels the server's handler.
func (s *jsRecords) cancel(error) {
	s.mu.Lock()
	s.canceled = true
	s.mu.Unlock()
	go func() {
		defer guard("closing a record stream")
		s.over()
	}()
}

// recordsRead(stream, resolve, reject): resolve with the next records (a string of JSON records joined by newlines),
// or with null at the end.
func (r *registry) recordsRead(a args) (any, error) {
	s, ok := lookup[*jsRecords](r, a.int(0))
	cb := callbacksArg(a, 1)
	if !ok {
		cb.ok(js.Null()) // over: read to the end, or cancelled
		return nil, nil
	}
	return s.start(cb, func(recs string) js.Value { return js.ValueOf(recs) })
}

// readBytes is bodyRead for a record stream read as bytes (text(), a ReadableStream): NDJSON, each record a line.
func (s *jsRecords) readBytes(cb *callbacks) (any, error) {
	if cb == nil {
		return nil, typeError("bodyRead needs resolve and reject")
	}
	return s.start(cb, func(recs string) js.Value {
		b := make([]byte, 0, len(recs)+1)
		return jsx.Uint8Array(append(append(b, recs...), '\n'))
	})
}

// start reads the next records in a goroutine and settles cb with them, converted by value, or with null at the end.
func (s *jsRecords) start(cb *callbacks, value func(string) js.Value) (any, error) {
	s.mu.Lock()
	if s.reading {
		s.mu.Unlock()
		return nil, typeError("smoke: a record stream has one reader at a time")
	}
	s.reading = true
	s.mu.Unlock()
	go func() {
		defer guard("reading a record stream")
		recs, err := s.read()
		s.mu.Lock()
		s.reading = false
		canceled := s.canceled
		s.mu.Unlock()
		switch {
		case canceled:
			cb.ok(js.Null())
		case err == io.EOF:
			s.over()
			cb.ok(js.Null())
		case err != nil:
			s.over()
			cb.fail(s.errFor(err))
		default:
			cb.ok(value(recs))
		}
	}()
	return nil, nil
}

// read waits for the next record and takes the ones that came with it.
func (s *jsRecords) read() (string, error) {
	rec, err := s.rr.Next(s.ctx)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.Write(rec)
	for n := 1; n < recordsBatch && s.rr.Buffered() > 0; n++ {
		rec, err := s.rr.Next(s.ctx)
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return "", err
		}
		b.WriteByte('\n')
		b.Write(rec)
	}
	return b.String(), nil
}
