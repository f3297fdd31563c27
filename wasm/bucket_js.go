package main

import (
	"context"
	"errors"
	"fmt"
	"syscall/js"

	"github.com/smokenet/smoke/internal/jsx"
	"github.com/smokenet/smoke/pkg/idb/bucket"
)

// The file bucket's half of the JS face: new Bucket(name) in npm/src/bucket.js over pkg/idb/bucket. The bytes stay
// in JavaScript: a write hands Go arrays of Blobs of up to bucket.ChunkSize (cut by bucket.js), which Go stores as
// they are; a read asks for a plan (the chunk parts of a byte range) and then for the chunks, which come back as
// the Blobs IndexedDB made. Go owns the layout: records, runs, ranges, atomic commits, collection.

// jsBucket is a Bucket as JavaScript holds it: being opened, then open.
type jsBucket struct {
	name  string
	ready chan struct{} // closed when the open has finished
	b     *bucket.Bucket
	err   error
}

// jsWrite is a write under way: bucketWrite's handle.
type jsWrite struct {
	w    *bucket.Writer
	name string
}

var errBucketClosed = errors.New("smoke: bucket disposed")

// bucketError is coded for the Bucket: the reasons of pkg/idb/bucket's errors are in errors_js.go.
func bucketError(what string, err error) error { return coded(what, err) }

// bucketOpen(name) → handle: start opening the bucket; calls wait for it.
func (r *registry) bucketOpen(a args) (any, error) {
	name := a.str(0)
	if name == "" {
		return nil, typeError("new Bucket(name): name must be a non-empty string")
	}
	jb := &jsBucket{name: name, ready: make(chan struct{})}
	go func() {
		defer guard("opening a bucket")
		defer close(jb.ready)
		jb.b, jb.err = bucket.Open(context.Background(), name)
	}()
	return r.add(jb), nil
}

// withBucket runs f with the open bucket of the handle in argument 0, in a goroutine, and returns its Promise.
func (r *registry) withBucket(a args, op string, f func(ctx context.Context, b *bucket.Bucket) (any, error)) (any, error) {
	jb, ok := lookup[*jsBucket](r, a.int(0))
	if !ok {
		return nil, bucketError("", errBucketClosed)
	}
	return jsx.Promise(func(ctx context.Context) (any, error) {
		var b *bucket.Bucket
		var err error
		select {
		case <-jb.ready:
			b, err = jb.b, jb.err
		case <-ctx.Done():
			err = ctx.Err()
		}
		if err == nil {
			var v any
			if v, err = f(ctx, b); err == nil {
				return v, nil
			}
		}
		return nil, bucketError(fmt.Sprintf("bucket %q cannot %s", jb.name, op), err)
	}), nil
}

// infoValue is an Info as JavaScript gets it: { key, size, created, updated, etag } with Dates.
func infoValue(i bucket.Info) js.Value {
	date := js.Global().Get("Date")
	v := js.Global().Get("Object").New()
	v.Set("key", i.Key)
	v.Set("size", float64(i.Size))
	v.Set("created", date.New(float64(i.Created.UnixMilli())))
	v.Set("updated", date.New(float64(i.Updated.UnixMilli())))
	v.Set("etag", i.ETag)
	return v
}

// bucketWrite(bucket, key, append) → Promise<handle>: begin a write (replace, or append) of the file key.
func (r *registry) bucketWrite(a args) (any, error) {
	key, appending := a.str(1), a.bool(2)
	return r.withBucket(a, "write "+key, func(ctx context.Context, b *bucket.Bucket) (any, error) {
		w, err := b.Create(ctx, key, appending)
		if err != nil {
			return nil, err
		}
		return r.add(&jsWrite{w: w, name: b.Name()}), nil
	})
}

// write runs f with the write of the handle in argument 0 (taken out of the registry when end is set).
func (r *registry) write(a args, op string, end bool, f func(ctx context.Context, w *bucket.Writer) (any, error)) (any, error) {
	var jw *jsWrite
	var ok bool
	if end {
		jw, ok = take[*jsWrite](r, a.int(0))
	} else {
		jw, ok = lookup[*jsWrite](r, a.int(0))
	}
	if !ok {
		return nil, bucketError("cannot write to the bucket", bucket.ErrWriteEnded)
	}
	return jsx.Promise(func(ctx context.Context) (any, error) {
		v, err := f(ctx, jw.w)
		return v, bucketError(fmt.Sprintf("bucket %q cannot %s", jw.name, op), err)
	}), nil
}

// bucketPut(write, chunks) → Promise<void>: store chunks (an array of Blobs, each ChunkSize bytes but the write's
// last) in one transaction.
func (r *registry) bucketPut(a args) (any, error) {
	chunks := a.val(1)
	return r.write(a, "write", false, func(ctx context.Context, w *bucket.Writer) (any, error) {
		if err := w.Put(ctx, chunks); err != nil {
			// A write that cannot go on is dropped whole: its chunks deleted, the file as it was.
			return nil, errors.Join(err, w.Abort(context.Background()))
		}
		return nil, nil
	})
}

