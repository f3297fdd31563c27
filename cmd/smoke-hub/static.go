package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"mime"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/andybalholm/brotli"
)

// staticFiles serves the --web folder so that a rebuild is always what a reloaded page runs, and compressed:
//
//   - Every response says Cache-Control: no-cache with an ETag of the content, and no Last-Modified: a browser
//     revalidates each time and gets 304 only while the content is the same. (npm pack stamps every file with a date
//     in 1985, so Last-Modified and If-Modified-Since would call a rebuilt package unchanged.)
//   - Text, JavaScript, JSON, SVG and wasm go out brotli- or gzip-compressed when the client accepts it (smoke.wasm:
//     7.6 MB raw, about 1.6 MB brotli). Compressed copies are made on first request and kept, up to cacheBudget
//     bytes, until the file changes.
//
// A file's version is checked on every request: by its inode, size and change time where the system has them
// (linux; tools cannot set a change time), otherwise by hashing it.
type staticFiles struct {
	root string

	mu    sync.Mutex
	files map[string]*staticEntry // by cleaned path
	bytes int64                   // of compressed copies kept
}

const (
	maxKept       = 16 << 20 // bigger files are streamed from disk
	cacheBudget   = 128 << 20
	compressAbove = 1024 // smaller files are not worth a compressed copy
	brotliLevel   = 6    // 11 takes tens of seconds on smoke.wasm for ~5 % less
)

type staticEntry struct {
	version string // fileVersion at the time of hashing; "" never matches
	etag    string // quoted
	raw     []byte // the content, for files up to maxKept bytes
	br, gz  []byte // compressed copies, nil until made (or if not worth it)
	mu      sync.Mutex
}

func newStaticFiles(root string) *staticFiles {
	return &staticFiles{root: root, files: make(map[string]*staticEntry)}
}

func (s *staticFiles) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name := path.Clean("/" + r.URL.Path)
	full := filepath.Join(s.root, filepath.FromSlash(name))
	fi, err := os.Stat(full)
	if err == nil && fi.IsDir() {
		if !strings.HasSuffix(r.URL.Path, "/") {
			http.Redirect(w, r, path.Base(name)+"/", http.StatusMovedPermanently)
			return
		}
		name = path.Join(name, "index.html")
		full = filepath.Join(full, "index.html")
		fi, err = os.Stat(full)
	}
	if err != nil || !fi.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	f, err := os.Open(full)
	if err != nil {
		http.Error(w, "cannot read "+name, http.StatusInternalServerError)
		return
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil {
		http.Error(w, "cannot read "+name, http.StatusInternalServerError)
		return
	}
	e, err := s.entry(name, fileVersion(fi), f, fi.Size())
	if err != nil {
		http.Error(w, "cannot read "+name, http.StatusInternalServerError)
		return
	}

	h := w.Header()
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" && e.raw != nil {
		ctype = http.DetectContentType(e.raw)
	}
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	h.Set("Content-Type", ctype)
	h.Set("Cache-Control", "no-cache")
	etag := e.etag
	if e.raw == nil {
		// Too big to keep in memory: streamed from the file as it is, uncompressed.
		h.Set("ETag", etag)
		f.Seek(0, io.SeekStart)
		http.ServeContent(w, r, name, time.Time{}, f)
		return
	}
	content := e.raw
	if compressible(ctype) && len(content) > compressAbove {
		h.Add("Vary", "Accept-Encoding")
		switch enc := pickEncoding(r.Header.Get("Accept-Encoding")); enc {
		case "br", "gzip":
			if b := s.compressed(e, enc, content); b != nil {
				content = b
				h.Set("Content-Encoding", enc)
				etag = strings.TrimSuffix(etag, `"`) + "-" + enc + `"`
			}
		}
	}
	h.Set("ETag", etag)
	// No modification time: the ETag decides (see staticFiles).
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(content))
}

// entry returns the cache entry of name for the file f of size bytes at version: the kept one while the version
// is the same, else a new one, made by reading (and hashing) the file. Files up to maxKept bytes are kept in memory
// (all requests share one copy, and it can be compressed); bigger ones are hashed as a stream and served from disk.
func (s *staticFiles) entry(name, version string, f *os.File, size int64) (*staticEntry, error) {
	s.mu.Lock()
	e := s.files[name]
	s.mu.Unlock()
	if e != nil && version != "" && e.version == version {
		return e, nil
	}
	h := sha256.New()
	var raw []byte
	if size <= maxKept {
		b, err := io.ReadAll(io.LimitReader(f, maxKept+1))
		if err != nil {
			return nil, err
		}
		if int64(len(b)) <= maxKept {
			raw = b
		}
		h.Write(b)
	} else if _, err := io.Copy(h, f); err != nil {
		return nil, err
	}
	sum := h.Sum(nil)
	etag := `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`

	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.files[name]; e != nil && e.etag == etag && (e.raw != nil) == (raw != nil) {
		e.version = version // the same content (rewritten, touched): keep its compressed copies
		return e, nil
	}
	if old := s.files[name]; old != nil {
		s.bytes -= int64(len(old.raw) + len(old.br) + len(old.gz))
	}
	e = &staticEntry{version: version, etag: etag}
	if raw != nil && s.bytes+int64(len(raw)) <= cacheBudget {
		e.raw = raw
		s.bytes += int64(len(raw))
	} else if raw != nil {
		e.raw, e.version = raw, "" // served this once, not kept: the next request reads the file again
	}
	s.files[name] = e
	return e, nil
}

// compressed returns content compressed with enc, making and keeping the copy the first time; nil if the cache is
// full or compression does not help.
func (s *staticFiles) compressed(e *staticEntry, enc string, content []byte) []byte {
	e.mu.Lock() // one compression per file at a time; other files go on
	defer e.mu.Unlock()
	dst := &e.gz
	if enc == "br" {
		dst = &e.br
	}
	if *dst != nil {
		return *dst
	}
	var buf bytes.Buffer
	var zw io.WriteCloser
	if enc == "br" {
		zw = brotli.NewWriterLevel(&buf, brotliLevel)
	} else {
		zw, _ = gzip.NewWriterLevel(&buf, gzip.BestCompression)
	}
	zw.Write(content)
	zw.Close()
	if buf.Len() >= len(content)*9/10 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bytes+int64(buf.Len()) > cacheBudget {
		return buf.Bytes() // served, not kept
	}
	s.bytes += int64(buf.Len())
	*dst = buf.Bytes()
	return *dst
}

func compressible(ctype string) bool {
	ctype, _, _ = strings.Cut(ctype, ";")
	switch {
	case strings.HasPrefix(ctype, "text/"):
		return true
	case ctype == "application/javascript", ctype == "application/json", ctype == "application/wasm",
		ctype == "image/svg+xml", ctype == "application/manifest+json", ctype == "text/javascript":
		return true
	}
	return false
}

// pickEncoding chooses br over gzip among the codings Accept-Encoding allows (a q of 0 refuses one).
func pickEncoding(accept string) string {
	ok := map[string]bool{}
	for _, part := range strings.Split(accept, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		ok[coding] = !(q == "q=0" || q == "q=0.0" || q == "q=0.00" || q == "q=0.000")
	}
	switch {
	case ok["br"]:
		return "br"
	case ok["gzip"]:
		return "gzip"
	}
	return ""
}
