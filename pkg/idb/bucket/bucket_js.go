package bucket

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"syscall/js"
	"time"

	"github.com/smokenet/smoke/internal/jsx"
	"github.com/smokenet/smoke/pkg/idb"
	"github.com/smokenet/smoke/pkg/idb/internal/idbjs"
)

// The stores of a bucket's database. Keys are out of line (put(value, key)).
const (
	filesStore   = "files"   // file key → its record (see record)
	pendingStore = "pending" // write id → { file, page, started }: a write not yet committed or aborted
	chunksStore  = "chunks"  // "<write id>/<index>" → Blob
)

var (
	allStores = []string{filesStore, pendingStore, chunksStore}
	blobCtor  = js.Global().Get("Blob")
	arrayCtor = js.Global().Get("Array")
	objectCtr = js.Global().Get("Object")
	dateNow   = js.Global().Get("Date")
)

func (b *Bucket) open(ctx context.Context) error {
	if _, err := holdPageLock(ctx); err != nil {
		return err
	}
	// Make the stores now, in one upgrade, rather than one by one on first use.
	if _, err := b.db.Transaction(ctx, allStores, false); err != nil {
		return err
	}
	go func() {
		defer func() { _ = recover() }() // a panic here would end the module; collecting is best effort
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = b.collect(ctx)
	}()
	return nil
}

// txn starts a transaction of the bucket's database.
func (b *Bucket) txn(ctx context.Context, write bool, stores ...string) (idbjs.Txn, error) {
	v, err := b.db.Transaction(ctx, stores, write)
	if err != nil {
		return idbjs.Txn{}, err
	}
	return idbjs.WrapTxn(v.(js.Value)), nil
}

// finish commits t, whose requests have all been made, and waits for it to end.
func finish(ctx context.Context, what string, t idbjs.Txn, done <-chan error) error {
	_ = t.Commit()
	return wait(ctx, what, t, done)
}

// wait waits for t to end. It is finish for a transaction with a GetThen: that one makes requests when its read
// is done, which an explicit commit would refuse, so the transaction is left to commit by itself.
func wait(ctx context.Context, what string, t idbjs.Txn, done <-chan error) error {
	select {
	case err := <-done:
		return idb.Error(what, err)
	case <-ctx.Done():
		t.Abort()
		if err := <-done; err == nil {
			return nil
		}
		return ctx.Err()
	}
}

func now() float64 { return dateNow.Call("now").Float() }

// record is a file's record in the files store.
type record struct {
	size             int64
	created, updated float64 // ms since the epoch
	etag             string
	runs             []run
}

func readRecord(v js.Value) (record, bool) {
	if v.Type() != js.TypeObject {
		return record{}, false
	}
	r := record{
		size:    int64(v.Get("size").Float()),
		created: v.Get("created").Float(),
		updated: v.Get("updated").Float(),
		etag:    v.Get("etag").String(),
	}
	runs := v.Get("runs")
	for i := range runs.Length() {
		x := runs.Index(i)
		r.runs = append(r.runs, run{
			id: x.Index(0).String(), count: x.Index(1).Int(),
			full: int64(x.Index(2).Float()), last: int64(x.Index(3).Float()),
		})
	}
	return r, true
}

func (r record) value(key string) js.Value {
	runs := arrayCtor.New()
	for _, x := range r.runs {
		runs.Call("push", arrayCtor.New(x.id, x.count, float64(x.full), float64(x.last)))
	}
	v := objectCtr.New()
	v.Set("key", key)
	v.Set("size", float64(r.size))
	v.Set("created", r.created)
	v.Set("updated", r.updated)
	v.Set("etag", r.etag)
	v.Set("runs", runs)
	return v
}

func (r record) info(key string) Info {
	return Info{Key: key, Size: r.size, Created: time.UnixMilli(int64(r.created)), Updated: time.UnixMilli(int64(r.updated)), ETag: r.etag}
}

// deleteRuns deletes the chunks of runs (a request each) in the chunks store of a readwrite transaction.
func deleteRuns(chunks idbjs.Store, runs []run) error {
	for _, x := range runs {
		if err := chunks.DeleteRange(chunkRange(x.id)); err != nil {
			return err
		}
	}
	return nil
}

