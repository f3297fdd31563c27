package idb

import "errors"

// Errors of the package. Errors from IndexedDB that have no sentinel here are returned with the DOMException's name
// and message in the text.
var (
	// ErrUnsupported: there is no IndexedDB here (a native build, or a browser context without it).
	ErrUnsupported = errors.New("idb: IndexedDB is not available here")
	// ErrInvalidRecord: a record is not an object with a string key, or IndexedDB cannot store it (it holds a
	// function, a DOM node, ...).
	ErrInvalidRecord = errors.New("idb: invalid record")
	// ErrNotFound: no record has the key.
	ErrNotFound = errors.New("idb: record not found")
	// ErrQuotaExceeded: the origin's storage quota, or the disk, is full.
	ErrQuotaExceeded = errors.New("idb: storage quota exceeded")
	// ErrKeyExists: an Insert of a key the store already holds.
	ErrKeyExists = errors.New("idb: a record with this key exists")
	// ErrBlocked: an upgrade (a new store, DropStore) waited until its context ended for another connection to the
	// database to close: one that does not close when asked (versionchange), in another tab perhaps.
	ErrBlocked = errors.New("idb: upgrade blocked by another open connection")
	// ErrClosed: the Database was closed.
	ErrClosed = errors.New("idb: database closed")
)
