package restcore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/smokenet/smoke/pkg/rest/internal/wire"
)

const ndjson = "application/x-ndjson"

// recordWriter is a RecordWriter's state: over a rest socket (r), or NDJSON over any other ResponseWriter (w).
type recordWriter struct {
	r      *response
	w      ResponseWriter
	closed bool
}

func newRecordWriter(w ResponseWriter, opts *RecordOptions) (*RecordWriter, error) {
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
		return nil, ErrBodyNotAllowed
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
	return rw.writeRaw(ctx, [][]byte{data}, false)
}

// splitLines splits records joined by newlines; an empty one is an error.
func splitLines(b []byte) ([][]byte, error) {
	b = bytes.TrimSuffix(b, []byte{'\n'})
	out := make([][]byte, 0, bytes.Count(b, []byte{'\n'})+1)
	for {
		i := bytes.IndexByte(b, '\n')
		rec := b
		if i >= 0 {
			rec = b[:i]
		}
		if len(rec) == 0 {
			return nil, fmt.Errorf("rest: record %d is empty", len(out))
		}
		out = append(out, rec)
		if i < 0 {
			return out, nil
		}
		b = b[i+1:]
	}
}

// maxRecordMessage is how many bytes of records one message carries at most, unless one record alone is larger.
const maxRecordMessage = 64 << 10

// writeRaw sends records, each one JSON value, packing into each message as many as the client's credit and
// maxRecordMessage allow (SPEC.md §4). check: the records come from outside and are validated and compacted
// (a record must not contain a newline); records from json.Marshal are compact already.
func (rw *recordWriter) writeRaw(ctx context.Context, records [][]byte, check bool) error {
	if rw.closed {
		return errors.New("rest: write to a closed RecordWriter")
	}
	if check {
		for i, rec := range records {
			var b bytes.Buffer
			if err := json.Compact(&b, rec); err != nil {
				return fmt.Errorf("rest: record %d: %w", i, err)
			}
			if b.Len() == 0 {
				return fmt.Errorf("rest: record %d is empty", i)
			}
			records[i] = b.Bytes()
		}
	}
	if rw.r == nil {
		if err := ctx.Err(); err != nil {
			return err
		}
		var buf []byte
		for _, rec := range records {
			buf = append(append(buf, rec...), '\n')
		}
		if _, err := rw.w.Write(buf); err != nil {
			return err
		}
		return rw.w.Flush()
	}
	r := rw.r
	if r.err != nil {
		return r.err
	}
	if r.ended {
		return errors.New("rest: record write after the response ended")
	}
	if !r.wroteHeader {
		r.WriteHeader(StatusOK)
	}
	for len(records) > 0 {
		var credit int64
		for {
			r.mu.Lock()
			credit = r.credit
			r.mu.Unlock()
			if credit > 0 {
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
		// As many records as the credit allows, up to maxRecordMessage bytes (at least one), joined by newlines.
		r.buf = append(r.buf[:dataHead], records[0]...)
		k := int64(1)
		for k < credit && int(k) < len(records) && len(r.buf)-dataHead+1+len(records[k]) <= maxRecordMessage {
			r.buf = append(append(r.buf, '\n'), records[k]...)
			k++
		}
		r.mu.Lock()
		r.credit -= k
		r.mu.Unlock()
		records = records[k:]
		if err := r.send(false); err != nil {
			return err
		}
	}
	return nil
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
		r.WriteHeader(StatusOK)
	}
	r.buf = r.buf[:dataHead]
	return r.send(true)
}

// recordReader is a RecordReader's state: a record stream from a rest socket (b), or NDJSON from any body (dec).
type recordReader struct {
	b   *responseBody
	dec *json.Decoder
}

func newRecordReader(resp *Response) (*RecordReader, error) {
	if b, ok := resp.Body.(*responseBody); ok && b.kind == wire.KindRecords {
		return &RecordReader{recordReader{b: b}}, nil
	}
	mt := mediaType(resp.Header.Get("Content-Type"))
	switch mt {
	case ndjson, "application/jsonl", "application/ndjson":
		return &RecordReader{recordReader{dec: json.NewDecoder(resp.Body)}}, nil
	}
	return nil, fmt.Errorf("%w (kind %v, Content-Type %q)", ErrNotRecords, BodyKind(resp), mt)
}

// buffered returns how many records Next returns without reading from the network.
func (rr *recordReader) buffered() int {
	if rr.b == nil {
		return 0 // NDJSON: not known; Next may read
	}
	return rr.b.bufferedRecords()
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

// mediaType is the media type of a Content-Type, lower case, without parameters: what mime.ParseMediaType returns
// first, for the types a record stream can have (package mime would add 40 kB to smoke.wasm).
func mediaType(contentType string) string {
	mt, _, _ := strings.Cut(contentType, ";")
	return strings.ToLower(strings.TrimSpace(mt))
}
