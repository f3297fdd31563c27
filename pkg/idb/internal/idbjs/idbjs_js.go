// Package idbjs adds to github.com/hack-pad/go-indexeddb what pkg/idb needs and it lacks, in its style (typed
// requests with Await(ctx), DOMExceptions as errors): value reads in batches (getAll with a key range and a count)
// and writes of many records in one transaction without a Go wrapper, a listener and a check per request. The
// records stay JavaScript values: a batch read crosses into Go as one array, and back out to JavaScript as is.
//
// go-indexeddb keeps its JavaScript objects to itself, so this package works on the IDBDatabase of a connection
// that go-indexeddb opened (its open request's result). All calls go through internal/jsx.
package idbjs

import (
	"context"
	"errors"
	"syscall/js"

	"github.com/smokenet/smoke/internal/jsx"
)

var keyRange = js.Global().Get("IDBKeyRange")

// Txn is an IDBTransaction.
type Txn struct{ v js.Value }

// Transaction starts a transaction on db (an IDBDatabase) over stores. mode is "readonly" or "readwrite";
// durability "relaxed", "strict" or "default".
func Transaction(db js.Value, stores []string, mode, durability string) (Txn, error) {
	names := make([]any, len(stores))
	for i, s := range stores {
		names[i] = s
	}
	opts, err := jsx.Object(map[string]any{"durability": durability})
	if err != nil {
		return Txn{}, err
	}
	list, err := jsx.ValueOf(names)
	if err != nil {
		return Txn{}, err
	}
	v, err := jsx.Call(db, "transaction", list, mode, opts)
	if err != nil {
		return Txn{}, err
	}
	return Txn{v}, nil
}

// Store returns the transaction's object store name.
func (t Txn) Store(name string) (Store, error) {
	v, err := jsx.Call(t.v, "objectStore", name)
	if err != nil {
		return Store{}, err
	}
	return Store{v}, nil
}

// Abort aborts the transaction; an error (it finished already) is ignored.
func (t Txn) Abort() { _, _ = jsx.Call(t.v, "abort") }

// Commit asks the transaction to commit now, without waiting for the event loop to idle.
func (t Txn) Commit() error {
	if c, err := jsx.Get(t.v, "commit"); err != nil || c.Type() != js.TypeFunction {
		return nil // older browsers: it commits by itself
	}
	_, err := jsx.Call(t.v, "commit")
	return err
}

// Done returns a channel that receives, once, how the transaction ended: nil when it completed, else the
// transaction's error (a QuotaExceededError, say), or an AbortError when it was aborted without one. Call it
// before the event loop can run, that is before the goroutine blocks after the transaction's requests.
func (t Txn) Done() (<-chan error, func()) {
	done := make(chan error, 1)
	var removes []func()
	finish := func(err error) {
		select {
		case done <- err:
		default:
		}
	}
	for _, ev := range []string{"complete", "abort"} {
		remove, err := jsx.AddEventListener(t.v, ev, func(js.Value) {
			if ev == "complete" {
				finish(nil)
				return
			}
			e, _ := jsx.Get(t.v, "error")
			if e.IsNull() || e.IsUndefined() {
				finish(&jsx.Error{Name: "AbortError", Message: "the transaction was aborted"})
				return
			}
			finish(jsx.ErrorFrom(e))
		})
		if err != nil {
			finish(err)
		}
		removes = append(removes, remove)
	}
	return done, func() {
		for _, r := range removes {
			r()
		}
	}
}

// Store is an IDBObjectStore of a transaction.
type Store struct{ v js.Value }

// PutAll stores values (a JavaScript array of records) with put, or with add when add is true (then an existing key
// fails the transaction), each under its key property (the stores have out-of-line keys). It stops at the first
// record the store refuses at once (no string key, a value that cannot be cloned) and returns its index with the
// error; the caller aborts the transaction. Each record costs a few calls into JavaScript: see PutMap.
func (s Store) PutAll(values js.Value, add bool) (int, error) {
	put, err := s.method(add)
	if err != nil {
		return 0, err
	}
	n := values.Length()
	for i := range n {
		v := values.Index(i)
		if _, err := s.putOne(put, v); err != nil {
			return i, err
		}
	}
	return n, nil
}

