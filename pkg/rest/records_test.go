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

// TestRecordBatches: WriteRaw packs records several to a message, as the credit allows, and still never runs more
// than the window ahead of a reader that stopped; the reader gets them one by one (Buffered says how many it holds),
// and reading the stream as bytes gives one record per line. Bad JSON is refused before anything is sent.
func TestRecordBatches(t *testing.T) {
	const total, window, batch = 5000, 64, 10
	p := newPair(t)
	var sent atomic.Int64
	done := make(chan error, 2)
	p.serve(t, 80, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rw, err := rest.NewRecordWriter(w, &rest.RecordOptions{Window: window})
		if err != nil {
			done <- err
			return
		}
		if err := rw.WriteRaw(r.Context(), json.RawMessage(`{"n": 1}`), json.RawMessage(`{"n":`)); err == nil {
			done <- errors.New("WriteRaw took a record that is not JSON")
			return
		}
		for i := 0; i < total; i += batch {
			recs := make([]json.RawMessage, batch)
			for j := range recs {
				recs[j] = json.RawMessage(fmt.Sprintf("{ \"n\" : %d,\n \"pad\": \"%s\" }", i+j, strings.Repeat("x", 80)))
			}
			if err := rw.WriteRaw(r.Context(), recs...); err != nil {
				done <- err
				return
			}
			sent.Add(batch)
		}
		done <- rw.Close()
	}))
	c, _ := p.httpClient(t)
	resp, err := c.Get(p.url(80, "/"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rr, err := rest.NewRecordReader(resp)
	if err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t, time.Minute)
	maxBuffered := 0
	for read := range total {
		raw, err := rr.Next(ctx)
		if err != nil {
			t.Fatalf("record %d: %v", read, err)
		}
		var rec record
		if err := json.Unmarshal(raw, &rec); err != nil || rec.N != read {
			t.Fatalf("record %d: %s %v", read, raw, err)
		}
		maxBuffered = max(maxBuffered, rr.Buffered())
		if read == 100 {
			time.Sleep(300 * time.Millisecond) // a reader that stops: the writer must wait
			// WriteRaw's batches count once they are all sent: at most the window (and the batch in progress) ahead.
			if s := sent.Load(); s > int64(read+1+window) {
				t.Fatalf("reader stopped at %d: writer finished %d records (window %d)", read+1, s, window)
			}
		}
	}
	if _, err := rr.Next(ctx); err != io.EOF {
		t.Fatalf("after the last record: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if maxBuffered < 2 || maxBuffered >= window {
		t.Errorf("records buffered from one message: at most %d; want several, fewer than the window %d", maxBuffered, window)
	}
	// As bytes: one compact record per line.
	resp2, err := c.Get(p.url(80, "/"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp2.Body)
	resp2.Body.Close()
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != total || lines[7] != `{"n":7,"pad":"`+strings.Repeat("x", 80)+`"}` {
		t.Fatalf("record stream read as bytes: %d lines, line 7 %q", len(lines), lines[7])
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
