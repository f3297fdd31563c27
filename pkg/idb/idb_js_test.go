package idb

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall/js"
	"testing"
	"time"

	"github.com/smokenet/smoke/internal/jsx"
)

// These tests run in headless Chromium (make test-js; internal/cmd/wasmbrowser) against its real IndexedDB.

type user struct {
	Key  string `json:"key"`
	Name string `json:"name"`
	Role string `json:"role"`
}

var dbSeq int

// open opens a database of a name no other test uses, deleted when the test ends.
func open(t *testing.T, opts *Options) (*Database, string) {
	t.Helper()
	dbSeq++
	name := fmt.Sprintf("%s-%d-%d", t.Name(), time.Now().UnixNano(), dbSeq)
	db := openName(t, name, opts)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := DeleteDatabase(ctx, name); err != nil {
			t.Errorf("DeleteDatabase: %v", err)
		}
	})
	return db, name
}

func openName(t *testing.T, name string, opts *Options) *Database {
	t.Helper()
	db, err := Open(ctx(t), name, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", name, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func names(t *testing.T, db *Database, store string) []string {
	t.Helper()
	var out []string
	for r, err := range db.Records(ctx(t), store) {
		must(t, err)
		var u user
		must(t, r.Decode(&u))
		if u.Key != r.Key() {
			t.Fatalf("record key %q, Key() %q", u.Key, r.Key())
		}
		out = append(out, u.Name)
	}
	return out
}

func TestCRUD(t *testing.T) {
	db, _ := open(t, nil)
	c := ctx(t)
	if n, err := db.Count(c, "users"); err != nil || n != 0 {
		t.Fatalf("Count of a store that does not exist: %d, %v", n, err)
	}
	keys := make([]string, 5)
	for i, name := range []string{"smith", "mike", "dave", "alice", "jones"} {
		keys[i] = Key()
		must(t, db.Insert("users", user{Key: keys[i], Name: name, Role: "user"}))
	}
	if n, _ := db.Count(c, "users"); n != 0 {
		t.Fatalf("staged records visible before Commit: %d", n)
	}
	if db.Staged() != 5 {
		t.Fatalf("Staged() = %d, want 5", db.Staged())
	}
	must(t, db.Commit(c))
	if db.Staged() != 0 {
		t.Fatalf("Staged() after Commit = %d", db.Staged())
	}
	if n, err := db.Count(c, "users"); err != nil || n != 5 {
		t.Fatalf("Count = %d, %v; want 5", n, err)
	}
	// Insertion order is key order.
	if got := strings.Join(names(t, db, "users"), ","); got != "smith,mike,dave,alice,jones" {
		t.Fatalf("records in order: %s", got)
	}
	got, err := db.Keys(c, "users")
	must(t, err)
	if strings.Join(got, ",") != strings.Join(keys, ",") {
		t.Fatalf("Keys = %v, want %v", got, keys)
	}
	r, err := db.Get(c, "users", keys[2])
	must(t, err)
	var u user
	must(t, r.Decode(&u))
	if u.Name != "dave" {
		t.Fatalf("Get: %+v", u)
	}
	if _, err := db.Get(c, "users", "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get of a missing key: %v, want ErrNotFound", err)
	}
	if ok, err := db.Exists(c, "users", keys[0]); err != nil || !ok {
		t.Fatalf("Exists = %v, %v", ok, err)
	}
	if ok, err := db.Exists(c, "users", "nope"); err != nil || ok {
		t.Fatalf("Exists(nope) = %v, %v", ok, err)
	}

	must(t, db.Update("users", user{Key: keys[1], Name: "michael", Role: "admin"}))
	must(t, db.Delete("users", keys[0]))
	must(t, db.Commit(c))
	if got := strings.Join(names(t, db, "users"), ","); got != "michael,dave,alice,jones" {
		t.Fatalf("after update and delete: %s", got)
	}
	if ok, _ := db.Exists(c, "users", keys[0]); ok {
		t.Fatal("deleted record exists")
	}

	// Insert of a key that exists fails the commit, and nothing of it is applied.
	must(t, db.Insert("users", user{Key: Key(), Name: "new"}))
	must(t, db.Insert("users", user{Key: keys[1], Name: "dup"}))
	if err := db.Commit(c); !errors.Is(err, ErrKeyExists) {
		t.Fatalf("Commit with a duplicate Insert: %v, want ErrKeyExists", err)
	}
	if got := strings.Join(names(t, db, "users"), ","); got != "michael,dave,alice,jones" {
		t.Fatalf("after the failed commit: %s", got)
	}
}

