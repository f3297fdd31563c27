package rest

import (
	"io"
	"net/http"

	"github.com/smokenet/smoke/pkg/rest/restcore"
)

// handler serves an http.Handler as a restcore.Handler: the request and the ResponseWriter take net/http's types,
// and the errors net/http has its own values for are given as those.
type handler struct{ h http.Handler }

func (h handler) ServeREST(w restcore.ResponseWriter, r *restcore.Request) {
	body := r.Body
	if body == restcore.NoBody {
		body = http.NoBody
	} else {
		body = requestBody{body}
	}
	hr := (&http.Request{
		Method:        r.Method,
		URL:           r.URL,
		Proto:         r.Proto,
		ProtoMajor:    r.ProtoMajor,
		ProtoMinor:    r.ProtoMinor,
		Header:        http.Header(r.Header),
		Body:          body,
		ContentLength: r.ContentLength,
		Host:          r.Host,
		RemoteAddr:    r.RemoteAddr,
		RequestURI:    r.RequestURI,
	}).WithContext(r.Context())
	defer func() {
		// net/http's sentinel is not restcore's: say it in restcore's words, so the response is cut without a log.
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				p = restcore.ErrAbortHandler
			}
			panic(p)
		}
	}()
	h.h.ServeHTTP(&responseWriter{w}, hr)
}

// responseWriter is the http.ResponseWriter of a request served here. It implements http.Flusher and, for
// http.ResponseController, FlushError.
type responseWriter struct{ w restcore.ResponseWriter }

func (rw *responseWriter) Header() http.Header  { return http.Header(rw.w.Header()) }
func (rw *responseWriter) WriteHeader(code int) { rw.w.WriteHeader(code) }
func (rw *responseWriter) Flush()               { rw.w.Flush() }
func (rw *responseWriter) FlushError() error    { return httpError(rw.w.Flush()) }

func (rw *responseWriter) Write(p []byte) (int, error) {
	n, err := rw.w.Write(p)
	return n, httpError(err)
}

// coreWriter finds the restcore.ResponseWriter under w, through wrappers that have Unwrap as
// http.ResponseController expects; nil if w is not this package's.
func coreWriter(w http.ResponseWriter) restcore.ResponseWriter {
	for {
		switch x := w.(type) {
		case *responseWriter:
			return x.w
		case interface{ Unwrap() http.ResponseWriter }:
			w = x.Unwrap()
		default:
			return nil
		}
	}
}

// requestBody is a request body whose errors are net/http's.
type requestBody struct{ io.ReadCloser }

func (b requestBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	return n, httpError(err)
}

// httpError returns net/http's value for the errors that have one, and err otherwise.
func httpError(err error) error {
	if err == nil {
		return nil
	}
	if mb, ok := err.(*restcore.MaxBytesError); ok {
		return &http.MaxBytesError{Limit: mb.Limit}
	}
	switch {
	case err == restcore.ErrBodyReadAfterClose:
		return http.ErrBodyReadAfterClose
	case err == restcore.ErrBodyNotAllowed:
		return http.ErrBodyNotAllowed
	case err == restcore.ErrContentLength:
		return http.ErrContentLength
	}
	return err
}
