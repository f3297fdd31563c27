package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"syscall/js"
	"time"

	"github.com/smokenet/smoke/internal/jsx"
	"github.com/smokenet/smoke/pkg/rest/restcore"
)

// transport returns the node's REST transport, one per node so that its sockets are pooled across fetches.
func (jn *jsNode) transport() *restcore.Transport {
	jn.mu.Lock()
	defer jn.mu.Unlock()
	if jn.rt == nil {
		jn.rt = &restcore.Transport{Node: jn.n}
	}
	return jn.rt
}

// restInlineMax is the largest response body (by Content-Length) that restFetch reads before it resolves.
const restInlineMax = 64 << 10

// restFetch(node, request, body, signal, timeout, done): start a request. request is url, method, redirect, then the
// headers as name, value, ..., packed (packStrings); url is absolute (rest://...), redirect 'follow', 'manual' or
// 'error'. body is undefined, a Uint8Array, or a pull source { read, cancel }; signal an AbortSignal or undefined;
// timeout milliseconds (0: none). done is called once: done(error) when the request failed, or done(undefined,
// head, status, body, redirected, inline) once the response head has come, where head is statusText, url, kind,
// then the headers, packed; body a handle for bodyRead, or 0 when the body is inline or absent; inline undefined
// (no inline body), 0 (an empty one) or a Uint8Array.
func (r *registry) restFetch(a args) (any, error) {
	jn, err := r.node(a, 0)
	if err != nil {
		return nil, err
	}
	parts, err := unpackStrings(a.val(1), "request")
	if err != nil {
		return nil, err
	}
	if len(parts) < 3 {
		return nil, typeError("restFetch needs url, method and redirect")
	}
	rawURL, method, redirect := parts[0], parts[1], parts[2]
	hv := parts[3:]
	timeout, done := a.int(4), a.val(5)

	ctx, cancelSignal := jsx.WithSignal(jn.ctx, a.val(3))
	cancel := cancelSignal
	if timeout > 0 {
		var cancelTimeout context.CancelFunc
		ctx, cancelTimeout = context.WithTimeout(ctx, time.Duration(timeout)*time.Millisecond)
		cancel = func() { cancelTimeout(); cancelSignal() }
	}
	fail := func(err error) (any, error) {
		cancel()
		return nil, err
	}

	var body io.Reader
	switch b := a.val(2); {
	case b.IsUndefined() || b.IsNull():
	case b.InstanceOf(uint8ArrayCtor):
		data, _ := jsx.Bytes(b)
		body = bytes.NewReader(data)
	default:
		pr, err := newPullReader(ctx, b)
		if err != nil {
			return fail(err)
		}
		body = pr
	}
	req, err := newRequest(ctx, method, rawURL, body)
	if err != nil {
		return fail(typeError("cannot fetch %s: %v", rawURL, plain(err.Error())))
	}
	for i := 0; i+1 < len(hv); i += 2 {
		req.Header.Add(hv[i], hv[i+1])
	}
	rt := jn.transport()
	errFor := func(err error) error { return fetchError(ctx, rawURL, err) }

	go func() {
		defer guard("a fetch")
		resp, err := follow(rt, req, redirect)
		if err != nil {
			err = errFor(err)
			cancel()
			_, _ = fastInvoke(done, jsx.ErrorValue(err))
			return
		}
		bodyID := 0
		inline := js.Undefined() // a small body, read here: it came in the head's message
		switch {
		case method == "HEAD" || resp.StatusCode == restcore.StatusNoContent || resp.StatusCode == restcore.StatusNotModified:
			resp.Body.Close()
			cancel()
		case resp.ContentLength >= 0 && resp.ContentLength <= restInlineMax:
			// A small body of known length is read before the head goes to JavaScript: restcore sends it in the
			// head's own message, so this does not wait, and JavaScript gets it without a bodyRead round trip.
			b := make([]byte, resp.ContentLength)
			_, err := io.ReadFull(resp.Body, b)
			resp.Body.Close()
			if err != nil {
				err = errFor(err)
				cancel()
				_, _ = fastInvoke(done, jsx.ErrorValue(err))
				return
			}
			cancel()
			if len(b) == 0 {
				inline = js.ValueOf(0)
			} else {
				inline = jsx.Uint8Array(b)
			}
		case restcore.BodyKind(resp) == restcore.KindRecords:
			// A record stream is read record by record, as response.query() consumes it (rest_records_js.go).
			recs, err := r.newRecords(ctx, resp, cancel, errFor)
			if err != nil {
				resp.Body.Close()
				cancel()
				_, _ = fastInvoke(done, jsx.ErrorValue(errFor(err)))
				return
			}
			bodyID = recs.id
		default:
			bodyID = r.newBody(resp.Body, cancel, errFor).id
		}
		// The kind of body restcore says this is: 'records' is read by response.query(); media ('media') has no
		// JavaScript API yet (response.mediastream()) and reads as bytes.
		kind := restcore.BodyKind(resp).String()
		parts := make([]string, 0, 3+2*len(resp.Header))
		parts = append(parts, statusText(resp), resp.Request.URL.String(), kind)
		_, _ = fastInvoke(done, js.Undefined(), packStrings(appendHeader(parts, resp.Header)), resp.StatusCode, bodyID,
			resp.Request != req, inline)
	}()
	return nil, nil
}

