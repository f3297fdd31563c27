package rest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smokenet/smoke/pkg/rest"
)

type record struct {
	N int `json:"n"`
}

// TestRecordDemand: a record writer cannot run more than its window ahead of a reader that stopped, and a reader
// that resumes gets every record in order.
func TestRecordDemand(t *testing.T) {
	const total, window = 200, 8
	p := newPair(t)
	var sent atomic.Int64
	done := make(chan error, 1)
	p.serve(t, 80, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rw, err := rest.NewRecordWriter(w, &rest.RecordOptions{Window: window})
		if err != nil {
			done <- err
			return
		}
		for i := range total {
			if err := rw.Write(r.Context(), record{i}); err != nil {
				done <- err
				return
			}
			sent.Add(1)
		}
		done <- rw.Close()
	}))
	c, _ := p.httpClient(t)
	resp, err := c.Get(p.url(80, "/"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if rest.BodyKind(resp) != rest.KindRecords {
		t.Fatalf("BodyKind = %v", rest.BodyKind(resp))
	}
	rr, err := rest.NewRecordReader(resp)
	if err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t, time.Minute)
	read := 0
	next := func() {
		t.Helper()
		raw, err := rr.Next(ctx)
		if err != nil {
			t.Fatalf("record %d: %v", read, err)
		}
		var rec record
		if err := json.Unmarshal(raw, &rec); err != nil || rec.N != read {
			t.Fatalf("record %d: %s %v", read, raw, err)
		}
		read++
	}
	for _, stopAt := range []int{3, 50} {
		for read < stopAt {
			next()
		}
		// Give the writer every chance to run ahead, then check it did not.
		deadline := time.Now().Add(500 * time.Millisecond)
		for time.Now().Before(deadline) {
			if sent.Load() > int64(read+window) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if s := sent.Load(); s > int64(read+window) || s < int64(read) {
			t.Fatalf("reader stopped at %d: writer sent %d records (window %d)", read, s, window)
		}
		t.Logf("reader stopped at %d: writer sent %d", read, sent.Load())
	}
	// A cancelled Next loses nothing.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := rr.Next(cctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Next with a cancelled context: %v", err)
	}
	for read < total {
		next()
	}
	if _, err := rr.Next(ctx); err != io.EOF {
		t.Fatalf("after the last record: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// The socket is reused after a whole record stream.
	resp2, err := c.Get(p.url(80, "/"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp2.Body) // a record stream reads as NDJSON
	resp2.Body.Close()
	if lines := strings.Split(strings.TrimSpace(string(b)), "\n"); len(lines) != total || lines[7] != `{"n":7}` {
		t.Fatalf("record stream read as bytes: %d lines", len(lines))
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := p.client.Stats().SocketsOpened; n != 1 {
		t.Errorf("%d sockets for two sequential record streams", n)
	}
}

// TestRecordCancel: a client that stops reading and cancels cancels the writer.
func TestRecordCancel(t *testing.T) {
	p := newPair(t)
	writeErr := make(chan error, 1)
	p.serve(t, 80, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rw, _ := rest.NewRecordWriter(w, nil)
		for i := 0; ; i++ {
			if err := rw.Write(r.Context(), i); err != nil {
				writeErr <- err
				return
			}
		}
	}))
	c, _ := p.httpClient(t)
	resp, err := c.Get(p.url(80, "/"))
	if err != nil {
		t.Fatal(err)
	}
	rr, _ := rest.NewRecordReader(resp)
	for range 20 {
		if _, err := rr.Next(testCtx(t, time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	resp.Body.Close()
	select {
	case err := <-writeErr:
		t.Logf("writer: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("the writer was not stopped")
	}
}

// TestRecordNDJSONFallback: over an httptest recorder, RecordWriter writes NDJSON, and RecordReader reads it back.
func TestRecordNDJSONFallback(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rw, err := rest.NewRecordWriter(w, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 100 { // more than a window: no demand is needed
			rw.Write(r.Context(), record{i})
		}
		rw.Close()
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if ct := rec.Header().Get("Content-Type"); ct != "application/x-ndjson" {
		t.Fatalf("Content-Type %q", ct)
	}
	if !strings.HasPrefix(rec.Body.String(), "{\"n\":0}\n{\"n\":1}\n") {
		t.Fatalf("body %q", rec.Body.String()[:20])
	}
	resp := rec.Result()
	rr, err := rest.NewRecordReader(resp)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		raw, err := rr.Next(context.Background())
		if err != nil || string(raw) != fmt.Sprintf(`{"n":%d}`, i) {
			t.Fatalf("record %d: %s %v", i, raw, err)
		}
	}
	if _, err := rr.Next(context.Background()); err != io.EOF {
		t.Fatalf("end: %v", err)
	}
	if _, err := rest.NewRecordReader(&http.Response{Header: http.Header{"Content-Type": {"text/plain"}}, Body: http.NoBody}); !errors.Is(err, rest.ErrNotRecords) {
		t.Fatalf("text/plain: %v", err)
	}
}