// bucketCommit(write) → Promise<info>: make the write the file's content (or append it), atomically.
func (r *registry) bucketCommit(a args) (any, error) {
	return r.write(a, "commit", true, func(ctx context.Context, w *bucket.Writer) (any, error) {
		info, err := w.Commit(ctx)
		if err != nil {
			return nil, err
		}
		return infoValue(info), nil
	})
}

// bucketAbort(write) → Promise<void>: drop the write; the file stays as it was.
func (r *registry) bucketAbort(a args) (any, error) {
	return r.write(a, "abort", true, func(ctx context.Context, w *bucket.Writer) (any, error) {
		return nil, w.Abort(ctx)
	})
}

// stringsOf returns v, an array of strings, as Go strings.
func stringsOf(v js.Value, what string) ([]string, error) {
	if v.Type() != js.TypeObject || !js.Global().Get("Array").Call("isArray", v).Bool() {
		return nil, typeError("%s must be an array of strings, got %s", what, v.Type())
	}
	out := make([]string, v.Length())
	for i := range out {
		x := v.Index(i)
		if x.Type() != js.TypeString {
			return nil, typeError("%s must be an array of strings; element %d is %s", what, i, x.Type())
		}
		out[i] = x.String()
	}
	return out, nil
}

// bucketInfo(bucket, keys) → Promise<(info | undefined)[]>, read in one transaction.
func (r *registry) bucketInfo(a args) (any, error) {
	keys, err := stringsOf(a.val(1), "keys")
	if err != nil {
		return nil, err
	}
	return r.withBucket(a, "info", func(ctx context.Context, b *bucket.Bucket) (any, error) {
		infos, err := b.Stat(ctx, keys...)
		if err != nil {
			return nil, err
		}
		out := js.Global().Get("Array").New(len(infos))
		for i, in := range infos {
			if in != nil {
				out.SetIndex(i, infoValue(*in))
			}
		}
		return out, nil
	})
}

// bucketList(bucket, prefix, delimiter) → Promise<{ keys, prefixes }>.
func (r *registry) bucketList(a args) (any, error) {
	prefix, delimiter := a.str(1), a.str(2)
	return r.withBucket(a, "list", func(ctx context.Context, b *bucket.Bucket) (any, error) {
		keys, prefixes, err := b.List(ctx, prefix, delimiter)
		if err != nil {
			return nil, err
		}
		return map[string]any{"keys": anys(keys), "prefixes": anys(prefixes)}, nil
	})
}

func anys(s []string) []any {
	out := make([]any, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out
}

// bucketPlan(bucket, key, start, end) → Promise<{ info, start, end, chunks, from, to }>: the chunk parts of the
// bytes [start, end) of the file key (end -1: to its end), as three parallel arrays.
func (r *registry) bucketPlan(a args) (any, error) {
	key, start, end := a.str(1), int64(a.int(2)), int64(a.int(3))
	return r.withBucket(a, "read "+key, func(ctx context.Context, b *bucket.Bucket) (any, error) {
		p, err := b.Plan(ctx, key, start, end)
		if err != nil {
			return nil, err
		}
		chunks, from, to := make([]any, len(p.Parts)), make([]any, len(p.Parts)), make([]any, len(p.Parts))
		for i, part := range p.Parts {
			chunks[i], from[i], to[i] = part.Chunk, float64(part.From), float64(part.To)
		}
		v, err := jsx.Object(map[string]any{"start": float64(p.Start), "end": float64(p.End), "chunks": chunks, "from": from, "to": to})
		if err != nil {
			return nil, err
		}
		v.Set("info", infoValue(p.Info))
		return v, nil
	})
}

// bucketChunks(bucket, keys) → Promise<Blob[]>: chunks of a plan, in one transaction; ERR_CHANGED if one is gone.
func (r *registry) bucketChunks(a args) (any, error) {
	keys, err := stringsOf(a.val(1), "chunks")
	if err != nil {
		return nil, err
	}
	return r.withBucket(a, "read", func(ctx context.Context, b *bucket.Bucket) (any, error) {
		return b.ReadChunks(ctx, keys)
	})
}

// bucketDelete(bucket, key) → Promise<boolean>: whether there was a file to delete.
func (r *registry) bucketDelete(a args) (any, error) {
	key := a.str(1)
	return r.withBucket(a, "delete "+key, func(ctx context.Context, b *bucket.Bucket) (any, error) {
		return b.Delete(ctx, key)
	})
}

// bucketClose(bucket) → Promise<void>: close the bucket; the handle is gone after. Closing twice is harmless.
func (r *registry) bucketClose(a args) (any, error) {
	jb, ok := take[*jsBucket](r, a.int(0))
	return jsx.Promise(func(ctx context.Context) (any, error) {
		if !ok {
			return nil, nil
		}
		select {
		case <-jb.ready:
			if jb.err == nil {
				_ = jb.b.Close()
			}
		case <-ctx.Done():
		}
		return nil, nil
	}), nil
}

// bucketDrop(name) → Promise<void>: delete a whole bucket (Bucket.drop(name)).
func (r *registry) bucketDrop(a args) (any, error) {
	name := a.str(0)
	return jsx.Promise(func(ctx context.Context) (any, error) {
		return nil, bucketError(fmt.Sprintf("cannot drop bucket %q", name), bucket.Drop(ctx, name))
	}), nil
}
