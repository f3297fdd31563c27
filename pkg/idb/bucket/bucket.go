package bucket

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/smokenet/smoke/pkg/idb"
)

// ChunkSize is the size of every chunk of a write but its last: 1 MiB (see the package doc for why).
const ChunkSize = 1 << 20

// MaxKey is the longest key, in bytes.
const MaxKey = 1024

// Errors of the package. IndexedDB's own (a full quota: idb.ErrQuotaExceeded) come wrapped as package idb reports
// them.
var (
	// ErrNotFound: no file has the key.
	ErrNotFound = errors.New("bucket: file not found")
	// ErrInvalidKey: a key that is empty, too long (MaxKey) or not UTF-8.
	ErrInvalidKey = errors.New("bucket: invalid key")
	// ErrInvalidRange: a byte range that starts after the end of the file, or ends before it starts.
	ErrInvalidRange = errors.New("bucket: invalid range")
	// ErrChanged: the file was replaced or deleted while it was being read; nothing of the other content was read.
	ErrChanged = errors.New("bucket: the file changed while it was read")
	// ErrInvalidChunk: a chunk of a write that is not a Blob, is larger than ChunkSize, or follows a short one.
	ErrInvalidChunk = errors.New("bucket: invalid chunk")
	// ErrWriteEnded: Put, Commit or Abort of a write that was committed or aborted.
	ErrWriteEnded = errors.New("bucket: the write has ended")
	// ErrClosed: the Bucket was closed.
	ErrClosed = errors.New("bucket: closed")
	// ErrUnsupported: there is no IndexedDB here (a native build).
	ErrUnsupported = idb.ErrUnsupported
)

// Info describes a file.
type Info struct {
	Key     string
	Size    int64
	Created time.Time
	Updated time.Time
	// ETag is a strong entity tag (without quotes): the id of the write that made the current content. It changes
	// whenever the content does (a write, an append), and only then.
	ETag string
}

// Part is a byte range [From, To) of one chunk.
type Part struct {
	Chunk    string // the chunk's key in the chunks store
	From, To int64
}

// Plan is how to read a byte range of a file: the file's Info, the range [Start, End) it covers, and the parts of
// chunks that hold it, in order.
type Plan struct {
	Info
	Start, End int64
	Parts      []Part
}

// CheckKey says why key cannot name a file, if it cannot.
func CheckKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("%w: a key must not be empty", ErrInvalidKey)
	case len(key) > MaxKey:
		return fmt.Errorf("%w: a key is at most %d bytes, got %d", ErrInvalidKey, MaxKey, len(key))
	case !utf8.ValidString(key):
		return fmt.Errorf("%w: a key must be UTF-8", ErrInvalidKey)
	}
	return nil
}

// Bucket is an open bucket: a named IndexedDB database of files.
type Bucket struct {
	name string
	db   *idb.Database
}

// dbName is the IndexedDB database of the bucket name: apart from those of package idb's Databases.
func dbName(name string) string { return "smoke-bucket:" + name }

// Open opens (or creates) the bucket name, and in the background collects what writes that died (a tab closed
// in the middle of one) left behind.
func Open(ctx context.Context, name string) (*Bucket, error) {
	if name == "" {
		return nil, errors.New("bucket: a bucket needs a name")
	}
	db, err := idb.Open(ctx, dbName(name), nil)
	if err != nil {
		return nil, err
	}
	b := &Bucket{name: name, db: db}
	if err := b.open(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return b, nil
}

// Drop deletes the bucket name with all its files.
func Drop(ctx context.Context, name string) error { return idb.DeleteDatabase(ctx, dbName(name)) }

// Name returns the bucket's name.
func (b *Bucket) Name() string { return b.name }

// Stat returns the Info of each key, nil for those that name no file, read in one transaction.
func (b *Bucket) Stat(ctx context.Context, keys ...string) ([]*Info, error) {
	for _, k := range keys {
		if err := CheckKey(k); err != nil {
			return nil, err
		}
	}
	return b.stat(ctx, keys)
}

// List returns the keys that start with prefix, in order, S3-like: with a delimiter, a key with the delimiter in it
// after the prefix is given only as its common prefix (the key up to and including that delimiter) in prefixes,
// once. So List(ctx, "photos/", "/") lists the files of photos/ and its "subdirectories".
func (b *Bucket) List(ctx context.Context, prefix, delimiter string) (keys, prefixes []string, err error) {
	all, err := b.keys(ctx, prefix)
	if err != nil {
		return nil, nil, err
	}
	keys, prefixes = group(all, prefix, delimiter)
	return keys, prefixes, nil
}

// Delete deletes the file key and its chunks, in one transaction. It says whether there was one.
func (b *Bucket) Delete(ctx context.Context, key string) (bool, error) {
	if err := CheckKey(key); err != nil {
		return false, err
	}
	return b.delete(ctx, key)
}

// Plan returns how to read the bytes [start, end) of the file key; end < 0 or beyond the end means to its end. A
// start beyond the end, or an end before start, is ErrInvalidRange (start == size is an empty range).
func (b *Bucket) Plan(ctx context.Context, key string, start, end int64) (Plan, error) {
	if err := CheckKey(key); err != nil {
		return Plan{}, err
	}
	if start < 0 {
		return Plan{}, fmt.Errorf("%w: start %d is negative", ErrInvalidRange, start)
	}
	return b.plan(ctx, key, start, end)
}

// ReadChunks returns the chunks with keys (from a Plan), in one transaction, as the platform holds them (Blobs, a
// syscall/js.Value of a JavaScript array, in the browser). A chunk that is gone (the file was replaced or deleted
// since the Plan) is ErrChanged.
func (b *Bucket) ReadChunks(ctx context.Context, keys []string) (any, error) {
	return b.readChunks(ctx, keys)
}

// Create starts a write of the file key: a new content that replaces the old one when committed or, appending,
// that is added to its end (a file that does not exist is created either way). Until Commit nothing of it is
// visible; Abort, or a crash, leaves the file as it was.
func (b *Bucket) Create(ctx context.Context, key string, appending bool) (*Writer, error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	return b.create(ctx, key, appending)
}

// Close closes the bucket.
func (b *Bucket) Close() error { return b.db.Close() }

// Writer is a write begun by Create. Its methods may be called from several goroutines; they run one at a time (an
// Abort waits for a Put under way, so that no chunk is stored after the write's chunks are deleted).
type Writer struct {
	mu        sync.Mutex
	b         *Bucket
	key, id   string
	appending bool
	count     int   // chunks stored
	size      int64 // bytes stored
	last      int64 // size of the last chunk stored
	ended     bool
}

// Put stores chunks (a JavaScript array of Blobs in the browser) after those stored so far, in one transaction.
// Each is at most ChunkSize bytes, and only the last chunk of the whole write may be shorter.
func (w *Writer) Put(ctx context.Context, chunks any) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ended {
		return ErrWriteEnded
	}
	return w.put(ctx, chunks)
}

// Size returns the bytes stored so far.
func (w *Writer) Size() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.size
}

// Commit makes the write the file's content (or appends it) in one transaction, and deletes the chunks of the
// content it replaced in the same one. It returns the file's new Info.
func (w *Writer) Commit(ctx context.Context) (Info, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ended {
		return Info{}, ErrWriteEnded
	}
	w.ended = true
	return w.commit(ctx)
}

// Abort drops the write: its chunks are deleted, and the file stays as it was. Aborting an ended write does
// nothing.
func (w *Writer) Abort(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ended {
		return nil
	}
	w.ended = true
	return w.abort(ctx)
}
