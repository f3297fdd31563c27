package bucket

import (
	"context"
	"sync"
	"syscall/js"
	"time"

	"github.com/smokenet/smoke/internal/jsx"
	"github.com/smokenet/smoke/pkg/idb"
)

// Collection of what dead writes left: the page lock that tells a live write from a dead one, and the sweep at
// Open.

// staleAfter is how old a pending write must be to be collected where the page that made it cannot be asked
// (no Web Locks).
const staleAfter = 24 * time.Hour

// collect deletes the chunks of writes whose page has gone: a page holds its lock (holdPageLock) as long as it
// lives, so a pending write of a page whose lock nobody holds will never be committed.
func (b *Bucket) collect(ctx context.Context) error {
	t, err := b.txn(ctx, false, pendingStore)
	if err != nil {
		return err
	}
	pending, err := t.Store(pendingStore)
	if err != nil {
		return err
	}
	req, err := pending.GetAllKeys("", 0)
	if err != nil {
		return err
	}
	keysV, err := req.Await(ctx)
	if err != nil {
		return err
	}
	var ids []string
	for i := range keysV.Length() {
		ids = append(ids, keysV.Index(i).String())
	}
	if len(ids) == 0 {
		return nil
	}
	t, err = b.txn(ctx, false, pendingStore)
	if err != nil {
		return err
	}
	if pending, err = t.Store(pendingStore); err != nil {
		return err
	}
	vs, err := pending.GetMany(ctx, ids)
	if err != nil {
		return err
	}
	held, known := heldLocks(ctx)
	for i, v := range vs {
		if v.Type() != js.TypeObject {
			continue
		}
		dead := false
		if known {
			dead = !held[pageLockName(v.Get("page").String())]
		} else {
			dead = now()-v.Get("started").Float() > float64(staleAfter/time.Millisecond)
		}
		if dead {
			if err := b.drop(ctx, ids[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// The page's lock (Web Locks, navigator.locks): held for as long as the page lives, so that another page can tell
// that the writes this one left pending are still under way.
var page struct {
	once  sync.Once
	id    string
	ready chan struct{}
	err   error
}

func pageLockName(id string) string { return "smoke-bucket-page:" + id }

// holdPageLock takes the page's lock, once, and returns the page's id. Without Web Locks it only returns the id.
func holdPageLock(ctx context.Context) (string, error) {
	page.once.Do(func() {
		page.id = idb.Key()
		page.ready = make(chan struct{})
		locks := js.Global().Get("navigator")
		if locks.Type() == js.TypeObject {
			locks = locks.Get("locks")
		}
		if locks.Type() != js.TypeObject {
			close(page.ready)
			return
		}
		var granted jsx.Func
		granted = jsx.FuncOf(func(js.Value, []js.Value) (any, error) {
			granted.Release()
			close(page.ready)
			// Never settles: the lock is held until the page goes.
			noop := jsx.FuncOf(func(js.Value, []js.Value) (any, error) { return nil, nil })
			defer noop.Release()
			return jsx.New(js.Global().Get("Promise"), noop)
		})
		if _, err := jsx.Call(locks, "request", pageLockName(page.id), granted); err != nil {
			granted.Release()
			page.err = err
			close(page.ready)
		}
	})
	select {
	case <-page.ready:
		return page.id, page.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// heldLocks returns the names of the locks held in the origin; known is false without Web Locks.
func heldLocks(ctx context.Context) (held map[string]bool, known bool) {
	nav := js.Global().Get("navigator")
	if nav.Type() != js.TypeObject || nav.Get("locks").Type() != js.TypeObject {
		return nil, false
	}
	p, err := jsx.Call(nav.Get("locks"), "query")
	if err != nil {
		return nil, false
	}
	v, err := jsx.Await(ctx, p)
	if err != nil {
		return nil, false
	}
	held = map[string]bool{}
	h := v.Get("held")
	for i := range h.Length() {
		held[h.Index(i).Get("name").String()] = true
	}
	return held, true
}