func TestPersistsAcrossReopen(t *testing.T) {
	db, name := open(t, &Options{Durability: Strict})
	c := ctx(t)
	k := Key()
	must(t, db.Insert("notes", map[string]any{"key": k, "text": "kept"}))
	must(t, db.Commit(c))
	must(t, db.Close())
	if _, err := db.Count(c, "notes"); !errors.Is(err, ErrClosed) {
		t.Fatalf("Count after Close: %v, want ErrClosed", err)
	}
	db2 := openName(t, name, nil)
	r, err := db2.Get(c, "notes", k)
	must(t, err)
	var m map[string]string
	must(t, r.Decode(&m))
	if m["text"] != "kept" {
		t.Fatalf("after reopen: %v", m)
	}
	if got := db2.Stores(); len(got) != 1 || got[0] != "notes" {
		t.Fatalf("Stores = %v", got)
	}
}

// TestBadRecords checks that a record that cannot be stored fails the whole commit and changes nothing.
func TestBadRecords(t *testing.T) {
	db, _ := open(t, nil)
	c := ctx(t)
	k0 := Key()
	must(t, db.Insert("s", user{Key: k0, Name: "first"}))
	must(t, db.Commit(c))

	// No key, or a key that is not a string: refused when staged.
	for _, rec := range []any{map[string]any{"name": "x"}, map[string]any{"key": 5}, "text", 42} {
		if err := db.Insert("s", rec); !errors.Is(err, ErrInvalidRecord) {
			t.Errorf("Insert(%v): %v, want ErrInvalidRecord", rec, err)
		}
	}
	// A value IndexedDB cannot clone (a function), after a good record and in another store: the whole commit
	// fails, and neither the good record nor the new store appears.
	bad, err := jsx.ValueOf(map[string]any{"key": Key()})
	must(t, err)
	bad.Set("fn", js.Global().Get("Function").New("return 1"))
	must(t, db.Insert("s", user{Key: Key(), Name: "second"}))
	must(t, db.Insert("other", user{Key: Key(), Name: "elsewhere"}))
	must(t, db.Insert("s", bad))
	err = db.Commit(c)
	if !errors.Is(err, ErrInvalidRecord) || !strings.Contains(err.Error(), "DataCloneError") {
		t.Fatalf("Commit with an uncloneable value: %v, want ErrInvalidRecord (DataCloneError)", err)
	}
	if got := strings.Join(names(t, db, "s"), ","); got != "first" {
		t.Fatalf("after the failed commit: %s", got)
	}
	if n, _ := db.Count(c, "other"); n != 0 {
		t.Fatalf("the failed commit wrote %d records to another store", n)
	}
	// Records staged as one array: a keyless one among them fails the commit the same way.
	arr, err := jsx.ValueOf([]any{map[string]any{"key": Key(), "name": "a"}, map[string]any{"name": "keyless"}})
	must(t, err)
	must(t, db.Insert("s", arr))
	if err := db.Commit(c); !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("Commit with a keyless record in an array: %v, want ErrInvalidRecord", err)
	}
	if n, _ := db.Count(c, "s"); n != 1 {
		t.Fatalf("after the failed array commit: %d records, want 1", n)
	}
}

// TestUpgradeWhileAnotherConnectionIsOpen: a second connection adds a store (a version upgrade) while the first is
// open; the first is asked to close, the upgrade goes through, and the first reopens by itself on its next call
// and sees the new store.
func TestUpgradeWhileAnotherConnectionIsOpen(t *testing.T) {
	db1, name := open(t, nil)
	c := ctx(t)
	must(t, db1.Insert("a", user{Key: Key(), Name: "in a"}))
	must(t, db1.Commit(c))
	db2 := openName(t, name, nil)
	must(t, db2.Insert("b", user{Key: Key(), Name: "in b"}))
	short, cancel := context.WithTimeout(c, 10*time.Second)
	defer cancel()
	if err := db2.Commit(short); err != nil {
		t.Fatalf("upgrade while another connection is open: %v", err)
	}
	if n, err := db1.Count(c, "a"); err != nil || n != 1 {
		t.Fatalf("first connection after the upgrade: Count(a) = %d, %v", n, err)
	}
	if n, err := db1.Count(c, "b"); err != nil || n != 1 {
		t.Fatalf("first connection after the upgrade: Count(b) = %d, %v", n, err)
	}
	// And back: the first connection upgrades while the second is open.
	must(t, db1.Insert("c", user{Key: Key(), Name: "in c"}))
	must(t, db1.Commit(c))
	if n, err := db2.Count(c, "c"); err != nil || n != 1 {
		t.Fatalf("second connection: Count(c) = %d, %v", n, err)
	}
}

