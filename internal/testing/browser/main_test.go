//go:build !js

package browser

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestMain fails the run if a goroutine outlives the tests: every Browser,
// Page and Server must have ended all of its own.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if leaked := leakedGoroutines(); leaked != "" {
			fmt.Fprintf(os.Stderr, "goroutines left after the tests:\n%s\n", leaked)
			code = 1
		}
	}
	os.Exit(code)
}

// leakedGoroutines returns the stacks of the goroutines other than the
// caller's and the runtime's, after giving them a moment to end.
func leakedGoroutines() string {
	var stacks []string
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		stacks = nil
		for _, g := range strings.Split(string(buf), "\n\n")[1:] { // [0] is this goroutine
			if strings.Contains(g, "testing.(*M).") || strings.Contains(g, "os/signal.") {
				continue
			}
			stacks = append(stacks, g)
		}
		if len(stacks) == 0 {
			return ""
		}
	}
	return strings.Join(stacks, "\n\n")
}
