package random

import (
	"bytes"
	"testing"
)

// TestRead: the bytes are filled, more than one call's worth too, and two reads differ.
func TestRead(t *testing.T) {
	for _, n := range []int{0, 1, 16, maxPerCallForTest + 7} {
		a, b := make([]byte, n), make([]byte, n)
		if got, err := Read(a); got != n || err != nil {
			t.Fatalf("Read(%d bytes) = %d, %v", n, got, err)
		}
		Read(b)
		if n >= 16 && bytes.Equal(a, b) {
			t.Fatalf("two reads of %d bytes are equal", n)
		}
		if n >= 16 && bytes.Equal(a[n-16:], make([]byte, 16)) {
			t.Fatalf("the last 16 of %d bytes are zero: not filled", n)
		}
	}
}

// maxPerCallForTest is more than getRandomValues fills in one call, so that the loop in the browser is exercised.
const maxPerCallForTest = 65536
