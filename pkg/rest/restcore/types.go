package restcore

import (
	"context"
	"errors"
	"io"
	"net/url"

	"github.com/smokenet/smoke/pkg/rest/internal/wire"
)

// This file declares the request, response and handler types of the protocol in place of net/http's. The fields
// mean what net/http's fields of the same names mean, so pkg/rest converts between the two by copying them.

// Header is a head's fields by canonical name, as Header is; the two convert freely and share the map.
type Header = wire.Header

// Request is a request as a handler receives it or a client sends it.
type Request struct {
	Method        string
	URL           *url.URL
	Proto         string // "HTTP/1.1"
	ProtoMajor    int
	ProtoMinor    int
	Header        Header
	Body          io.ReadCloser // never nil on the server; nil or NoBody means none on the client
	GetBody       func() (io.ReadCloser, error)
	ContentLength int64 // -1: unknown
	Host          string
	RemoteAddr    string // server only: the client node's address and port, "address:port"
	RequestURI    string // server only: the target as sent, "/a?b"

	ctx context.Context
}

// Context returns the request's context: on the server, cancelled when the client goes away, the handler returns
// or the server closes; on the client, the one given to WithContext.
func (r *Request) Context() context.Context {
	if r.ctx != nil {
		return r.ctx
	}
	return context.Background()
}

// WithContext returns a shallow copy of r with its context set to ctx.
func (r *Request) WithContext(ctx context.Context) *Request {
	if ctx == nil {
		panic("restcore: nil context")
	}
	r2 := *r
	r2.ctx = ctx
	return &r2
}

// Response is a response as a client receives it.
type Response struct {
	Status        string // "200 OK"
	StatusCode    int
	Proto         string // "HTTP/1.1"
	ProtoMajor    int
	ProtoMinor    int
	Header        Header
	Body          io.ReadCloser // never nil
	ContentLength int64         // -1: unknown
	Request       *Request
}

// ResponseWriter is what a handler answers through, as with ResponseWriter; Flush sends the head and what is
// buffered now (http.ResponseController's Flush).
type ResponseWriter interface {
	Header() Header
	Write([]byte) (int, error)
	WriteHeader(status int)
	Flush() error
}

// Handler answers requests. A panic in ServeREST is recovered: the client gets a 500 if nothing was sent yet, and
// otherwise a cut response; panic(ErrAbortHandler) cuts the response without logging.
type Handler interface {
	ServeREST(ResponseWriter, *Request)
}

// HandlerFunc adapts a function to a Handler.
type HandlerFunc func(ResponseWriter, *Request)

// ServeREST calls f(w, r).
func (f HandlerFunc) ServeREST(w ResponseWriter, r *Request) { f(w, r) }

// The errors net/http has under the same names, with the same texts.
var (
	ErrAbortHandler       = errors.New("net/http: abort Handler")
	ErrBodyNotAllowed     = errors.New("http: request method or response status code does not allow body")
	ErrContentLength      = errors.New("http: wrote more than the declared Content-Length")
	ErrBodyReadAfterClose = errors.New("http: invalid Read on closed Body")
)

// MaxBytesError is what reading a request body over the Server's MaxBodyBytes returns.
type MaxBytesError struct{ Limit int64 }

func (e *MaxBytesError) Error() string { return "http: request body too large" }

// NoBody is an empty body.
var NoBody = noBody{}

type noBody struct{}

func (noBody) Read([]byte) (int, error)         { return 0, io.EOF }
func (noBody) Close() error                     { return nil }
func (noBody) WriteTo(io.Writer) (int64, error) { return 0, nil }
