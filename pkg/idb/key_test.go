package idb

import (
	"slices"
	"testing"
)

// TestKeyOrder checks that keys made in a row are unique and sort in the order they were made.
func TestKeyOrder(t *testing.T) {
	keys := make([]string, 100000)
	for i := range keys {
		keys[i] = Key()
	}
	if !slices.IsSorted(keys) {
		t.Fatal("keys made in a row do not sort in order")
	}
	if len(slices.Compact(slices.Clone(keys))) != len(keys) {
		t.Fatal("duplicate keys")
	}
	if len(keys[0]) != 28 {
		t.Fatalf("key %q: %d characters, want 28", keys[0], len(keys[0]))
	}
}