// statusText is the reason phrase of resp.Status ("404 Not Found" → "Not Found").
func statusText(resp *restcore.Response) string {
	if _, text, ok := strings.Cut(resp.Status, " "); ok {
		return text
	}
	return restcore.StatusText(resp.StatusCode)
}

// fetchError is the error a fetch (or the reading of its body) rejects with.
func fetchError(ctx context.Context, rawURL string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // its text repeats method and URL
	}
	op := "cannot fetch " + rawURL
	// What ended the request's context, if anything did: the node's dispose, the timeout, or the signal (whose
	// reason is a JavaScript value). Our own cancel, after the fact, has no cause of its own.
	cause := context.Cause(ctx)
	var reason *jsx.Error
	switch {
	case errors.Is(cause, errDisposed):
		err = cause
	case errors.Is(cause, context.DeadlineExceeded):
		err = fmt.Errorf("timed out: %w", context.DeadlineExceeded)
	case errors.As(cause, &reason):
		// Aborted through the signal: the reason is the cause, and names the error (an AbortError, usually).
		return coded(op, fmt.Errorf("%w: %w", errFetchAborted, cause))
	case errors.Is(err, errRedirect):
		return &jsx.Error{Name: "TypeError", Message: "smoke: " + op + ": the server redirected, and the request said redirect: 'error'", Code: "ERR_REDIRECT"}
	}
	return coded(op, err)
}

// maxRedirects is how many redirects fetch follows, as browsers do (Fetch standard: 20).
const maxRedirects = 20

// follow runs req through rt and follows redirects as fetch does with redirect 'follow' ('manual' returns the
// redirect response itself; 'error' fails with errRedirect). It does what http.Client would, without net/http,
// whose mere import links TLS and X.509 code into smoke.wasm although a node never dials TCP (pkg/rest/restcore). Like fetch: 303, and 301/302 after a POST, go on as a GET without body; 307/308 resend the body when
// it can be read again (GetBody), else fail.
func follow(rt *restcore.Transport, req *restcore.Request, redirect string) (*restcore.Response, error) {
	for hops := 0; ; hops++ {
		resp, err := rt.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		loc := resp.Header.Get("Location")
		switch resp.StatusCode {
		case restcore.StatusMovedPermanently, restcore.StatusFound, restcore.StatusSeeOther,
			restcore.StatusTemporaryRedirect, restcore.StatusPermanentRedirect:
		default:
			return resp, nil
		}
		if loc == "" || redirect == "manual" {
			return resp, nil
		}
		resp.Body.Close()
		if redirect == "error" {
			return nil, errRedirect
		}
		if hops >= maxRedirects {
			return nil, fmt.Errorf("more than %d redirects", maxRedirects)
		}
		u, err := req.URL.Parse(loc)
		if err != nil {
			return nil, fmt.Errorf("the redirect Location %q is not a URL", loc)
		}
		clone := *req
		next := &clone
		next.Header = req.Header.Clone()
		next.URL, next.Host, next.RequestURI = u, "", ""
		code := resp.StatusCode
		if code == restcore.StatusSeeOther || (code <= restcore.StatusFound && req.Method == "POST") {
			if next.Method != "HEAD" {
				next.Method = "GET"
			}
			next.Body, next.GetBody, next.ContentLength = nil, nil, 0
			for _, h := range []string{"Content-Type", "Content-Length", "Content-Encoding", "Content-Language", "Content-Location"} {
				next.Header.Del(h)
			}
		} else if req.Body != nil && req.Body != restcore.NoBody {
			if req.GetBody == nil {
				return nil, fmt.Errorf("a %d redirect cannot be followed when the request body was a stream", code)
			}
			if next.Body, err = req.GetBody(); err != nil {
				return nil, err
			}
		}
		req = next
	}
}

// newRequest is the request fetch sends, made as http.NewRequestWithContext makes one: a body of bytes has a known
// length and can be had again for a redirect (GetBody); a stream has neither.
func newRequest(ctx context.Context, method, rawURL string, body io.Reader) (*restcore.Request, error) {
	if method == "" {
		method = "GET"
	}
	if !validMethod(method) {
		return nil, fmt.Errorf("invalid method %q", method)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	u.Host = strings.TrimSuffix(u.Host, ":")
	req := &restcore.Request{
		Method: method, URL: u, Host: u.Host, Header: make(restcore.Header),
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
	}
	switch b := body.(type) {
	case nil:
	case *bytes.Reader:
		req.ContentLength = int64(b.Len())
		if req.ContentLength == 0 {
			req.Body, req.GetBody = restcore.NoBody, func() (io.ReadCloser, error) { return restcore.NoBody, nil }
			break
		}
		snapshot := *b
		req.Body = io.NopCloser(b)
		req.GetBody = func() (io.ReadCloser, error) {
			r := snapshot
			return io.NopCloser(&r), nil
		}
	case io.ReadCloser:
		req.Body = b
	default:
		req.Body = io.NopCloser(b)
	}
	return req.WithContext(ctx), nil
}

// validMethod reports whether method is an HTTP token, as net/http requires of one.
func validMethod(method string) bool {
	return method != "" && strings.IndexFunc(method, func(c rune) bool {
		return c > 0x7e || c <= ' ' || strings.ContainsRune("\"(),/:;<=>?@[\\]{}", c)
	}) < 0
}
