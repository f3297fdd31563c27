//go:build !js

package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/chromedp/chromedp"

	"github.com/smokenet/smoke/internal/testing/browser"
)

// npmDate is the modification time npm pack gives every file.
var npmDate = time.Date(1985, 10, 26, 8, 15, 0, 0, time.UTC)

// writePacked writes a file as an unpacked npm tarball leaves it: its content, with npm's fixed date.
func writePacked(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(name, npmDate, npmDate); err != nil {
		t.Fatal(err)
	}
}

func request(t *testing.T, url string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultTransport.RoundTrip(req) // no transparent gzip
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// TestStaticRebuildIsSeen: a file rewritten with the same size and npm's date is a new version (200, new ETag), not
// 304; an unchanged one is 304 by its ETag; no Last-Modified is sent.
func TestStaticRebuildIsSeen(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "index.js")
	writePacked(t, file, "export const v = 1\n")
	base, _ := start(t, "--web", dir)

	resp, body := request(t, base+"/index.js", nil)
	etag := resp.Header.Get("ETag")
	if resp.StatusCode != 200 || string(body) != "export const v = 1\n" || etag == "" {
		t.Fatalf("first GET: %d %q etag %q", resp.StatusCode, body, etag)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("Cache-Control %q, want no-cache", cc)
	}
	if lm := resp.Header.Get("Last-Modified"); lm != "" {
		t.Errorf("Last-Modified %q: npm's fixed date would make rebuilds look unchanged", lm)
	}
	revalidate := map[string]string{"If-None-Match": etag, "If-Modified-Since": npmDate.Format(http.TimeFormat)}
	if resp, _ := request(t, base+"/index.js", revalidate); resp.StatusCode != http.StatusNotModified {
		t.Fatalf("unchanged file: %d, want 304", resp.StatusCode)
	}

	writePacked(t, file, "export const v = 2\n") // same size, same date
	resp, body = request(t, base+"/index.js", revalidate)
	if resp.StatusCode != 200 || string(body) != "export const v = 2\n" || resp.Header.Get("ETag") == etag {
		t.Fatalf("rebuilt file: %d %q etag %q (was %q), want 200 with the new content", resp.StatusCode, body,
			resp.Header.Get("ETag"), etag)
	}
}

func TestStaticCompression(t *testing.T) {
	dir := t.TempDir()
	var raw bytes.Buffer
	for i := range 20000 {
		raw.WriteString("(func $f" + strings.Repeat("x", i%7) + " (result i32) i32.const 42)\n")
	}
	os.WriteFile(filepath.Join(dir, "smoke.wasm"), raw.Bytes(), 0o644)
	os.WriteFile(filepath.Join(dir, "tiny.js"), []byte("1"), 0o644)
	base, _ := start(t, "--web", dir)

	decode := map[string]func(io.Reader) io.Reader{
		"br":   func(r io.Reader) io.Reader { return brotli.NewReader(r) },
		"gzip": func(r io.Reader) io.Reader { z, _ := gzip.NewReader(r); return z },
		"":     func(r io.Reader) io.Reader { return r },
	}
	for accept, want := range map[string]string{"gzip, deflate, br, zstd": "br", "gzip": "gzip", "br;q=0, gzip": "gzip", "": ""} {
		resp, body := request(t, base+"/smoke.wasm", map[string]string{"Accept-Encoding": accept})
		got := resp.Header.Get("Content-Encoding")
		if got != want || resp.Header.Get("Content-Type") != "application/wasm" {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q, Content-Type %q; want %q", accept, got,
				resp.Header.Get("Content-Type"), want)
			continue
		}
		plain, err := io.ReadAll(decode[got](bytes.NewReader(body)))
		if err != nil || !bytes.Equal(plain, raw.Bytes()) {
			t.Errorf("Accept-Encoding %q: %d bytes decode to %d (%v), want the file's %d", accept, len(body), len(plain), err, raw.Len())
		}
		if want != "" && len(body) > raw.Len()/4 {
			t.Errorf("%s: %d of %d bytes", want, len(body), raw.Len())
		}
		// The encoded copy revalidates by its own ETag.
		if again, _ := request(t, base+"/smoke.wasm", map[string]string{"Accept-Encoding": accept, "If-None-Match": resp.Header.Get("ETag")}); again.StatusCode != http.StatusNotModified {
			t.Errorf("Accept-Encoding %q: revalidation got %d", accept, again.StatusCode)
		}
	}
	if resp, _ := request(t, base+"/tiny.js", map[string]string{"Accept-Encoding": "br"}); resp.Header.Get("Content-Encoding") != "" {
		t.Error("a 1-byte file was compressed")
	}
	for _, sneaky := range []string{"/../../../../etc/passwd", "/..%2f..%2f..%2f..%2fetc/passwd", "/%2e%2e/%2e%2e/%2e%2e/etc/passwd"} {
		if resp, body := request(t, base+sneaky, nil); resp.StatusCode == 200 || bytes.Contains(body, []byte("root:")) {
			t.Errorf("%s: %d %q", sneaky, resp.StatusCode, body)
		}
	}
}

// TestStaticRebuildInBrowser: a page whose module was rebuilt (same size, npm's date) runs the new module after a
// reload, in Chromium with its HTTP cache.
func TestStaticRebuildInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	dir := t.TempDir()
	writePacked(t, filepath.Join(dir, "index.html"), `<!doctype html><script type="module">import { v } from './mod.js'; document.title = 'v' + v</script>`)
	writePacked(t, filepath.Join(dir, "mod.js"), "export const v = 1\n")
	base, _ := start(t, "--web", dir)

	b := browser.New(t)
	p, err := b.NewPage(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	title := func(want string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			got, err := browser.Run(ctx, p, chromedp.Evaluate[string](`document.title`))
			cancel()
			if err == nil && got == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("page title %q (%v), want %q", got, err, want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if err := p.Run(t.Context(), chromedp.Navigate(base+"/")); err != nil {
		t.Fatal(err)
	}
	title("v1")
	writePacked(t, filepath.Join(dir, "mod.js"), "export const v = 2\n")
	if err := p.Run(t.Context(), chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	title("v2")
	// And once more with the module unchanged: revalidated (304) and still v2.
	if err := p.Run(t.Context(), chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	title("v2")
}

// TestStaticBigFile: a file over the in-memory limit is streamed from disk, with an ETag and revalidation.
func TestStaticBigFile(t *testing.T) {
	dir := t.TempDir()
	big := bytes.Repeat([]byte("0123456789abcdef"), (maxKept+1024)/16)
	os.WriteFile(filepath.Join(dir, "big.bin"), big, 0o644)
	base, _ := start(t, "--web", dir)
	resp, body := request(t, base+"/big.bin", map[string]string{"Accept-Encoding": "br"})
	if resp.StatusCode != 200 || !bytes.Equal(body, big) || resp.Header.Get("Content-Encoding") != "" {
		t.Fatalf("big file: %d, %d bytes, encoding %q", resp.StatusCode, len(body), resp.Header.Get("Content-Encoding"))
	}
	if again, _ := request(t, base+"/big.bin", map[string]string{"If-None-Match": resp.Header.Get("ETag")}); again.StatusCode != http.StatusNotModified {
		t.Fatalf("revalidating a big file: %d", again.StatusCode)
	}
	if part, b := request(t, base+"/big.bin", map[string]string{"Range": "bytes=16-31"}); part.StatusCode != http.StatusPartialContent || string(b) != "0123456789abcdef" {
		t.Fatalf("range of a big file: %d %q", part.StatusCode, b)
	}
}
