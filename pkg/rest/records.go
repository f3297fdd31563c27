package rest

import (
	"net/http"

	"github.com/smokenet/smoke/pkg/rest/restcore"
)

// NewRecordWriter starts a record stream as the response body of w. Nothing may have been written to w yet.
func NewRecordWriter(w http.ResponseWriter, opts *RecordOptions) (*RecordWriter, error) {
	cw := coreWriter(w)
	if cw == nil {
		cw = ndjsonWriter{w}
	}
	rw, err := restcore.NewRecordWriter(cw, opts)
	return rw, httpError(err)
}

// NewRecordReader reads resp's body as records.
func NewRecordReader(resp *http.Response) (*RecordReader, error) {
	return restcore.NewRecordReader(coreResponse(resp))
}

// SetBodyKind marks the body of the response w writes as kind k. It must be called before the head is sent (the
// first Write or Flush); k is KindBytes or KindMedia (record streams start with NewRecordWriter). Over a
// ResponseWriter that is not this package's it does nothing and returns nil: the kind only exists on rest sockets.
func SetBodyKind(w http.ResponseWriter, k Kind) error {
	if cw := coreWriter(w); cw != nil {
		return restcore.SetBodyKind(cw, k)
	}
	return nil
}

// BodyKind returns the kind of body of a response this package's Transport received, and KindBytes for any other
// response.
func BodyKind(resp *http.Response) Kind { return restcore.BodyKind(coreResponse(resp)) }

// ndjsonWriter is a ResponseWriter that is not this package's (httptest's, net/http's server's) as restcore sees
// it: a RecordWriter over it writes NDJSON.
type ndjsonWriter struct{ w http.ResponseWriter }

func (n ndjsonWriter) Header() restcore.Header     { return restcore.Header(n.w.Header()) }
func (n ndjsonWriter) Write(p []byte) (int, error) { return n.w.Write(p) }
func (n ndjsonWriter) WriteHeader(code int)        { n.w.WriteHeader(code) }
func (n ndjsonWriter) Flush() error                { return http.NewResponseController(n.w).Flush() }
