package idb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"syscall/js"

	"github.com/hack-pad/go-indexeddb/idb"

	"github.com/smokenet/smoke/internal/jsx"
	"github.com/smokenet/smoke/pkg/idb/internal/idbjs"
)

type value = js.Value

// op is one staged operation. v is a record; or, when many is set, a JavaScript array of records, or a Map from key
// to record when isMap is set too; keys are a Delete's.
type op struct {
	kind  opKind
	store string
	v     js.Value
	many  bool
	isMap bool
	keys  []string
}

// conn is the browser's state of a Database: the connection (opened by go-indexeddb; raw is its IDBDatabase, which
// idbjs works on), the stores it has, and the staged operations.
type conn struct {
	upgrade sync.Mutex // one open, upgrade or drop at a time

	mu     sync.Mutex
	db     *idb.Database
	raw    js.Value
	stale  bool // closed under us: versionchange (another connection upgrades or deletes), or the browser closed it
	closed bool
	remove func()
	have   map[string]bool
	ops    []op
}

var jsonObj = js.Global().Get("JSON")

// factory returns IndexedDB's factory; go-indexeddb's Global panics where there is none.
func factory() (f *idb.Factory, err error) {
	v, err := jsx.Get(js.Global(), "indexedDB")
	if err != nil || !v.Truthy() {
		return nil, ErrUnsupported
	}
	return idb.WrapFactory(v)
}

func (db *Database) open(ctx context.Context) error {
	db.c.upgrade.Lock()
	defer db.c.upgrade.Unlock()
	return db.reopen(ctx, 0, nil, "")
}

// reopen closes the connection and opens one at version (0: the current one), creating the stores create and
// deleting the store drop in the upgrade if version is higher. db.c.upgrade is held.
func (db *Database) reopen(ctx context.Context, version uint, create []string, drop string) error {
	c := &db.c
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	old, oldRemove := c.raw, c.remove
	c.raw, c.db, c.remove = js.Undefined(), nil, nil
	c.mu.Unlock()
	if oldRemove != nil {
		oldRemove()
	}
	if !old.IsUndefined() && old.Truthy() {
		idbjs.Close(old) // our own connection must not block our upgrade
	}
	f, err := factory()
	if err != nil {
		return err
	}
	// go-indexeddb's listeners live as long as the context given to Open: not the caller's, so that an open the
	// caller gives up on (an upgrade blocked by a connection that does not close) is still seen through, and its
	// connection closed, instead of staying open for ever unseen and blocking every later upgrade in turn.
	openCtx, openDone := context.WithCancel(context.Background())
	req, err := f.Open(openCtx, db.name, version, func(d *idb.Database, _, _ uint) error {
		// Runs inside the upgradeneeded event: go-indexeddb panics (and so ends the module) on an error returned
		// here, so failures are left for the transactions that need the stores to report.
		defer func() { _ = recover() }()
		names, _ := d.ObjectStoreNames()
		for _, s := range create {
			if !slices.Contains(names, s) {
				// Out-of-line keys: a record is stored under its key property, put(record, record.key), so that
				// a Map of staged records is written by one forEach (idbjs.PutMap).
				_, _ = d.CreateObjectStore(s, idb.ObjectStoreOptions{})
			}
		}
		if drop != "" && slices.Contains(names, drop) {
			_ = d.DeleteObjectStore(drop)
		}
		return nil
	})
	if err != nil {
		openDone()
		return dbError("open "+db.name, err)
	}
	type opened struct {
		d   *idb.Database
		raw js.Value
		err error
	}
	result := make(chan opened, 1)
	go func() {
		defer openDone()
		d, err := req.Await(openCtx)
		raw := js.Undefined()
		if err == nil {
			raw, err = req.Request.Result()
		}
		result <- opened{d, raw, err}
	}()
	var o opened
	select {
	case o = <-result:
	case <-ctx.Done():
		go func() {
			if o := <-result; o.err == nil {
				idbjs.Close(o.raw)
			}
		}()
		if version > 0 {
			return fmt.Errorf("idb: upgrading %s to version %d: %w (%w)", db.name, version, ErrBlocked, ctx.Err())
		}
		return fmt.Errorf("idb: open %s: %w", db.name, ctx.Err())
	}
	if o.err != nil {
		return dbError("open "+db.name, o.err)
	}
	d, raw := o.d, o.raw
	names, err := d.ObjectStoreNames()
	if err != nil {
		idbjs.Close(raw)
		return dbError("open "+db.name, err)
	}
	have := make(map[string]bool, len(names))
	for _, n := range names {
		have[n] = true
	}
	remove, _ := idbjs.OnVersionChange(raw, func() {
		// go-indexeddb closes the connection on versionchange; the next call reopens.
		c.mu.Lock()
		if c.raw.Equal(raw) {
			c.stale = true
		}
		c.mu.Unlock()
	})
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		remove()
		idbjs.Close(raw)
		return ErrClosed
	}
	c.db, c.raw, c.remove, c.have, c.stale = d, raw, remove, have, false
	return nil
}

