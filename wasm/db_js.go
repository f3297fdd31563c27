package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall/js"

	"github.com/smokenet/smoke/internal/jsx"
	"github.com/smokenet/smoke/pkg/idb"
)

// The database half of the JS face: new Database(name) in npm/src/db.js over pkg/idb. The class stages inserts,
// updates and deletes in JavaScript (checking each record's key there, at once) and hands them to Go in one call
// per commit; queries read batches (dbBatch) that cross as the JavaScript arrays IndexedDB made, which the query
// operators (JavaScript) filter and project in JavaScript, batch by batch.

// jsDatabase is a Database as JavaScript holds it: a pkg/idb Database being opened, then open.
type jsDatabase struct {
	name   string
	ready  chan struct{} // closed when the open has finished
	db     *idb.Database // set before ready closes; nil if the open failed
	err    error
	commit sync.Mutex // a commit stages and commits as one step
}

// wait returns the open Database, once it is.
func (d *jsDatabase) wait(ctx context.Context) (*idb.Database, error) {
	select {
	case <-d.ready:
		return d.db, d.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// dbOpen(name, durability?) → handle: start opening the database; calls wait for it.
func (r *registry) dbOpen(a args) (any, error) {
	name := a.str(0)
	if name == "" {
		return nil, typeError("a database needs a name")
	}
	var opts idb.Options
	switch a.str(1) {
	case "", "relaxed":
	case "strict":
		opts.Durability = idb.Strict
	case "default":
		opts.Durability = idb.BrowserDefault
	default:
		return nil, rangeError("", "durability must be 'relaxed', 'strict' or 'default', got %q", a.str(1))
	}
	d := &jsDatabase{name: name, ready: make(chan struct{})}
	go func() {
		defer guard("opening a database")
		defer close(d.ready)
		d.db, d.err = idb.Open(context.Background(), name, &opts)
		if d.err != nil {
			d.err = coded(fmt.Sprintf("cannot open database %q", name), d.err)
		}
	}()
	return r.add(d), nil
}

// database runs f with the open database of the handle in argument 0, in a goroutine, and returns its Promise.
func (r *registry) database(a args, op string, f func(ctx context.Context, db *idb.Database) (any, error)) (any, error) {
	d, ok := lookup[*jsDatabase](r, a.int(0))
	if !ok {
		return nil, coded("", errDBClosed)
	}
	return jsx.Promise(func(ctx context.Context) (any, error) {
		db, err := d.wait(ctx)
		if err != nil {
			return nil, err
		}
		v, err := f(ctx, db)
		if err != nil {
			return nil, coded(fmt.Sprintf("database %q cannot %s", d.name, op), err)
		}
		return v, nil
	}), nil
}

var errDBClosed = errors.New("smoke: database disposed")

// dbKey() → a new record key (idb.Key: unique, and in the order made).
func (r *registry) dbKey(args) (any, error) { return idb.Key(), nil }

// dbCommit(db, ops) → Promise<void>: stage ops and commit them as one transaction. ops is an array of kind (0
// insert, 1 update, 2 delete), store, then a Map from key to record (an array of keys, for delete), repeated: a
// Map is written by one call into JavaScript, its records never crossing into Go.
func (r *registry) dbCommit(a args) (any, error) {
	ops := a.val(1)
	d, ok := lookup[*jsDatabase](r, a.int(0))
	if !ok {
		return nil, coded("", errDBClosed)
	}
	return r.database(a, "commit", func(ctx context.Context, db *idb.Database) (any, error) {
		d.commit.Lock()
		defer d.commit.Unlock()
		n := ops.Length()
		for i := 0; i+2 < n; i += 3 {
			kind, store, items := ops.Index(i).Int(), ops.Index(i+1).String(), ops.Index(i+2)
			var err error
			switch kind {
			case 0:
				err = db.Insert(store, items)
			case 1:
				err = db.Update(store, items)
			default:
				for j := range items.Length() {
					if err = db.Delete(store, items.Index(j).String()); err != nil {
						break
					}
				}
			}
			if err != nil {
				db.Discard()
				return nil, err
			}
		}
		return nil, db.Commit(ctx)
	})
}

// dbGet(db, store, key) → Promise<record | undefined>.
func (r *registry) dbGet(a args) (any, error) {
	store, key := a.str(1), a.str(2)
	return r.database(a, "get", func(ctx context.Context, db *idb.Database) (any, error) {
		rec, err := db.Get(ctx, store, key)
		if errors.Is(err, idb.ErrNotFound) {
			return js.Undefined(), nil
		}
		if err != nil {
			return nil, err
		}
		return rec.Value(), nil
	})
}

// dbExists(db, store, key) → Promise<boolean>.
func (r *registry) dbExists(a args) (any, error) {
	store, key := a.str(1), a.str(2)
	return r.database(a, "exists", func(ctx context.Context, db *idb.Database) (any, error) {
		return db.Exists(ctx, store, key)
	})
}

// dbCount(db, store) → Promise<number>: the store's count, asked of IndexedDB (no records are read).
func (r *registry) dbCount(a args) (any, error) {
	store := a.str(1)
	return r.database(a, "count", func(ctx context.Context, db *idb.Database) (any, error) {
		return db.Count(ctx, store)
	})
}

// dbKeys(db, store) → Promise<string[]>.
func (r *registry) dbKeys(a args) (any, error) {
	store := a.str(1)
	return r.database(a, "keys", func(ctx context.Context, db *idb.Database) (any, error) {
		keys, err := db.Keys(ctx, store)
		if err != nil {
			return nil, err
		}
		out := make([]any, len(keys))
		for i, k := range keys {
			out[i] = k
		}
		return out, nil
	})
}

// dbBatch(db, store, after, n) → Promise<record[]>: up to n records after the key after ("": from the start), in
// key order, read in one transaction; the array IndexedDB made, as it is.
func (r *registry) dbBatch(a args) (any, error) {
	store, after, n := a.str(1), a.str(2), a.int(3)
	if n < 1 {
		return nil, rangeError("", "a batch must be at least 1 record, got %d", n)
	}
	return r.database(a, "read", func(ctx context.Context, db *idb.Database) (any, error) {
		b, err := db.ReadBatch(ctx, store, after, n)
		if err != nil {
			return nil, err
		}
		return b.Value(), nil
	})
}

// dbDrop(db, store) → Promise<void>: delete a store and its records.
func (r *registry) dbDrop(a args) (any, error) {
	store := a.str(1)
	return r.database(a, "drop", func(ctx context.Context, db *idb.Database) (any, error) {
		return nil, db.DropStore(ctx, store)
	})
}

// dbClose(db) → Promise<void>: close the connection; the handle is gone after. Closing twice is harmless.
func (r *registry) dbClose(a args) (any, error) {
	d, ok := take[*jsDatabase](r, a.int(0))
	return jsx.Promise(func(ctx context.Context) (any, error) {
		if !ok {
			return nil, nil
		}
		if db, err := d.wait(ctx); err == nil {
			db.Close()
		}
		return nil, nil
	}), nil
}

// dbDeleteDatabase(name) → Promise<void>: delete a whole database (Database.drop(name)).
func (r *registry) dbDeleteDatabase(a args) (any, error) {
	name := a.str(0)
	return jsx.Promise(func(ctx context.Context) (any, error) {
		return nil, coded(fmt.Sprintf("cannot drop database %q", name), idb.DeleteDatabase(ctx, name))
	}), nil
}
