// Package wasmtest is the test binary of the BuildWasmTest test.
package wasmtest

import (
	"os"
	"testing"
)

func TestEnv(t *testing.T) {
	t.Logf("SMOKE_TEST_ENV=%s", os.Getenv("SMOKE_TEST_ENV"))
}
