//go:build !js

package bucket

import (
	"context"
	"errors"
	"testing"
)

func TestNative(t *testing.T) {
	if _, err := Open(context.Background(), "x"); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("Open natively: %v, want ErrUnsupported", err)
	}
	if err := CheckKey(""); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("CheckKey(\"\"): %v", err)
	}
}