// Put stores one record under its key property (add: fails the transaction if the key exists) and returns the key.
func (s Store) Put(v js.Value, add bool) (string, error) {
	put, err := s.method(add)
	if err != nil {
		return "", err
	}
	return s.putOne(put, v)
}

func (s Store) method(add bool) (js.Value, error) {
	name := "put"
	if add {
		name = "add"
	}
	fn, err := jsx.Get(s.v, name)
	if err != nil {
		return js.Undefined(), err
	}
	// Bound once, so that each record costs one call into JavaScript for the put.
	return jsx.Call(fn, "bind", s.v)
}

func (s Store) putOne(put, v js.Value) (string, error) {
	if v.Type() != js.TypeObject {
		return "", &jsx.Error{Name: "DataError", Message: "a record must be an object, got " + v.Type().String()}
	}
	k, err := jsx.Get(v, "key")
	if err != nil {
		return "", err
	}
	if k.Type() != js.TypeString {
		return "", &jsx.Error{Name: "DataError", Message: "a record needs a string key, got " + k.Type().String()}
	}
	_, err = jsx.Invoke(put, v, k)
	return k.String(), err
}

// PutMap stores the records of m, a JavaScript Map from key to record, with put (or add), in one call into
// JavaScript: m.forEach(store.put, store) calls put(record, key) for each entry, so no record crosses into Go. It
// is how a batch of records staged in JavaScript is written. An error (the first record refused) says nothing of
// which record it was.
func (s Store) PutMap(m js.Value, add bool) error {
	name := "put"
	if add {
		name = "add"
	}
	fn, err := jsx.Get(s.v, name)
	if err != nil {
		return err
	}
	_, err = jsx.Call(m, "forEach", fn, s.v)
	return err
}

// Delete deletes the record with key.
func (s Store) Delete(key string) error {
	_, err := jsx.Call(s.v, "delete", key)
	return err
}

// Request is an IDBRequest.
type Request struct{ v js.Value }

// Await waits for the request's success or error event and returns its result or error.
func (r Request) Await(ctx context.Context) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	done := make(chan result, 1)
	var rmOK, rmErr func()
	rmOK, err := jsx.AddEventListener(r.v, "success", func(js.Value) {
		v, err := jsx.Get(r.v, "result")
		select {
		case done <- result{v, err}:
		default:
		}
	})
	if err != nil {
		return js.Undefined(), err
	}
	defer rmOK()
	rmErr, err = jsx.AddEventListener(r.v, "error", func(e js.Value) {
		_, _ = jsx.Call(e, "preventDefault") // the caller handles it; do not abort the transaction for it
		v, _ := jsx.Get(r.v, "error")
		select {
		case done <- result{js.Undefined(), jsx.ErrorFrom(v)}:
		default:
		}
	})
	if err != nil {
		return js.Undefined(), err
	}
	defer rmErr()
	select {
	case res := <-done:
		return res.v, res.err
	case <-ctx.Done():
		return js.Undefined(), ctx.Err()
	}
}

// GetAll requests up to n values (n > 0) in key order, after the key after (exclusive) when after is not "".
func (s Store) GetAll(after string, n int) (Request, error) {
	q := js.Undefined()
	if after != "" {
		var err error
		if q, err = jsx.Call(keyRange, "lowerBound", after, true); err != nil {
			return Request{}, err
		}
	}
	v, err := jsx.Call(s.v, "getAll", q, n)
	if err != nil {
		return Request{}, err
	}
	return Request{v}, nil
}

// GetAllKeys requests up to n keys (0: all) in order, after the key after (exclusive) when after is not "".
func (s Store) GetAllKeys(after string, n int) (Request, error) {
	q := js.Undefined()
	if after != "" {
		var err error
		if q, err = jsx.Call(keyRange, "lowerBound", after, true); err != nil {
			return Request{}, err
		}
	}
	args := []any{q}
	if n > 0 {
		args = append(args, n)
	}
	v, err := jsx.Call(s.v, "getAllKeys", args...)
	if err != nil {
		return Request{}, err
	}
	return Request{v}, nil
}

// Get requests the value with key (undefined when there is none).
func (s Store) Get(key string) (Request, error) {
	v, err := jsx.Call(s.v, "get", key)
	if err != nil {
		return Request{}, err
	}
	return Request{v}, nil
}

