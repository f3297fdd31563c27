//go:build !js

package browser

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path"
	"strings"
	"testing"
	"time"
)

// Server is an HTTP server on a loopback port that serves files to pages.
type Server struct {
	// URL is the root of the server, "http://127.0.0.1:port", with no
	// trailing slash.
	URL string

	srv  *http.Server
	done chan struct{} // closed when Serve returns
}

// NewServer serves files on 127.0.0.1, on a port that the system picks. It
// never listens on another address: tests run in a network namespace that
// has only lo, and must not be reachable from outside one.
//
// A request is answered from files first, then from fsys. files maps a path
// on the server, such as "app.wasm" or "js/wasm_exec.js", to a file on disk,
// which is read at each request; fsys may be nil. A directory, such as "/",
// serves its index.html. The Content-Type comes from the extension, so a
// .wasm file is application/wasm, as WebAssembly.instantiateStreaming
// requires.
func NewServer(fsys fs.FS, files map[string]string) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("browser: %w", err)
	}
	h := &fileHandler{files: make(map[string]string, len(files))}
	for name, file := range files {
		h.files[strings.TrimPrefix(path.Clean("/"+name), "/")] = file
	}
	if fsys != nil {
		h.fs = http.FileServerFS(fsys)
	}
	s := &Server{
		URL:  "http://" + ln.Addr().String(),
		srv:  &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second},
		done: make(chan struct{}),
	}
	go func() {
		defer close(s.done)
		s.srv.Serve(ln) // returns http.ErrServerClosed after Close
	}()
	return s, nil
}

// Serve is [NewServer] for a test: it fails the test if the server cannot
// start, and closes the server when the test ends.
func Serve(t testing.TB, fsys fs.FS, files map[string]string) *Server {
	t.Helper()
	s, err := NewServer(fsys, files)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Close stops the server and closes its connections at once.
func (s *Server) Close() error {
	err := s.srv.Close()
	<-s.done
	return err
}

// fileHandler serves files by name, then fs.
type fileHandler struct {
	files map[string]string // clean path without the leading slash -> file on disk
	fs    http.Handler      // nil if none
}

func (h *fileHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if name == "" || strings.HasSuffix(r.URL.Path, "/") {
		name = path.Join(name, "index.html")
	}
	if file, ok := h.files[name]; ok {
		serveFile(w, r, name, file)
		return
	}
	if h.fs != nil {
		h.fs.ServeHTTP(w, r)
		return
	}
	http.NotFound(w, r)
}

// serveFile serves the file on disk as name. It does not use
// http.ServeFile, which redirects a request for .../index.html to .../.
func serveFile(w http.ResponseWriter, r *http.Request, name, file string) {
	f, err := os.Open(file)
	if errors.Is(err, fs.ErrNotExist) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	http.ServeContent(w, r, name, fi.ModTime(), f)
}
