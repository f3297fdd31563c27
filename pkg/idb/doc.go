// Package idb is Smoke's database: records in the browser's IndexedDB, read in batches and queried with the
// operators of package query, on top of github.com/hack-pad/go-indexeddb.
//
// A [Database] holds named stores of records. A record is a JavaScript object with a string key property (in Go:
// a value that marshals to such a JSON object, or a syscall/js.Value); [Key] makes keys that are unique and sort in
// the order they were made. Stores keep their keys out of line (put(record, record.key)): a batch of records
// staged in JavaScript as a Map from key to record is then written with one Map.forEach(store.put, store), the
// records never crossing into Go, which is what lets a bulk insert run as fast as plain IndexedDB puts. Insert, Update and Delete are staged in memory until [Database.Commit], which applies
// them all in one readwrite transaction or none of them. Stores are made on first use: a commit that writes to a
// store the database lacks first upgrades the database (a new version), and every other connection to it, in this
// page or another tab, is asked to close (versionchange) so that the upgrade does not wait for ever; such a
// connection of this package reopens by itself on its next call.
//
// Reads never hold a transaction across a wait for anything but IndexedDB itself: each batch of [Database.ReadBatch]
// (and so each step of [Database.Records]) is one short readonly transaction, getAll(lowerBound(last key,
// exclusive), n), because a transaction commits itself as soon as the event loop idles with no request of it
// pending.
//
// # Errors
//
// A staged record that is not an object with a string key fails at once with [ErrInvalidRecord]. A commit that the
// store refuses (a value that cannot be cloned, an Insert of a key that exists) fails whole, with the failing
// operation named and nothing changed. A full disk or quota gives [ErrQuotaExceeded] (code ERR_QUOTA_EXCEEDED in
// JavaScript), again with nothing written.
//
// # Wasm
//
// The database exists only in the browser (GOOS=js). Natively, [Open] and [DeleteDatabase] return
// [ErrUnsupported]; [Key] and package query work everywhere.
package idb