func (b *Bucket) stat(ctx context.Context, keys []string) ([]*Info, error) {
	out := make([]*Info, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	t, err := b.txn(ctx, false, filesStore)
	if err != nil {
		return nil, err
	}
	files, err := t.Store(filesStore)
	if err != nil {
		return nil, idb.Error("stat", err)
	}
	vs, err := files.GetMany(ctx, keys)
	if err != nil {
		return nil, idb.Error("stat", err)
	}
	for i, v := range vs {
		if r, ok := readRecord(v); ok {
			info := r.info(keys[i])
			out[i] = &info
		}
	}
	return out, nil
}

// keyBatch is how many keys List reads per transaction.
const keyBatch = 1000

func (b *Bucket) keys(ctx context.Context, prefix string) ([]string, error) {
	var out []string
	after := ""
	for {
		t, err := b.txn(ctx, false, filesStore)
		if err != nil {
			return nil, err
		}
		files, err := t.Store(filesStore)
		if err != nil {
			return nil, idb.Error("list", err)
		}
		var req idbjs.Request
		if after == "" {
			req, err = files.KeysFrom(prefix, keyBatch)
		} else {
			req, err = files.GetAllKeys(after, keyBatch)
		}
		if err != nil {
			return nil, idb.Error("list", err)
		}
		v, err := req.Await(ctx)
		if err != nil {
			return nil, idb.Error("list", err)
		}
		n := v.Length()
		for i := range n {
			k := v.Index(i).String()
			// Keys with a prefix are contiguous in IndexedDB's order too: the first one without it ends the list.
			if !strings.HasPrefix(k, prefix) {
				return out, nil
			}
			out = append(out, k)
		}
		if n < keyBatch {
			return out, nil
		}
		after = v.Index(n - 1).String()
	}
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

func (b *Bucket) plan(ctx context.Context, key string, start, end int64) (Plan, error) {
	t, err := b.txn(ctx, false, filesStore)
	if err != nil {
		return Plan{}, err
	}
	files, err := t.Store(filesStore)
	if err != nil {
		return Plan{}, idb.Error("read", err)
	}
	req, err := files.Get(key)
	if err != nil {
		return Plan{}, idb.Error("read", err)
	}
	v, err := req.Await(ctx)
	if err != nil {
		return Plan{}, idb.Error("read", err)
	}
	r, ok := readRecord(v)
	if !ok {
		return Plan{}, fmt.Errorf("%w: %q", ErrNotFound, key)
	}
	if end < 0 || end > r.size {
		end = r.size
	}
	if start > r.size {
		return Plan{}, fmt.Errorf("%w: start %d is beyond the end of %q (%d bytes)", ErrInvalidRange, start, key, r.size)
	}
	if end < start {
		return Plan{}, fmt.Errorf("%w: end %d is before start %d", ErrInvalidRange, end, start)
	}
	return Plan{Info: r.info(key), Start: start, End: end, Parts: parts(r.runs, start, end)}, nil
}

func (b *Bucket) readChunks(ctx context.Context, keys []string) (any, error) {
	out := arrayCtor.New()
	if len(keys) == 0 {
		return out, nil
	}
	t, err := b.txn(ctx, false, chunksStore)
	if err != nil {
		return nil, err
	}
	chunks, err := t.Store(chunksStore)
	if err != nil {
		return nil, idb.Error("read", err)
	}
	vs, err := chunks.GetMany(ctx, keys)
	if err != nil {
		return nil, idb.Error("read", err)
	}
	for _, v := range vs {
		if v.IsUndefined() {
			return nil, ErrChanged
		}
		out.Call("push", v)
	}
	return out, nil
}

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

// staleAfter is how old a pending write must be to be collected where the page that made it cannot be asked
// (no Web Locks).
const staleAfter = 24 * time.Hour

// collect deletes the chunks of writes whose page has gone: a page holds its lock (holdPageLock) as long as it
// lives, so a pending write of a page whose lock nobody holds will never be committed.
func (b *Bucket) collect(ctx context.Context) error {
	t, err := b.txn(ctx, false, pendingStore)
	if err != nil {
		return err
	}
	pending, err := t.Store(pendingStore)
	if err != nil {
		return err
	}
	req, err := pending.GetAllKeys("", 0)
	if err != nil {
		return err
	}
	keysV, err := req.Await(ctx)
	if err != nil {
		return err
	}
	var ids []string
	for i := range keysV.Length() {
		ids = append(ids, keysV.Index(i).String())
	}
	if len(ids) == 0 {
		return nil
	}
	t, err = b.txn(ctx, false, pendingStore)
	if err != nil {
		return err
	}
	if pending, err = t.Store(pendingStore); err != nil {
		return err
	}
	vs, err := pending.GetMany(ctx, ids)
	if err != nil {
		return err
	}
	held, known := heldLocks(ctx)
	for i, v := range vs {
		if v.Type() != js.TypeObject {
			continue
		}
		dead := false
		if known {
			dead = !held[pageLockName(v.Get("page").String())]
		} else {
			dead = now()-v.Get("started").Float() > float64(staleAfter/time.Millisecond)
		}
		if dead {
			if err := b.drop(ctx, ids[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// The page's lock (Web Locks, navigator.locks): held for as long as the page lives, so that another page can tell
// that the writes this one left pending are still under way.
var page struct {
	once  sync.Once
	id    string
	ready chan struct{}
	err   error
}

func pageLockName(id string) string { return "smoke-bucket-page:" + id }

// holdPageLock takes the page's lock, once, and returns the page's id. Without Web Locks it only returns the id.
func holdPageLock(ctx context.Context) (string, error) {
	page.once.Do(func() {
		page.id = idb.Key()
		page.ready = make(chan struct{})
		locks := js.Global().Get("navigator")
		if locks.Type() == js.TypeObject {
			locks = locks.Get("locks")
		}
		if locks.Type() != js.TypeObject {
			close(page.ready)
			return
		}
		var granted jsx.Func
		granted = jsx.FuncOf(func(js.Value, []js.Value) (any, error) {
			granted.Release()
			close(page.ready)
			// Never settles: the lock is held until the page goes.
			noop := jsx.FuncOf(func(js.Value, []js.Value) (any, error) { return nil, nil })
			defer noop.Release()
			return jsx.New(js.Global().Get("Promise"), noop)
		})
		if _, err := jsx.Call(locks, "request", pageLockName(page.id), granted); err != nil {
			granted.Release()
			page.err = err
			close(page.ready)
		}
	})
	select {
	case <-page.ready:
		return page.id, page.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// heldLocks returns the names of the locks held in the origin; known is false without Web Locks.
func heldLocks(ctx context.Context) (held map[string]bool, known bool) {
	nav := js.Global().Get("navigator")
	if nav.Type() != js.TypeObject || nav.Get("locks").Type() != js.TypeObject {
		return nil, false
	}
	p, err := jsx.Call(nav.Get("locks"), "query")
	if err != nil {
		return nil, false
	}
	v, err := jsx.Await(ctx, p)
	if err != nil {
		return nil, false
	}
	held = map[string]bool{}
	h := v.Get("held")
	for i := range h.Length() {
		held[h.Index(i).Get("name").String()] = true
	}
	return held, true
}
