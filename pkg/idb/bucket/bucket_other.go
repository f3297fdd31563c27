//go:build !js

package bucket

import "context"

// Natively there is no IndexedDB: Open fails (package idb's Open returns ErrUnsupported) before any of these is
// reached; they return ErrUnsupported all the same.

func (b *Bucket) open(context.Context) error { return ErrUnsupported }
func (b *Bucket) stat(context.Context, []string) ([]*Info, error) {
	return nil, ErrUnsupported
}
func (b *Bucket) keys(context.Context, string) ([]string, error)    { return nil, ErrUnsupported }
func (b *Bucket) delete(context.Context, string) (bool, error)      { return false, ErrUnsupported }
func (b *Bucket) readChunks(context.Context, []string) (any, error) { return nil, ErrUnsupported }
func (b *Bucket) plan(context.Context, string, int64, int64) (Plan, error) {
	return Plan{}, ErrUnsupported
}
func (b *Bucket) create(context.Context, string, bool) (*Writer, error) { return nil, ErrUnsupported }
func (w *Writer) put(context.Context, any) error                        { return ErrUnsupported }
func (w *Writer) commit(context.Context) (Info, error)                  { return Info{}, ErrUnsupported }
func (w *Writer) abort(context.Context) error                           { return ErrUnsupported }
