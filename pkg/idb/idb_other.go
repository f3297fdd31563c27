//go:build !js

package idb

import (
	"context"
	"encoding/json"
	"fmt"
)

// Natively there is no IndexedDB: Open fails with ErrUnsupported, so no Database exists and its methods are never
// reached; they return ErrUnsupported all the same.

type conn struct{}

type value = struct{}

type batch struct{}

func (db *Database) open(context.Context) error      { return ErrUnsupported }
func deleteDatabase(context.Context, string) error   { return ErrUnsupported }
func (db *Database) stage(opKind, string, any) error { return ErrUnsupported }
func (db *Database) staged() int                     { return 0 }
func (db *Database) discard()                        {}
func (db *Database) commit(context.Context) error    { return ErrUnsupported }
func (db *Database) get(context.Context, string, string) (Record, error) {
	return Record{}, ErrUnsupported
}
func (db *Database) exists(context.Context, string, string) (bool, error) {
	return false, ErrUnsupported
}
func (db *Database) count(context.Context, string) (int, error)     { return 0, ErrUnsupported }
func (db *Database) keys(context.Context, string) ([]string, error) { return nil, ErrUnsupported }
func (db *Database) stores() []string                               { return nil }
func (db *Database) readBatch(context.Context, string, string, int) (Batch, error) {
	return Batch{}, ErrUnsupported
}
func (db *Database) dropStore(context.Context, string) error { return ErrUnsupported }
func (db *Database) close() error                            { return nil }

func (r Record) key() string           { return "" }
func (r Record) decode(any) error      { return ErrUnsupported }
func (r Record) json() ([]byte, error) { return json.Marshal(nil) }
func (b batch) len() int               { return 0 }
func (b batch) at(int) Record          { return Record{} }
func (b batch) last() string           { return "" }
func (b batch) value() any             { return nil }

func (db *Database) transaction(context.Context, []string, bool) (any, error) {
	return nil, ErrUnsupported
}

func dbError(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("idb: %s: %w", what, err)
}