// current returns the open connection, reopening it when it was closed under us.
func (db *Database) current(ctx context.Context) (js.Value, error) {
	c := &db.c
	c.mu.Lock()
	raw, ok := c.raw, !c.stale && !c.raw.IsUndefined()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return js.Undefined(), ErrClosed
	}
	if ok {
		return raw, nil
	}
	c.upgrade.Lock()
	defer c.upgrade.Unlock()
	c.mu.Lock()
	raw, ok = c.raw, !c.stale && !c.raw.IsUndefined()
	c.mu.Unlock()
	if ok {
		return raw, nil
	}
	if err := db.reopen(ctx, 0, nil, ""); err != nil {
		return js.Undefined(), err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.raw, nil
}

// ensure makes sure the database has stores, upgrading it if not.
func (db *Database) ensure(ctx context.Context, stores []string) error {
	if _, err := db.current(ctx); err != nil {
		return err
	}
	c := &db.c
	missing := func() []string {
		c.mu.Lock()
		defer c.mu.Unlock()
		var out []string
		for _, s := range stores {
			if !c.have[s] {
				out = append(out, s)
			}
		}
		return out
	}
	if len(missing()) == 0 {
		return nil
	}
	c.upgrade.Lock()
	defer c.upgrade.Unlock()
	return db.upgradeLocked(ctx, func() ([]string, string) { return missing(), "" })
}

// upgradeLocked opens the next version with what plan says to create and drop, until plan has nothing to do.
// Another connection may upgrade meanwhile (VersionError): then it reopens and tries the version after that.
func (db *Database) upgradeLocked(ctx context.Context, plan func() ([]string, string)) error {
	for range 5 {
		create, drop := plan()
		if len(create) == 0 && drop == "" {
			return nil
		}
		if drop != "" {
			db.c.mu.Lock()
			has := db.c.have[drop]
			db.c.mu.Unlock()
			if !has && len(create) == 0 {
				return nil
			}
		}
		db.c.mu.Lock()
		version := uint(0)
		if !db.c.raw.IsUndefined() {
			version = idbjs.Version(db.c.raw)
		}
		db.c.mu.Unlock()
		err := db.reopen(ctx, version+1, create, drop)
		if err == nil {
			if create, drop = plan(); len(create) == 0 && (drop == "" || !db.has(drop)) {
				return nil
			}
			continue
		}
		if !errors.Is(err, idb.NewDOMException("VersionError")) {
			return err
		}
		if err := db.reopen(ctx, 0, nil, ""); err != nil {
			return err
		}
	}
	return fmt.Errorf("idb: upgrading %s: other connections keep upgrading it", db.name)
}

func (db *Database) has(store string) bool {
	db.c.mu.Lock()
	defer db.c.mu.Unlock()
	return db.c.have[store]
}

// txn starts a transaction on stores, reopening the connection once if it was closed under us.
func (db *Database) txn(ctx context.Context, stores []string, mode string) (idbjs.Txn, error) {
	for try := 0; ; try++ {
		raw, err := db.current(ctx)
		if err != nil {
			return idbjs.Txn{}, err
		}
		t, err := idbjs.Transaction(raw, stores, mode, db.opts.Durability.String())
		if err == nil {
			return t, nil
		}
		if try == 0 && domName(err) == "InvalidStateError" {
			db.c.mu.Lock()
			if db.c.raw.Equal(raw) {
				db.c.stale = true
			}
			db.c.mu.Unlock()
			continue
		}
		return idbjs.Txn{}, err
	}
}

