package bucket

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"syscall/js"
	"testing"
	"time"
)

// These tests run in headless Chromium (make test-js; internal/cmd/wasmbrowser) against its real IndexedDB, through
// the Go API; the npm package's Bucket is tested in wasm/ (bucket_test.go).

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func open(t *testing.T) *Bucket {
	t.Helper()
	name := fmt.Sprintf("%s-%d", t.Name(), time.Now().UnixNano())
	b, err := Open(ctx(t), name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		b.Close()
		if err := Drop(context.Background(), name); err != nil {
			t.Errorf("Drop: %v", err)
		}
	})
	return b
}

// blobs makes a JavaScript array of Blobs of the sizes given, byte i of the whole being i%251.
func blobs(from int, sizes ...int) js.Value {
	arr := js.Global().Get("Array").New()
	at := from
	for _, n := range sizes {
		u := js.Global().Get("Uint8Array").New(n)
		b := make([]byte, n)
		for i := range b {
			b[i] = byte((at + i) % 251)
		}
		js.CopyBytesToJS(u, b)
		arr.Call("push", js.Global().Get("Blob").New([]any{u}))
		at += n
	}
	return arr
}

// read reads the bytes of a plan, through ReadChunks and Blob.arrayBuffer.
func read(t *testing.T, b *Bucket, key string, start, end int64) []byte {
	t.Helper()
	p, err := b.Plan(ctx(t), key, start, end)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, part := range p.Parts {
		keys = append(keys, part.Chunk)
	}
	v, err := b.ReadChunks(ctx(t), keys)
	if err != nil {
		t.Fatal(err)
	}
	arr := v.(js.Value)
	var out []byte
	for i, part := range p.Parts {
		done := make(chan []byte, 1)
		then := js.FuncOf(func(_ js.Value, args []js.Value) any {
			u := js.Global().Get("Uint8Array").New(args[0])
			buf := make([]byte, u.Length())
			js.CopyBytesToGo(buf, u)
			done <- buf
			return nil
		})
		arr.Index(i).Call("slice", part.From, part.To).Call("arrayBuffer").Call("then", then)
		out = append(out, <-done...)
		then.Release()
	}
	return out
}

func want(from, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte((from + i) % 251)
	}
	return b
}

func TestWriteReadAppendDelete(t *testing.T) {
	b := open(t)
	w, err := b.Create(ctx(t), "f", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Put(ctx(t), blobs(0, ChunkSize, ChunkSize)); err != nil {
		t.Fatal(err)
	}
	if err := w.Put(ctx(t), blobs(2*ChunkSize, 10)); err != nil {
		t.Fatal(err)
	}
	// Nothing is visible before the commit.
	if infos, err := b.Stat(ctx(t), "f"); err != nil || infos[0] != nil {
		t.Fatalf("Stat before the commit: %v, %v", infos, err)
	}
	info, err := w.Commit(ctx(t))
	if err != nil || info.Size != 2*ChunkSize+10 || info.ETag == "" {
		t.Fatalf("Commit: %+v, %v", info, err)
	}
	if got := read(t, b, "f", 0, -1); !slices.Equal(got, want(0, 2*ChunkSize+10)) {
		t.Fatalf("read back %d bytes, not what was written", len(got))
	}
	if got := read(t, b, "f", ChunkSize-3, ChunkSize+4); !slices.Equal(got, want(ChunkSize-3, 7)) {
		t.Fatalf("a range across a chunk edge: %v", got)
	}
	// A short chunk must be the last.
	w2, _ := b.Create(ctx(t), "g", false)
	if err := w2.Put(ctx(t), blobs(0, 5, ChunkSize)); !errors.Is(err, ErrInvalidChunk) {
		t.Fatalf("a full chunk after a short one: %v", err)
	}
	if err := w2.Put(ctx(t), blobs(0, ChunkSize+1)); !errors.Is(err, ErrInvalidChunk) {
		t.Fatalf("a chunk over ChunkSize: %v", err)
	}
	if err := w2.Put(ctx(t), js.Global().Get("Array").New(js.ValueOf("x"))); !errors.Is(err, ErrInvalidChunk) {
		t.Fatalf("a string for a chunk: %v", err)
	}
	if err := w2.Abort(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := w2.Commit(ctx(t)); !errors.Is(err, ErrWriteEnded) {
		t.Fatalf("Commit after Abort: %v", err)
	}
	// Append.
	w3, _ := b.Create(ctx(t), "f", true)
	if err := w3.Put(ctx(t), blobs(2*ChunkSize+10, 20)); err != nil {
		t.Fatal(err)
	}
	info3, err := w3.Commit(ctx(t))
	if err != nil || info3.Size != 2*ChunkSize+30 || info3.ETag == info.ETag || !info3.Created.Equal(info.Created) {
		t.Fatalf("after an append: %+v (before %+v), %v", info3, info, err)
	}
	if got := read(t, b, "f", 2*ChunkSize, -1); !slices.Equal(got, want(2*ChunkSize, 30)) {
		t.Fatalf("the appended end: %v", got)
	}
	if _, err := b.Plan(ctx(t), "f", 2*ChunkSize+31, -1); !errors.Is(err, ErrInvalidRange) {
		t.Fatalf("a start beyond the end: %v", err)
	}
	if _, err := b.Plan(ctx(t), "nope", 0, -1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Plan of a missing file: %v", err)
	}
	keys, prefixes, err := b.List(ctx(t), "", "")
	if err != nil || !slices.Equal(keys, []string{"f"}) || len(prefixes) != 0 {
		t.Fatalf("List: %v %v %v", keys, prefixes, err)
	}
	// A plan whose chunks are gone by the time they are read: ErrChanged.
	p, _ := b.Plan(ctx(t), "f", 0, -1)
	if ok, err := b.Delete(ctx(t), "f"); !ok || err != nil {
		t.Fatalf("Delete: %v %v", ok, err)
	}
	if _, err := b.ReadChunks(ctx(t), []string{p.Parts[0].Chunk}); !errors.Is(err, ErrChanged) {
		t.Fatalf("reading a deleted file's chunk: %v", err)
	}
	if ok, err := b.Delete(ctx(t), "f"); ok || err != nil {
		t.Fatalf("Delete again: %v %v", ok, err)
	}
	if err := CheckKey(string([]byte{0xff})); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("a key that is not UTF-8: %v", err)
	}
}
