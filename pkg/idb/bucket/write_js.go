package bucket

import (
	"context"
	"errors"
	"fmt"
	"syscall/js"

	"github.com/smokenet/smoke/pkg/idb"
)

// Writes: a write recorded as pending, its chunks, the commit that switches the file to them in one transaction
// (or the abort that drops them), and Delete.

func (b *Bucket) create(ctx context.Context, key string, appending bool) (*Writer, error) {
	page, err := holdPageLock(ctx)
	if err != nil {
		return nil, err
	}
	w := &Writer{b: b, key: key, id: idb.Key(), appending: appending}
	t, err := b.txn(ctx, true, pendingStore)
	if err != nil {
		return nil, err
	}
	done, release := t.Done()
	defer release()
	pending, err := t.Store(pendingStore)
	if err == nil {
		p := objectCtr.New()
		p.Set("file", key)
		p.Set("page", page)
		p.Set("started", now())
		err = pending.PutKey(p, w.id)
	}
	if err != nil {
		t.Abort()
		<-done
		return nil, idb.Error("write", err)
	}
	if err := finish(ctx, "write", t, done); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *Writer) put(ctx context.Context, chunks any) error {
	arr, ok := chunks.(js.Value)
	if !ok || arr.Type() != js.TypeObject || !arrayCtor.Call("isArray", arr).Bool() {
		return fmt.Errorf("%w: chunks must be an array of Blobs", ErrInvalidChunk)
	}
	n := arr.Length()
	sizes := make([]int64, n)
	last := w.last
	for i := range n {
		c := arr.Index(i)
		if !c.InstanceOf(blobCtor) {
			return fmt.Errorf("%w: chunk %d is not a Blob", ErrInvalidChunk, i)
		}
		sizes[i] = int64(c.Get("size").Float())
		if sizes[i] > ChunkSize || sizes[i] == 0 {
			return fmt.Errorf("%w: chunk %d has %d bytes; a chunk has 1 to %d", ErrInvalidChunk, i, sizes[i], ChunkSize)
		}
		if w.count+i > 0 && last < ChunkSize {
			return fmt.Errorf("%w: chunk %d follows a short chunk (%d bytes): only the last chunk may be short", ErrInvalidChunk, i, last)
		}
		last = sizes[i]
	}
	if n == 0 {
		return nil
	}
	t, err := w.b.txn(ctx, true, chunksStore)
	if err != nil {
		return err
	}
	done, release := t.Done()
	defer release()
	store, err := t.Store(chunksStore)
	for i := 0; err == nil && i < n; i++ {
		err = store.PutKey(arr.Index(i), chunkKey(w.id, w.count+i))
	}
	if err != nil {
		t.Abort()
		<-done
		return idb.Error("write", err)
	}
	if err := finish(ctx, "write", t, done); err != nil {
		return err
	}
	for _, s := range sizes {
		w.size += s
	}
	w.count += n
	w.last = last
	return nil
}

func (w *Writer) commit(ctx context.Context) (Info, error) {
	t, err := w.b.txn(ctx, true, allStores...)
	if err != nil {
		return Info{}, errors.Join(err, w.abort(ctx))
	}
	done, release := t.Done()
	defer release()
	files, err1 := t.Store(filesStore)
	pending, err2 := t.Store(pendingStore)
	chunks, err3 := t.Store(chunksStore)
	var info Info
	var thenErr func() error
	releaseGet := func() {}
	err = errors.Join(err1, err2, err3)
	if err == nil {
		thenErr, releaseGet, err = files.GetThen(w.key, func(v js.Value) error {
			old, had := readRecord(v)
			at := now()
			r := record{created: at, updated: at, etag: w.id}
			if had {
				r.created = old.created
				if w.appending {
					r.runs, r.size = old.runs, old.size
				} else if err := deleteRuns(chunks, old.runs); err != nil {
					return err
				}
			}
			if w.count > 0 {
				r.runs = append(r.runs, run{id: w.id, count: w.count, full: ChunkSize, last: w.last})
				r.size += w.size
			}
			info = r.info(w.key)
			return files.PutKey(r.value(w.key), w.key)
		})
	}
	if err == nil {
		err = pending.Delete(w.id)
	}
	if err != nil {
		t.Abort()
		<-done
		releaseGet()
		return Info{}, errors.Join(idb.Error("commit", err), w.abort(ctx))
	}
	defer releaseGet()
	if err := wait(ctx, "commit", t, done); err != nil {
		return Info{}, errors.Join(thenErr(), err, w.abort(context.Background()))
	}
	if err := thenErr(); err != nil { // it completed without the new record: a write that failed
		return Info{}, errors.Join(idb.Error("commit", err), w.abort(context.Background()))
	}
	return info, nil
}

func (w *Writer) abort(ctx context.Context) error {
	return w.b.drop(ctx, w.id)
}

// drop deletes the chunks and the pending record of the write id.
func (b *Bucket) drop(ctx context.Context, id string) error {
	t, err := b.txn(ctx, true, pendingStore, chunksStore)
	if err != nil {
		return err
	}
	done, release := t.Done()
	defer release()
	pending, err1 := t.Store(pendingStore)
	chunks, err2 := t.Store(chunksStore)
	err = errors.Join(err1, err2)
	if err == nil {
		err = chunks.DeleteRange(chunkRange(id))
	}
	if err == nil {
		err = pending.Delete(id)
	}
	if err != nil {
		t.Abort()
		<-done
		return idb.Error("abort", err)
	}
	return finish(ctx, "abort", t, done)
}

func (b *Bucket) delete(ctx context.Context, key string) (bool, error) {
	t, err := b.txn(ctx, true, filesStore, chunksStore)
	if err != nil {
		return false, err
	}
	done, release := t.Done()
	defer release()
	files, err1 := t.Store(filesStore)
	chunks, err2 := t.Store(chunksStore)
	if err := errors.Join(err1, err2); err != nil {
		t.Abort()
		<-done
		return false, idb.Error("delete", err)
	}
	existed := false
	thenErr, releaseGet, err := files.GetThen(key, func(v js.Value) error {
		r, ok := readRecord(v)
		if !ok {
			return nil
		}
		existed = true
		if err := deleteRuns(chunks, r.runs); err != nil {
			return err
		}
		return files.Delete(key)
	})
	if err != nil {
		t.Abort()
		<-done
		return false, idb.Error("delete", err)
	}
	defer releaseGet()
	if err := wait(ctx, "delete", t, done); err != nil {
		return false, errors.Join(thenErr(), err)
	}
	if err := thenErr(); err != nil {
		return false, idb.Error("delete", err)
	}
	return existed, nil
}
