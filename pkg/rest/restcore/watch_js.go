//go:build js

package restcore

import "time"

// watchDelay: see conn. In the browser a handler often waits for JavaScript (a JS router answers through the event
// loop), which takes about a millisecond; with 1 ms here the timer fired in the middle of such requests and the
// takeover (a new reader goroutine growing its stack) cost more than it saved. 20 ms still cancels a handler
// promptly when its client goes away.
const watchDelay = 20 * time.Millisecond
