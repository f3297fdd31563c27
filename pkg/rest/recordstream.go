package rest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/smokenet/smoke/pkg/rest/internal/wire"
)

const ndjson = "application/x-ndjson"

// recordWriter is a RecordWriter's state: over a rest socket (r), or NDJSON over any other ResponseWriter (w).
type recordWriter struct {
	r      *response
	w      http.ResponseWriter
	closed bool
}

func newRecordWriter(w http.ResponseWriter, opts *RecordOptions) (*RecordWriter, error) {
	window := DefaultRecordWindow
	if opts != nil && opts.Window > 0 {
		window = opts.Window
	}
	if window > wire.MaxWindow {
		return nil, fmt.Errorf("rest: record window %d is over %d", window, wire.MaxWindow)
	}
	if _, ok := w.Header()["Content-Type"]; !ok {
		w.Header().Set("Content-Type", ndjson)
	}
	r := asResponse(w)
	if r == nil {
		return &RecordWriter{recordWriter{w: w}}, nil
	}
	switch {
	case r.headSent || r.written > 0 || r.ended:
		return nil, fmt.Errorf("%w: NewRecordWriter after the body began", ErrBodyKind)
	case r.kind == wire.KindRecords:
		return nil, fmt.Errorf("%w: the response already has a RecordWriter", ErrBodyKind)
	case r.wroteHeader && !bodyAllowed(r.status):
		return nil, http.ErrBodyNotAllowed
	}
	r.mu.Lock()
	r.kind, r.window, r.credit = wire.KindRecords, int64(window), int64(window)
	r.demand = make(chan struct{}, 1)
	r.mu.Unlock()
	return &RecordWriter{recordWriter{r: r}}, nil
}

func (rw *recordWriter) write(ctx context.Context, v any) error {
	if rw.closed {
		return errors.New("rest: write to a closed RecordWriter")
	}
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if rw.r == nil {
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, err := rw.w.Write(append(data, '\n')); err != nil {
			return err
		}
		return http.NewResponseController(rw.w).Flush()
	}
	r := rw.r
	if r.err != nil {
		return r.err
	}
	if r.ended {
		return errors.New("rest: record write after the response ended")
	}
	if !r.wroteHeader {
		r.WriteHeader(http.StatusOK)
	}
	for {
		r.mu.Lock()
		ok := r.credit > 0
		if ok {
			r.credit--
		}
		r.mu.Unlock()
		if ok {
			break
		}
		r.ex.c.needReader() // the demand comes through the reader
		select {
		case <-r.demand:
		case <-ctx.Done():
			return ctx.Err()
		case <-r.ex.ctx.Done():
			return fmt.Errorf("rest: record stream: %w", context.Cause(r.ex.ctx))
		}
	}
	r.buf = append(r.buf[:dataHead], data...) // one record per message (SPEC.md §4)
	return r.send(false)
}

func (rw *recordWriter) close() error {
	if rw.closed {
		return nil
	}
	rw.closed = true
	if rw.r == nil {
		return nil
	}
	r := rw.r
	if r.ended {
		return nil
	}
	if r.err != nil {
		return r.err
	}
	if !r.wroteHeader {
		r.WriteHeader(http.StatusOK)
	}
	r.buf = r.buf[:dataHead]
	return r.send(true)
}

// recordReader is a RecordReader's state: a record stream from a rest socket (b), or NDJSON from any body (dec).
type recordReader struct {
	b   *responseBody
	dec *json.Decoder
}

func newRecordReader(resp *http.Response) (*RecordReader, error) {
	if b, ok := resp.Body.(*responseBody); ok && b.kind == wire.KindRecords {
		return &RecordReader{recordReader{b: b}}, nil
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	switch mt {
	case ndjson, "application/jsonl", "application/ndjson":
		return &RecordReader{recordReader{dec: json.NewDecoder(resp.Body)}}, nil
	}
	return nil, fmt.Errorf("%w (kind %v, Content-Type %q)", ErrNotRecords, BodyKind(resp), mt)
}

func (rr *recordReader) next(ctx context.Context) (json.RawMessage, error) {
	if rr.b != nil {
		return rr.b.nextRecord(ctx)
	}
	// NDJSON: the body's own reads cannot be cancelled; ctx is checked between records.
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var raw json.RawMessage
	if err := rr.dec.Decode(&raw); err != nil {
		if err == io.EOF {
			return nil, io.EOF
		}
		return nil, fmt.Errorf("rest: reading NDJSON record: %w", err)
	}
	return raw, nil
}
