package rest

import (
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/smokenet/smoke/pkg/node"
	"github.com/smokenet/smoke/pkg/rest/restcore"
)

// Transport is an http.RoundTripper for rest:// URLs over a node's sockets: rest://address[:port]/path?query.
// The port defaults to 80 and an empty host means "localhost" (the node itself); a host that is not a node address
// is looked up as a hostname on the node's hub.
//
// It keeps sockets alive between requests, one request at a time per socket, and pools idle ones per (host, port).
// A Transport is safe for concurrent use; reuse one rather than making one per request. Do not change its fields
// after its first request.
type Transport struct {
	Node                  *node.Node    // required
	MaxConnsPerHost       int           // 0: 64 concurrent sockets per (host, port); more requests wait
	MaxIdleConnsPerHost   int           // 0: 8
	IdleConnTimeout       time.Duration // 0: 90 s; an idle socket is closed after this long
	ResponseHeaderTimeout time.Duration // 0: none (the request context governs)
	MaxHeaderBytes        int           // 0: DefaultMaxHeaderBytes; bounds a response head

	once sync.Once
	t    *restcore.Transport // the protocol's client, made from the fields above on first use
}

var _ http.RoundTripper = (*Transport)(nil)

// RoundTrip sends req over a pooled or new socket and returns the response once its head has arrived; the body
// streams from the socket as it is read. As http.RoundTripper requires, it closes req.Body, and it does not
// modify req. Cancelling req's context closes the socket, which cancels the handler's context on the server.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	body := req.Body
	if body == http.NoBody {
		body = nil
	}
	r := (&restcore.Request{
		Method:        req.Method,
		URL:           req.URL,
		Header:        restcore.Header(req.Header),
		Body:          body,
		GetBody:       req.GetBody,
		ContentLength: req.ContentLength,
		Host:          req.Host,
	}).WithContext(req.Context())
	resp, err := t.core().RoundTrip(r)
	if err != nil {
		return nil, err
	}
	return &http.Response{
		Status:        resp.Status,
		StatusCode:    resp.StatusCode,
		Proto:         resp.Proto,
		ProtoMajor:    resp.ProtoMajor,
		ProtoMinor:    resp.ProtoMinor,
		Header:        http.Header(resp.Header),
		Body:          responseBody{resp.Body},
		ContentLength: resp.ContentLength,
		Request:       req,
	}, nil
}

// CloseIdleConnections closes the sockets that are idle in the pool. Sockets in use are not affected.
func (t *Transport) CloseIdleConnections() { t.core().CloseIdleConnections() }

// NewClient returns an http.Client whose Transport is a new Transport on n.
func NewClient(n *node.Node) *http.Client { return &http.Client{Transport: &Transport{Node: n}} }

func (t *Transport) core() *restcore.Transport {
	t.once.Do(func() {
		t.t = &restcore.Transport{
			Node:                  t.Node,
			MaxConnsPerHost:       t.MaxConnsPerHost,
			MaxIdleConnsPerHost:   t.MaxIdleConnsPerHost,
			IdleConnTimeout:       t.IdleConnTimeout,
			ResponseHeaderTimeout: t.ResponseHeaderTimeout,
			MaxHeaderBytes:        t.MaxHeaderBytes,
		}
	})
	return t.t
}

// responseBody is a response body from this package's Transport, whose errors are net/http's.
type responseBody struct{ io.ReadCloser }

func (b responseBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	return n, httpError(err)
}

// coreResponse is resp as restcore sees it: BodyKind and NewRecordReader look at the body restcore made.
func coreResponse(resp *http.Response) *restcore.Response {
	body := resp.Body
	if b, ok := body.(responseBody); ok {
		body = b.ReadCloser
	}
	return &restcore.Response{Header: restcore.Header(resp.Header), Body: body, StatusCode: resp.StatusCode}
}
