//go:build !js

package restcore

import "time"

// watchDelay: see conn. Natively a small handler is done well within it.
const watchDelay = time.Millisecond