func deleteDatabase(ctx context.Context, name string) error {
	f, err := factory()
	if err != nil {
		return err
	}
	req, err := f.DeleteDatabase(name)
	if err != nil {
		return dbError("delete "+name, err)
	}
	return dbError("delete "+name, req.Await(ctx))
}

// toJS returns record as a JavaScript value: a js.Value as it is, anything else through JSON.
func toJS(record any) (js.Value, error) {
	if v, ok := record.(js.Value); ok {
		return v, nil
	}
	b, err := json.Marshal(record)
	if err != nil {
		return js.Undefined(), fmt.Errorf("%w: %v", ErrInvalidRecord, err)
	}
	return jsx.Call(jsonObj, "parse", string(b))
}

// checkRecord says why v is not a record, if it is not one.
func checkRecord(v js.Value) error {
	if v.Type() != js.TypeObject {
		return fmt.Errorf("%w: a record must be an object, got %s", ErrInvalidRecord, v.Type())
	}
	k, err := jsx.Get(v, "key")
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidRecord, err)
	}
	if k.Type() != js.TypeString {
		return fmt.Errorf("%w: a record needs a string key property, got %s", ErrInvalidRecord, k.Type())
	}
	return nil
}

func (db *Database) stage(kind opKind, store string, x any) error {
	if store == "" {
		return errors.New("idb: a store needs a name")
	}
	o := op{kind: kind, store: store}
	switch kind {
	case opDelete:
		switch k := x.(type) {
		case string:
			o.keys = []string{k}
		case []string:
			o.keys = k
		default:
			return fmt.Errorf("idb: delete takes a string key")
		}
	default:
		v, err := toJS(x)
		if err != nil {
			return err
		}
		if isArray(v) {
			o.v, o.many = v, true // checked record by record in the commit
		} else if v.InstanceOf(mapCtor) {
			o.v, o.many, o.isMap = v, true, true // key → record, as the JS face stages them; IndexedDB checks them
		} else if err := checkRecord(v); err != nil {
			return err
		} else {
			o.v = v
		}
	}
	db.c.mu.Lock()
	defer db.c.mu.Unlock()
	if db.c.closed {
		return ErrClosed
	}
	db.c.ops = append(db.c.ops, o)
	return nil
}

var (
	arrayCtor = js.Global().Get("Array")
	mapCtor   = js.Global().Get("Map")
)

func isArray(v js.Value) bool {
	if v.Type() != js.TypeObject {
		return false
	}
	ok, err := jsx.Call(arrayCtor, "isArray", v)
	return err == nil && ok.Truthy()
}

func (db *Database) staged() int {
	db.c.mu.Lock()
	defer db.c.mu.Unlock()
	n := 0
	for _, o := range db.c.ops {
		switch {
		case o.isMap:
			if size, err := jsx.Get(o.v, "size"); err == nil && size.Type() == js.TypeNumber {
				n += size.Int()
			}
		case o.many:
			n += o.v.Length()
		case o.kind == opDelete:
			n += len(o.keys)
		default:
			n++
		}
	}
	return n
}

func (db *Database) discard() {
	db.c.mu.Lock()
	db.c.ops = nil
	db.c.mu.Unlock()
}

func (db *Database) commit(ctx context.Context) error {
	db.c.mu.Lock()
	ops := db.c.ops
	db.c.ops = nil
	db.c.mu.Unlock()
	if len(ops) == 0 {
		return nil
	}
	var stores []string
	for _, o := range ops {
		if !slices.Contains(stores, o.store) {
			stores = append(stores, o.store)
		}
	}
	if err := db.ensure(ctx, stores); err != nil {
		return err
	}
	t, err := db.txn(ctx, stores, "readwrite")
	if err != nil {
		return dbError("commit", err)
	}
	done, release := t.Done()
	defer release()
	// Every request is made before this goroutine blocks: the transaction must not see an idle event loop
	// before it has them all.
	if err := apply(t, ops); err != nil {
		t.Abort()
		<-done
		return err
	}
	_ = t.Commit()
	select {
	case err = <-done:
	case <-ctx.Done():
		t.Abort()
		if err = <-done; err == nil {
			return nil // it completed before the abort came
		}
		return ctx.Err()
	}
	return dbError("commit", err)
}

