package bucket

import (
	"context"
	"fmt"
	"strings"

	"github.com/smokenet/smoke/pkg/idb"
	"github.com/smokenet/smoke/pkg/idb/internal/idbjs"
)

// Reads: Stat, List, Plan and ReadChunks, each in short readonly transactions.

func (b *Bucket) stat(ctx context.Context, keys []string) ([]*Info, error) {
	out := make([]*Info, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	t, err := b.txn(ctx, false, filesStore)
	if err != nil {
		return nil, err
	}
	files, err := t.Store(filesStore)
	if err != nil {
		return nil, idb.Error("stat", err)
	}
	vs, err := files.GetMany(ctx, keys)
	if err != nil {
		return nil, idb.Error("stat", err)
	}
	for i, v := range vs {
		if r, ok := readRecord(v); ok {
			info := r.info(keys[i])
			out[i] = &info
		}
	}
	return out, nil
}

// keyBatch is how many keys List reads per transaction.
const keyBatch = 1000

func (b *Bucket) keys(ctx context.Context, prefix string) ([]string, error) {
	var out []string
	after := ""
	for {
		t, err := b.txn(ctx, false, filesStore)
		if err != nil {
			return nil, err
		}
		files, err := t.Store(filesStore)
		if err != nil {
			return nil, idb.Error("list", err)
		}
		var req idbjs.Request
		if after == "" {
			req, err = files.KeysFrom(prefix, keyBatch)
		} else {
			req, err = files.GetAllKeys(after, keyBatch)
		}
		if err != nil {
			return nil, idb.Error("list", err)
		}
		v, err := req.Await(ctx)
		if err != nil {
			return nil, idb.Error("list", err)
		}
		n := v.Length()
		for i := range n {
			k := v.Index(i).String()
			// Keys with a prefix are contiguous in IndexedDB's order too: the first one without it ends the list.
			if !strings.HasPrefix(k, prefix) {
				return out, nil
			}
			out = append(out, k)
		}
		if n < keyBatch {
			return out, nil
		}
		after = v.Index(n - 1).String()
	}
}

func (b *Bucket) plan(ctx context.Context, key string, start, end int64) (Plan, error) {
	t, err := b.txn(ctx, false, filesStore)
	if err != nil {
		return Plan{}, err
	}
	files, err := t.Store(filesStore)
	if err != nil {
		return Plan{}, idb.Error("read", err)
	}
	req, err := files.Get(key)
	if err != nil {
		return Plan{}, idb.Error("read", err)
	}
	v, err := req.Await(ctx)
	if err != nil {
		return Plan{}, idb.Error("read", err)
	}
	r, ok := readRecord(v)
	if !ok {
		return Plan{}, fmt.Errorf("%w: %q", ErrNotFound, key)
	}
	if end < 0 || end > r.size {
		end = r.size
	}
	if start > r.size {
		return Plan{}, fmt.Errorf("%w: start %d is beyond the end of %q (%d bytes)", ErrInvalidRange, start, key, r.size)
	}
	if end < start {
		return Plan{}, fmt.Errorf("%w: end %d is before start %d", ErrInvalidRange, end, start)
	}
	return Plan{Info: r.info(key), Start: start, End: end, Parts: parts(r.runs, start, end)}, nil
}

func (b *Bucket) readChunks(ctx context.Context, keys []string) (any, error) {
	out := arrayCtor.New()
	if len(keys) == 0 {
		return out, nil
	}
	t, err := b.txn(ctx, false, chunksStore)
	if err != nil {
		return nil, err
	}
	chunks, err := t.Store(chunksStore)
	if err != nil {
		return nil, idb.Error("read", err)
	}
	vs, err := chunks.GetMany(ctx, keys)
	if err != nil {
		return nil, idb.Error("read", err)
	}
	for _, v := range vs {
		if v.IsUndefined() {
			return nil, ErrChanged
		}
		out.Call("push", v)
	}
	return out, nil
}
