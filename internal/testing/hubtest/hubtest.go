//go:build !js

// Package hubtest starts real smoke-hub processes for tests.
package hubtest

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// Start runs the smoke-hub binary on a free loopback port with extra flags, stops it when the test ends, and
// returns its ws:// URL. It uses the binary the Makefile built (in SMOKE_BIN) or builds one. On failure the hub's
// log is added to the test's output.
func Start(t testing.TB, flags ...string) string {
	t.Helper()
	return StartProcess(t, 0, flags...).URL
}

// Process is a running smoke-hub.
type Process struct {
	URL  string    // ws://127.0.0.1:port/
	Addr string    // 127.0.0.1:port
	Cmd  *exec.Cmd // for signals (Cmd.Process)
	Log  *SyncBuffer
}

// StartProcess is Start returning the process. With nofile > 0 the hub runs under that open-files limit (soft and
// hard, set by the shell's ulimit before it execs the hub).
func StartProcess(t testing.TB, nofile int, flags ...string) *Process {
	t.Helper()
	bin := binary(t)
	args := append([]string{"--host", "127.0.0.1", "--port", "0", "--log-level", "warn"}, flags...)
	cmd := exec.Command(bin, args...)
	if nofile > 0 {
		cmd = exec.Command("/bin/sh", append([]string{"-c", `ulimit -n "$0" && exec "$@"`, strconv.Itoa(nofile), bin}, args...)...)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := new(SyncBuffer)
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGCONT) // in case a test stopped it
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
		if t.Failed() {
			t.Logf("smoke-hub log:\n%s", stderr.String())
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("smoke-hub did not start: %v\n%s", err, stderr.String())
	}
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "smoke-hub listening on http://")
	if !ok {
		t.Fatalf("unexpected first line from smoke-hub: %q", line)
	}
	return &Process{URL: "ws://" + addr + "/", Addr: addr, Cmd: cmd, Log: stderr}
}

var (
	buildOnce sync.Once
	built     string
	buildErr  error
)

func binary(t testing.TB) string {
	if dir := os.Getenv("SMOKE_BIN"); dir != "" {
		return filepath.Join(dir, "smoke-hub")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "smoke-hub-")
		if err != nil {
			buildErr = err
			return
		}
		built = filepath.Join(dir, "smoke-hub")
		out, err := exec.Command("go", "build", "-o", built, "github.com/smokenet/smoke/cmd/smoke-hub").CombinedOutput()
		if err != nil {
			buildErr = err
			built = string(out)
		}
	})
	if buildErr != nil {
		t.Fatalf("building smoke-hub: %v\n%s", buildErr, built)
	}
	return built
}

// SyncBuffer is a bytes.Buffer that a process or server may write while the test reads it.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