// apply makes the requests of ops in t. The first refused one fails the commit.
func apply(t idbjs.Txn, ops []op) error {
	for i, o := range ops {
		s, err := t.Store(o.store)
		if err != nil {
			return dbError("commit", err)
		}
		switch o.kind {
		case opDelete:
			for _, k := range o.keys {
				if err := s.Delete(k); err != nil {
					return dbError(fmt.Sprintf("commit: operation %d (delete %q from %s)", i, k, o.store), err)
				}
			}
		default:
			if o.isMap {
				if err := s.PutMap(o.v, o.kind == opInsert); err != nil {
					return dbError(fmt.Sprintf("commit: operation %d (%s into %s)", i, o.kind, o.store), err)
				}
				continue
			}
			if o.many {
				n, err := s.PutAll(o.v, o.kind == opInsert)
				if err != nil {
					return dbError(fmt.Sprintf("commit: operation %d (%s into %s), record %d", i, o.kind, o.store, n), err)
				}
				continue
			}
			if _, err := s.Put(o.v, o.kind == opInsert); err != nil {
				return dbError(fmt.Sprintf("commit: operation %d (%s into %s)", i, o.kind, o.store), err)
			}
		}
	}
	return nil
}

// readTxn starts a readonly transaction on store; ok is false when the store does not exist (nothing to read).
func (db *Database) readStore(ctx context.Context, store string) (idbjs.Store, bool, error) {
	if _, err := db.current(ctx); err != nil {
		return idbjs.Store{}, false, err
	}
	if !db.has(store) {
		return idbjs.Store{}, false, nil
	}
	t, err := db.txn(ctx, []string{store}, "readonly")
	if err != nil {
		if domName(err) == "NotFoundError" {
			return idbjs.Store{}, false, nil
		}
		return idbjs.Store{}, false, dbError("read "+store, err)
	}
	s, err := t.Store(store)
	if err != nil {
		return idbjs.Store{}, false, dbError("read "+store, err)
	}
	return s, true, nil
}

func (db *Database) get(ctx context.Context, store, key string) (Record, error) {
	s, ok, err := db.readStore(ctx, store)
	if err != nil || !ok {
		return Record{}, errors.Join(err, notFound(ok, err, store, key))
	}
	req, err := s.Get(key)
	if err != nil {
		return Record{}, dbError("get", err)
	}
	v, err := req.Await(ctx)
	if err != nil {
		return Record{}, dbError("get", err)
	}
	if v.IsUndefined() {
		return Record{}, fmt.Errorf("%w: %q in %s", ErrNotFound, key, store)
	}
	return Record{v}, nil
}

func notFound(ok bool, err error, store, key string) error {
	if ok || err != nil {
		return nil
	}
	return fmt.Errorf("%w: %q in %s", ErrNotFound, key, store)
}

func (db *Database) exists(ctx context.Context, store, key string) (bool, error) {
	n, err := db.countKey(ctx, store, key)
	return n > 0, err
}

func (db *Database) count(ctx context.Context, store string) (int, error) {
	return db.countKey(ctx, store, "")
}

func (db *Database) countKey(ctx context.Context, store, key string) (int, error) {
	s, ok, err := db.readStore(ctx, store)
	if err != nil || !ok {
		return 0, err
	}
	req, err := s.Count(key)
	if err != nil {
		return 0, dbError("count", err)
	}
	v, err := req.Await(ctx)
	if err != nil {
		return 0, dbError("count", err)
	}
	return v.Int(), nil
}

func (db *Database) keys(ctx context.Context, store string) ([]string, error) {
	s, ok, err := db.readStore(ctx, store)
	if err != nil || !ok {
		return nil, err
	}
	req, err := s.GetAllKeys("", 0)
	if err != nil {
		return nil, dbError("keys", err)
	}
	v, err := req.Await(ctx)
	if err != nil {
		return nil, dbError("keys", err)
	}
	n := v.Length()
	out := make([]string, n)
	for i := range n {
		out[i] = v.Index(i).String()
	}
	return out, nil
}

