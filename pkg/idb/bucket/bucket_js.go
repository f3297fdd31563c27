package bucket

import (
	"context"
	"syscall/js"
	"time"

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