// TestBatches reads 1,000 records in batches, and checks that an iteration stopped early reads no more batches.
func TestBatches(t *testing.T) {
	db, _ := open(t, &Options{BatchSize: 100})
	c := ctx(t)
	var want []string
	for i := range 1000 {
		n := fmt.Sprintf("u%04d", i)
		want = append(want, n)
		must(t, db.Insert("users", user{Key: Key(), Name: n}))
	}
	must(t, db.Commit(c))
	var got []string
	after := ""
	batches := 0
	for {
		b, err := db.ReadBatch(c, "users", after, 0)
		must(t, err)
		if b.Len() == 0 {
			break
		}
		batches++
		for i := range b.Len() {
			var u user
			must(t, b.At(i).Decode(&u))
			got = append(got, u.Name)
		}
		after = b.Last()
	}
	if strings.Join(got, ",") != strings.Join(want, ",") || batches != 10 {
		t.Fatalf("read %d records in %d batches; want 1000 in 10, in order", len(got), batches)
	}

	before := db.reads.Load()
	n := 0
	for _, err := range db.Records(c, "users") {
		must(t, err)
		if n++; n == 10 {
			break
		}
	}
	if reads := db.reads.Load() - before; reads != 1 {
		t.Fatalf("10 records of an iteration read %d batches, want 1", reads)
	}
	before = db.reads.Load()
	n = 0
	for _, err := range db.Records(c, "users") {
		must(t, err)
		n++
	}
	if reads := db.reads.Load() - before; n != 1000 || reads != 11 {
		t.Fatalf("a whole iteration: %d records in %d batches, want 1000 in 11", n, reads)
	}
}

func TestDropStoreAndDeleteDatabase(t *testing.T) {
	db, name := open(t, nil)
	c := ctx(t)
	must(t, db.Insert("a", user{Key: Key()}))
	must(t, db.Insert("b", user{Key: Key()}))
	must(t, db.Commit(c))
	must(t, db.DropStore(c, "a"))
	if got := db.Stores(); len(got) != 1 || got[0] != "b" {
		t.Fatalf("Stores after DropStore(a) = %v", got)
	}
	if n, err := db.Count(c, "a"); err != nil || n != 0 {
		t.Fatalf("Count of a dropped store: %d, %v", n, err)
	}
	// DeleteDatabase while db is open: db is asked to close; afterwards a new database of the name is empty.
	must(t, DeleteDatabase(c, name))
	db2 := openName(t, name, nil)
	if got := db2.Stores(); len(got) != 0 {
		t.Fatalf("Stores after DeleteDatabase = %v", got)
	}
}

// TestUpgradeBlocked: a connection that ignores versionchange blocks an upgrade; the commit gives up when its
// context ends, with ErrBlocked, and works once that connection has closed.
func TestUpgradeBlocked(t *testing.T) {
	db, name := open(t, nil)
	c := ctx(t)
	must(t, db.Insert("a", user{Key: Key()}))
	must(t, db.Commit(c))

	// A plain IndexedDB connection of the page's own, which does not listen for versionchange.
	idbf := js.Global().Get("indexedDB")
	req, err := jsx.Call(idbf, "open", name)
	must(t, err)
	opened := make(chan js.Value, 1)
	remove, err := jsx.AddEventListener(req, "success", func(js.Value) { opened <- req.Get("result") })
	must(t, err)
	raw := <-opened
	remove()

	must(t, db.Insert("b", user{Key: Key()}))
	short, cancel := context.WithTimeout(c, time.Second)
	defer cancel()
	err = db.Commit(short)
	if !errors.Is(err, ErrBlocked) {
		t.Fatalf("commit needing an upgrade while a connection ignores versionchange: %v, want ErrBlocked", err)
	}
	if _, err := jsx.Call(raw, "close"); err != nil {
		t.Fatal(err)
	}
	must(t, db.Insert("b", user{Key: Key()}))
	must(t, db.Commit(c))
	if n, err := db.Count(c, "b"); err != nil || n != 1 {
		t.Fatalf("Count(b) after the blocking connection closed: %d, %v", n, err)
	}
	if n, err := db.Count(c, "a"); err != nil || n != 1 {
		t.Fatalf("Count(a): %d, %v", n, err)
	}
}

// TestStageMany stages records as a JavaScript array and as a Map from key to record (how the JS face stages a
// batch), each written in the same commit.
func TestStageMany(t *testing.T) {
	db, _ := open(t, nil)
	c := ctx(t)
	var keys []string
	arr := js.Global().Get("Array").New()
	m := js.Global().Get("Map").New()
	for i := range 6 {
		k := Key()
		keys = append(keys, k)
		rec, err := jsx.ValueOf(map[string]any{"key": k, "name": fmt.Sprintf("r%d", i)})
		must(t, err)
		if i < 3 {
			arr.Call("push", rec)
		} else {
			m.Call("set", k, rec)
		}
	}
	must(t, db.Insert("s", arr))
	must(t, db.Update("s", m))
	if n := db.Staged(); n != 6 {
		t.Fatalf("Staged() = %d, want 6", n)
	}
	must(t, db.Commit(c))
	got, err := db.Keys(c, "s")
	must(t, err)
	if strings.Join(got, ",") != strings.Join(keys, ",") {
		t.Fatalf("keys %v, want %v", got, keys)
	}
	if got := strings.Join(names(t, db, "s"), ","); got != "r0,r1,r2,r3,r4,r5" {
		t.Fatalf("records: %s", got)
	}
}
