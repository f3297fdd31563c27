package restcore

import (
	"context"
	"encoding/json"
	"io"
	"iter"
)

// DefaultRecordWindow is how many records a RecordWriter may run ahead of its reader when RecordOptions.Window is 0.
const DefaultRecordWindow = 16

// RecordOptions configures a RecordWriter. Nil means defaults.
type RecordOptions struct {
	// Window is how many records the writer may send beyond what the reader has consumed. 0: DefaultRecordWindow.
	Window int
}

// RecordWriter writes a response body of JSON records, each sent only when the client has room for it: at most
// Window records ahead of what the client's RecordReader has consumed. Over a ResponseWriter that is not this
// package's (httptest.ResponseRecorder, net/http's server) it writes NDJSON instead, one record per line with
// Content-Type application/x-ndjson, flushing after each, and without demand.
//
// A RecordWriter is used by the handler's goroutine; it is not safe for concurrent use.
type RecordWriter struct{ recordWriter }

// NewRecordWriter starts a record stream as the response body of w. Nothing may have been written to w yet.
func NewRecordWriter(w ResponseWriter, opts *RecordOptions) (*RecordWriter, error) {
	return newRecordWriter(w, opts)
}

// Write sends v, marshalled as JSON, as the next record. It blocks while the client has no room for another record,
// until it has, ctx is done, or the client goes away.
func (rw *RecordWriter) Write(ctx context.Context, v any) error { return rw.write(ctx, v) }

// WriteRaw sends records that are JSON already, each one JSON value (it is checked, and compacted), packing as
// many into each message as the client's demand allows. It blocks while the client has no room for more, until it
// has, ctx is done, or the client goes away. Records are sent in order; on an error, some may have been sent.
func (rw *RecordWriter) WriteRaw(ctx context.Context, records ...json.RawMessage) error {
	recs := make([][]byte, len(records))
	for i, r := range records {
		recs[i] = r
	}
	return rw.writeRaw(ctx, recs, true)
}

// WriteLines sends records that are compact JSON already, one per line (NDJSON without the last newline, or with
// it), as WriteRaw does, but trusting the caller that each line is one JSON value: only empty lines are refused.
// It suits records made by a JSON encoder, such as JavaScript's JSON.stringify, where WriteRaw's check would
// cost as much as the sending.
func (rw *RecordWriter) WriteLines(ctx context.Context, lines []byte) error {
	recs, err := splitLines(lines)
	if err != nil {
		return err
	}
	return rw.writeRaw(ctx, recs, false)
}

// Close ends the stream: the client's Next returns io.EOF after the last record. The handler should call it before
// it returns; a handler that returns without it ends the stream all the same.
func (rw *RecordWriter) Close() error { return rw.close() }

// RecordReader reads the JSON records of a response body, granting the server room for more as it consumes them.
// It reads NDJSON from any other response (Content-Type application/x-ndjson or application/jsonl).
//
// A RecordReader is not safe for concurrent use. Close the response body when done with it, as always.
type RecordReader struct{ recordReader }

// NewRecordReader reads resp's body as records.
func NewRecordReader(resp *Response) (*RecordReader, error) { return newRecordReader(resp) }

// All returns the records as an iterator, up to the end (not yielded) or the first error, which it yields with a nil
// record. Use it with package query's operators (pkg/idb/query: query.Values turns it into an iter.Seq).
func (rr *RecordReader) All(ctx context.Context) iter.Seq2[json.RawMessage, error] {
	return func(yield func(json.RawMessage, error) bool) {
		for {
			rec, err := rr.Next(ctx)
			if err == io.EOF {
				return
			}
			if !yield(rec, err) || err != nil {
				return
			}
		}
	}
}

// Buffered returns how many records Next can return without reading from the network: the rest of the message
// the last record came in (records travel several to a message). 0 for NDJSON.
func (rr *RecordReader) Buffered() int { return rr.buffered() }

// Next returns the next record, or io.EOF after the last. Cancelling ctx makes Next return ctx.Err() without
// losing a record or harming the stream.
func (rr *RecordReader) Next(ctx context.Context) (json.RawMessage, error) { return rr.next(ctx) }
