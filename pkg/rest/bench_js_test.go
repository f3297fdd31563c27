//go:build js

package rest_test

import "time"

// processCPU is not available in the browser; the benchmarks report no CPU figure there.
func processCPU() time.Duration { return 0 }

// The browser runs a new wasm module's first seconds on its baseline compiler.
const warmUpTime = 3 * time.Second
