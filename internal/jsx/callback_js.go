//go:build js

package jsx

import (
	"sync"
	"sync/atomic"
	"syscall/js"
)

// live counts the callbacks jsx has made and not yet released, so that tests
// can prove that every path (settle, ctx cancel, remove, Release) lets go of
// its js.Func: a js.Func that is never released is a leak that no garbage
// collector can find, since JavaScript holds it by id.
var live atomic.Int64

// callback is a counted js.Func that is released exactly once.
type callback struct {
	js.Func
	once sync.Once
}

func newCallback(fn func(this js.Value, args []js.Value) any) *callback {
	live.Add(1)
	return &callback{Func: js.FuncOf(fn)}
}

// release releases the js.Func. It is safe to call more than once and from
// inside the callback itself.
func (c *callback) release() {
	c.once.Do(func() {
		c.Func.Release()
		live.Add(-1)
	})
}

// liveCallbacks reports how many callbacks have not been released.
func liveCallbacks() int64 { return live.Load() }

// arg returns args[i], or undefined when JavaScript passed fewer arguments,
// as a JavaScript function would see it.
func arg(args []js.Value, i int) js.Value {
	if i < len(args) {
		return args[i]
	}
	return js.Undefined()
}
