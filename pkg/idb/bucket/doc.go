// Package bucket is Smoke's file store: named files of any size in the browser's IndexedDB, on package idb, kept
// in chunks so that no file is ever held whole in memory, and replaced atomically.
//
// # Layout
//
// A bucket is one IndexedDB database ("smoke-bucket:" + name) of three stores. chunks holds the bytes, one Blob
// per chunk of ChunkSize (1 MiB) bytes, under "<write id>/<index>"; every write (a replace, or an append) gets an id
// of its own (idb.Key), so chunks are never overwritten. files holds a record per file: its size, created and
// updated times, ETag (the id of the write that made the content) and its runs, the chunks of each write that make
// it up (a replace leaves one run, each append adds one). pending holds the writes under way.
//
// A write first records itself in pending, then stores its chunks a few per transaction, then commits: one
// transaction reads the file's record, writes the new one (the new run alone, or appended to the old runs),
// deletes the chunks the old content no longer needs and the pending entry. So a reader sees the old content or
// the new one, never a mix: a write that fails or is aborted deletes its own chunks, and one cut short by a crash
// or a closed tab leaves only its pending entry and chunks, which the next Open of the bucket collects. To tell a
// dead write from one in another live tab, each page holds a Web Lock ("smoke-bucket-page:<id>") for as long as it
// lives, and a pending entry names its page: an entry whose page's lock nobody holds is dead. (Without Web Locks,
// entries older than a day are taken as dead.) A read plans first (the chunk parts of a byte range, from the
// record), then reads the chunks; a chunk gone meanwhile (the file replaced or deleted) fails the read with
// ErrChanged rather than mixing two contents.
//
// # Where the bytes live
//
// The bytes never enter Go: chunks are JavaScript Blobs, which this package stores, reads and hands on as
// syscall/js values, while Go owns the layout (records, runs, ranges, collection). Copying each byte into wasm
// memory and out again would cost time, and grow the wasm memory, which never shrinks, for nothing Go does with
// the bytes: measured in Chromium, 1 MiB chunks copied into Go and back out into a Blob went at 600-700 MiB/s,
// against 800-1,200 MiB/s for making the Blob alone, some 0.5 ms more per MiB, 10-15 % of a write's time at
// IndexedDB's 250 MiB/s; and a 100 MiB round trip as it is grows the wasm memory by 0.2 MiB (wasm/bucket_test.go). Blobs rather than ArrayBuffers: measured in Chromium (64 MiB, 4 chunks per transaction), 1 MiB Blob
// puts and gets ran as fast as ArrayBuffer ones (about 240-270 MiB/s write, 250-320 MiB/s read on the test machine),
// while a file read as a Blob (npm's bucket.readBlob) is then made of the stored chunks without reading a byte, and
// a Blob to write is cut into chunks with Blob.slice, unread.
//
// # Chunk size
//
// 1 MiB: in the same measurement, 256 KiB Blob chunks wrote at 85-145 MiB/s and read at 150-190 MiB/s, against
// 240-270 and 280-320 for 1 MiB; ArrayBuffer chunks were about even at both sizes. Larger chunks would gain little
// and make a small read (a Range request of a few bytes) read more: a range reads at most one chunk it does not
// need at each end.
//
// # Wasm
//
// The bucket exists only in the browser (GOOS=js). Natively, Open and Drop return ErrUnsupported (package idb's).
package bucket