// Count requests the number of records, or of records with key when key is not "".
func (s Store) Count(key string) (Request, error) {
	args := []any{}
	if key != "" {
		args = append(args, key)
	}
	v, err := jsx.Call(s.v, "count", args...)
	if err != nil {
		return Request{}, err
	}
	return Request{v}, nil
}

// OnVersionChange calls f when another connection asks to upgrade or delete the database db, and when the browser
// closes the connection by itself ("close"). It returns remove.
func OnVersionChange(db js.Value, f func()) (remove func(), err error) {
	r1, err := jsx.AddEventListener(db, "versionchange", func(js.Value) { f() })
	if err != nil {
		return func() {}, err
	}
	r2, err := jsx.AddEventListener(db, "close", func(js.Value) { f() })
	if err != nil {
		r1()
		return func() {}, err
	}
	return func() { r1(); r2() }, nil
}

// Close closes the connection db.
func Close(db js.Value) { _, _ = jsx.Call(db, "close") }

// Version returns the version of the connection db.
func Version(db js.Value) uint {
	v, err := jsx.Get(db, "version")
	if err != nil || v.Type() != js.TypeNumber {
		return 0
	}
	return uint(v.Int())
}

// Value returns the IDBTransaction.
func (t Txn) Value() js.Value { return t.v }

// WrapTxn wraps an IDBTransaction (pkg/idb's Database.Transaction).
func WrapTxn(v js.Value) Txn { return Txn{v} }

// PutKey stores v (any value IndexedDB can clone: an object, a Blob) under key.
func (s Store) PutKey(v js.Value, key string) error {
	_, err := jsx.Call(s.v, "put", v, key)
	return err
}

// DeleteRange deletes the records with keys from lo (inclusive) to hi (exclusive).
func (s Store) DeleteRange(lo, hi string) error {
	r, err := jsx.Call(keyRange, "bound", lo, hi, false, true)
	if err != nil {
		return err
	}
	_, err = jsx.Call(s.v, "delete", r)
	return err
}

// KeysFrom requests up to n keys (n > 0) from key lo (inclusive), in order.
func (s Store) KeysFrom(lo string, n int) (Request, error) {
	r, err := jsx.Call(keyRange, "lowerBound", lo)
	if err != nil {
		return Request{}, err
	}
	v, err := jsx.Call(s.v, "getAllKeys", r, n)
	if err != nil {
		return Request{}, err
	}
	return Request{v}, nil
}

// GetThen requests the value with key and calls then with it (undefined when there is none) inside the success
// event, while the transaction is still active, so that then may make more requests of the same transaction on
// what it read: a read-modify-write in one transaction. then must not block. An error it returns aborts the
// transaction. Once the transaction has ended, result says how then went: its error, or an error if it never
// ran to its end (the read failed, or then panicked). release removes the listener; call it when done.
func (s Store) GetThen(key string, then func(v js.Value) error) (result func() error, release func(), err error) {
	req, err := jsx.Call(s.v, "get", key)
	if err != nil {
		return nil, nil, err
	}
	var thenErr error
	ran := false
	remove, err := jsx.AddEventListener(req, "success", func(js.Value) {
		v, err := jsx.Get(req, "result")
		if err == nil {
			err = then(v)
		}
		ran = true
		if err != nil {
			thenErr = err
			if t, e := jsx.Get(req, "transaction"); e == nil {
				Txn{t}.Abort()
			}
		}
	})
	if err != nil {
		return nil, nil, err
	}
	result = func() error {
		if !ran && thenErr == nil {
			return errors.New("idbjs: a read-modify-write did not run to its end")
		}
		return thenErr
	}
	return result, remove, nil
}

// GetMany requests the values with keys in one go and waits for them all: requests of a transaction complete in
// order, so the last one's success means every one is done. A missing key gives undefined.
func (s Store) GetMany(ctx context.Context, keys []string) ([]js.Value, error) {
	reqs := make([]js.Value, len(keys))
	for i, k := range keys {
		r, err := jsx.Call(s.v, "get", k)
		if err != nil {
			return nil, err
		}
		reqs[i] = r
	}
	if len(reqs) == 0 {
		return nil, nil
	}
	if _, err := (Request{reqs[len(reqs)-1]}).Await(ctx); err != nil {
		return nil, err
	}
	out := make([]js.Value, len(reqs))
	for i, r := range reqs {
		v, err := jsx.Get(r, "result")
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}
