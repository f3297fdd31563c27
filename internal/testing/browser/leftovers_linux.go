package browser

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
	"time"
)

// killLeftovers kills every process whose command line names dir, the
// unique profile directory of one Browser, and waits until none is left.
//
// Killing Chromium leaves its zygotes, renderers and crash handlers behind
// for a moment, orphaned; they can still write into dir after it is removed.
// Chromium gives dir to each of them (as --user-data-dir, or inside
// crashpad's --database), so the command line finds them without a process
// group. A process can fork as its parent dies, so look again until a few
// passes in a row find nothing.
func killLeftovers(dir string) {
	const (
		quietPasses = 3
		pause       = 10 * time.Millisecond
		limit       = 5 * time.Second
	)
	deadline := time.Now().Add(limit)
	for quiet := 0; quiet < quietPasses && time.Now().Before(deadline); time.Sleep(pause) {
		pids := processesNaming(dir)
		for _, pid := range pids {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		if len(pids) == 0 {
			quiet++
		} else {
			quiet = 0
		}
	}
}

// processesNaming returns the live processes that have dir in their command
// line.
func processesNaming(dir string) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	self := os.Getpid()
	// Match dir only as a whole path or a parent, so that the dir of another
	// browser which merely starts with the same bytes is left alone. Each
	// argument in cmdline ends with a NUL.
	whole, parent := []byte(dir+"\x00"), []byte(dir+"/")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		// A zombie has an empty command line, so it is not counted: it is
		// dead already, and its parent or init reaps it.
		cmdline, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil || !bytes.Contains(cmdline, whole) && !bytes.Contains(cmdline, parent) {
			continue
		}
		pids = append(pids, pid)
	}
	return pids
}

// killGroup kills the process group that pid leads, if any is left.
func killGroup(pid int) {
	if pid > 0 {
		syscall.Kill(-pid, syscall.SIGKILL)
	}
}