func (db *Database) stores() []string {
	db.c.mu.Lock()
	defer db.c.mu.Unlock()
	var out []string
	for s := range db.c.have {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

func (db *Database) readBatch(ctx context.Context, store, after string, n int) (Batch, error) {
	s, ok, err := db.readStore(ctx, store)
	if err != nil || !ok {
		return Batch{}, err
	}
	req, err := s.GetAll(after, n)
	if err != nil {
		return Batch{}, dbError("read "+store, err)
	}
	v, err := req.Await(ctx)
	if err != nil {
		return Batch{}, dbError("read "+store, err)
	}
	b := batch{arr: v, n: v.Length()}
	if b.n > 0 {
		b.lastKey = v.Index(b.n - 1).Get("key").String()
	}
	return Batch{b}, nil
}

func (db *Database) dropStore(ctx context.Context, store string) error {
	if _, err := db.current(ctx); err != nil {
		return err
	}
	if !db.has(store) {
		return nil
	}
	db.c.upgrade.Lock()
	defer db.c.upgrade.Unlock()
	dropped := false
	return db.upgradeLocked(ctx, func() ([]string, string) {
		if dropped || !db.has(store) {
			return nil, ""
		}
		dropped = true
		return nil, store
	})
}

func (db *Database) close() error {
	c := &db.c
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	raw, remove := c.raw, c.remove
	c.raw, c.db, c.remove, c.ops = js.Undefined(), nil, nil, nil
	c.mu.Unlock()
	if remove != nil {
		remove()
	}
	if !raw.IsUndefined() {
		idbjs.Close(raw)
	}
	return nil
}

// domName returns the name of the DOMException in err, if any.
func domName(err error) string {
	var je *jsx.Error
	if errors.As(err, &je) {
		return je.Name
	}
	var de idb.DOMException
	if errors.As(err, &de) {
		name, _, _ := cutColon(de.Error())
		return name
	}
	return ""
}

func cutColon(s string) (string, string, bool) {
	for i := range len(s) {
		if s[i] == ':' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// dbError wraps an error from IndexedDB with what was done, and with the package's sentinel for its kind.
func dbError(what string, err error) error {
	if err == nil {
		return nil
	}
	var sentinel error
	switch domName(err) {
	case "QuotaExceededError":
		sentinel = ErrQuotaExceeded
	case "ConstraintError":
		sentinel = ErrKeyExists
	case "DataError", "DataCloneError":
		sentinel = ErrInvalidRecord
	}
	if sentinel == nil || errors.Is(err, sentinel) {
		return fmt.Errorf("idb: %s: %w", what, err)
	}
	return fmt.Errorf("idb: %s: %w: %w", what, sentinel, err)
}

type batch struct {
	arr     js.Value
	n       int
	lastKey string
}

func (b batch) len() int { return b.n }
func (b batch) at(i int) Record {
	if i < 0 || i >= b.n {
		panic(fmt.Sprintf("idb: record %d of a batch of %d", i, b.n))
	}
	return Record{b.arr.Index(i)}
}
func (b batch) last() string { return b.lastKey }
func (b batch) value() any {
	if b.arr.IsUndefined() {
		return js.Global().Get("Array").New()
	}
	return b.arr
}

func (r Record) key() string {
	if r.v.Type() != js.TypeObject {
		return ""
	}
	k, err := jsx.Get(r.v, "key")
	if err != nil || k.Type() != js.TypeString {
		return ""
	}
	return k.String()
}

func (r Record) json() ([]byte, error) {
	if r.v.IsUndefined() {
		return []byte("null"), nil
	}
	s, err := jsx.Call(jsonObj, "stringify", r.v)
	if err != nil {
		return nil, err
	}
	return []byte(s.String()), nil
}

func (r Record) decode(v any) error {
	b, err := r.json()
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func (db *Database) transaction(ctx context.Context, stores []string, writable bool) (any, error) {
	if err := db.ensure(ctx, stores); err != nil {
		return nil, err
	}
	mode := "readonly"
	if writable {
		mode = "readwrite"
	}
	t, err := db.txn(ctx, stores, mode)
	if err != nil {
		return nil, dbError("transaction", err)
	}
	return t.Value(), nil
}
