// Command wasmexit is the program of the RunWasm tests. It writes its
// arguments and $SMOKE_TEST_ENV to stdout and stderr, then ends as its first
// argument says:
//
//	exit N  exit with code N
//	panic   panic
//	trap    trap the wasm instance from a timer callback
//	hang    never exit
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: wasmexit exit N | panic | trap | hang")
		os.Exit(2)
	}
	fmt.Printf("args %q\n", os.Args[1:])
	fmt.Fprintf(os.Stderr, "env %q\n", os.Getenv("SMOKE_TEST_ENV"))
	// A partial line and bytes that are not UTF-8 must come through as they
	// are.
	os.Stdout.WriteString("partial\xff\xfe")

	switch os.Args[1] {
	case "exit":
		code, _ := strconv.Atoi(os.Args[2])
		os.Exit(code)
	case "panic":
		panic("wasmexit panics")
	case "trap":
		// Let the timer resume the program from JavaScript, so the trap
		// escapes from an event handler and not from go.run.
		time.Sleep(time.Millisecond)
		runtime.Breakpoint() // the wasm instruction unreachable
	case "hang":
		// A sleeping goroutine is not a deadlock: the runtime waits for the
		// timer, and the page stays busy for an hour.
		time.Sleep(time.Hour)
	}
}
