package idb

import (
	"context"
	"iter"
	"sync/atomic"
)

// Durability is the durability of a commit's transaction (IndexedDB's durability hint).
type Durability uint8

const (
	// Relaxed commits once the operating system has the data (the default): much faster, and a crash of the
	// machine, not of the page, may lose the last commits.
	Relaxed Durability = iota
	// Strict commits once the data is on disk.
	Strict
	// BrowserDefault leaves it to the browser.
	BrowserDefault
)

func (d Durability) String() string {
	switch d {
	case Strict:
		return "strict"
	case BrowserDefault:
		return "default"
	}
	return "relaxed"
}

// DefaultBatchSize is how many records ReadBatch reads at once when Options.BatchSize is 0.
const DefaultBatchSize = 256

// Options configures a Database. Nil means defaults.
type Options struct {
	// Durability of commits. Default Relaxed.
	Durability Durability
	// BatchSize is how many records Records reads per transaction. 0: DefaultBatchSize.
	BatchSize int
}

// Database is a connection to a named IndexedDB database, with the operations staged for its next Commit. Its
// methods are safe for concurrent use; the staged operations are shared by all callers.
type Database struct {
	name  string
	opts  Options
	c     conn
	reads atomic.Int64 // batches read, for the tests that check that reading stops early
}

// Open opens (or creates) the database name.
func Open(ctx context.Context, name string, opts *Options) (*Database, error) {
	db := &Database{name: name}
	if opts != nil {
		db.opts = *opts
	}
	if db.opts.BatchSize <= 0 {
		db.opts.BatchSize = DefaultBatchSize
	}
	if err := db.open(ctx); err != nil {
		return nil, err
	}
	return db, nil
}

// DeleteDatabase deletes the database name with all its stores. Open connections to it (in this page or another)
// are asked to close first.
func DeleteDatabase(ctx context.Context, name string) error { return deleteDatabase(ctx, name) }

// Name returns the database's name.
func (db *Database) Name() string { return db.name }

// Insert stages adding record to store; the commit fails if the store holds its key already. record is a Go value
// that marshals to a JSON object with a string key, or a syscall/js.Value: a record, a JavaScript array of
// records, or a Map from key to record (which the commit writes with one call into JavaScript; each record's key
// property must be its key in the Map).
func (db *Database) Insert(store string, record any) error { return db.stage(opInsert, store, record) }

// Update stages putting record in store, adding it or replacing the record with its key. record is as for Insert.
func (db *Database) Update(store string, record any) error { return db.stage(opUpdate, store, record) }

// Delete stages deleting the record with key from store (nothing if there is none).
func (db *Database) Delete(store, key string) error { return db.stage(opDelete, store, key) }

// Staged returns how many operations wait for Commit.
func (db *Database) Staged() int { return db.staged() }

// Discard drops the staged operations.
func (db *Database) Discard() { db.discard() }

// Commit applies the staged operations in one readwrite transaction, creating the stores they write to if need
// be, and clears them. Either all of them are applied or, with an error, none.
func (db *Database) Commit(ctx context.Context) error { return db.commit(ctx) }

// Get returns the record with key in store, or ErrNotFound.
func (db *Database) Get(ctx context.Context, store, key string) (Record, error) {
	return db.get(ctx, store, key)
}

// Exists says whether store holds a record with key.
func (db *Database) Exists(ctx context.Context, store, key string) (bool, error) {
	return db.exists(ctx, store, key)
}

// Count returns the number of records in store (0 for a store that does not exist).
func (db *Database) Count(ctx context.Context, store string) (int, error) {
	return db.count(ctx, store)
}

// Keys returns the keys of store, in order.
func (db *Database) Keys(ctx context.Context, store string) ([]string, error) {
	return db.keys(ctx, store)
}

// Stores returns the names of the database's stores.
func (db *Database) Stores() []string { return db.stores() }

// ReadBatch reads up to n records of store (n <= 0: the BatchSize option) in key order, after the key after
// (exclusive; "" reads from the start), in one short transaction. An empty batch means the end.
func (db *Database) ReadBatch(ctx context.Context, store, after string, n int) (Batch, error) {
	if n <= 0 {
		n = db.opts.BatchSize
	}
	db.reads.Add(1)
	return db.readBatch(ctx, store, after, n)
}

// Records returns the records of store in key order, read lazily in batches (one transaction per batch; nothing
// is held open between them). It stops at the first error, which it yields with a zero Record.
func (db *Database) Records(ctx context.Context, store string) iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		after := ""
		for {
			b, err := db.ReadBatch(ctx, store, after, 0)
			if err != nil {
				yield(Record{}, err)
				return
			}
			n := b.Len()
			for i := range n {
				if !yield(b.At(i), nil) {
					return
				}
			}
			if n < db.opts.BatchSize {
				return
			}
			after = b.Last()
		}
	}
}

// DropStore deletes store and its records (a version upgrade).
func (db *Database) DropStore(ctx context.Context, store string) error {
	return db.dropStore(ctx, store)
}

// Close closes the connection. Staged operations are dropped.
func (db *Database) Close() error { return db.close() }

// Record is a stored record.
type Record struct{ v value }

// Key returns the record's key.
func (r Record) Key() string { return r.key() }

// Decode unmarshals the record, as JSON, into v.
func (r Record) Decode(v any) error { return r.decode(v) }

// MarshalJSON returns the record as JSON.
func (r Record) MarshalJSON() ([]byte, error) { return r.json() }

// Value returns the record as the platform holds it: a syscall/js.Value in the browser.
func (r Record) Value() any { return r.v }

// Batch is records read together.
type Batch struct{ b batch }

// Len returns the number of records.
func (b Batch) Len() int { return b.b.len() }

// At returns record i.
func (b Batch) At(i int) Record { return b.b.at(i) }

// Last returns the key of the last record, "" for an empty batch.
func (b Batch) Last() string { return b.b.last() }

// Value returns the batch as the platform holds it: a syscall/js.Value of a JavaScript array in the browser.
func (b Batch) Value() any { return b.b.value() }

type opKind uint8

const (
	opInsert opKind = iota
	opUpdate
	opDelete
)

func (k opKind) String() string {
	return [...]string{"insert", "update", "delete"}[k]
}

// Transaction starts a raw transaction over stores (made first if the database lacks them), readwrite when
// writable, with the Database's durability, for a package that builds its own operations on the database (the
// file bucket, package bucket). It returns the IDBTransaction as the platform holds it: a syscall/js.Value in the
// browser. The usual rule holds: the transaction commits itself as soon as the event loop idles with no request of
// it pending, so every request must be made before the caller waits for anything else.
func (db *Database) Transaction(ctx context.Context, stores []string, writable bool) (any, error) {
	return db.transaction(ctx, stores, writable)
}

// Error returns err, an error of a request or transaction that Transaction started, as the package reports
// IndexedDB's errors: with what was done, and the package's sentinel for its kind (ErrQuotaExceeded, ...).
func Error(what string, err error) error { return dbError(what, err) }
