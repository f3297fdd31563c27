//go:build linux

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"time"
)

// The baseline signalling server: peerjs-server, the npm package peer, pinned in bench/peerjs/package.json and its
// package-lock.json.
const peerJSVersion = "1.0.2"

// Figures for peerjs-server measured earlier on this machine, used when it cannot run here (no node, not
// installed).
var peerJSPublished = struct {
	relay1, relay8 float64 // relayed messages per second, 100 pairs, 1 and 8 in flight
	p50, p99       time.Duration
	idleBytes      float64 // per idle client
}{
	relay1:    45000,
	relay8:    63000,
	p50:       181 * time.Microsecond,
	p99:       625 * time.Microsecond,
	idleBytes: 7.8 * 1024,
}

func (e *env) peerJSDir() string { return filepath.Join(e.root, "bench", "peerjs") }

// peerJSInstalled reports whether bench/peerjs/node_modules holds the pinned peer package.
func peerJSInstalled(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, "node_modules", "peer", "package.json"))
	if err != nil {
		return false
	}
	var p struct{ Version string }
	return json.Unmarshal(b, &p) == nil && p.Version == peerJSVersion
}

// preparePeerJS installs peerjs-server from the lock file (npm ci) unless it is installed already. Without npm it
// only says so: the hub section then compares against published figures.
func preparePeerJS(ctx context.Context, e *env) error {
	dir := e.peerJSDir()
	if peerJSInstalled(dir) {
		e.progress("hub: peerjs-server %s is installed in %s", peerJSVersion, dir)
		return nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		e.progress("hub: npm not found, so peerjs-server is not installed; the hub figures will be compared with published peerjs figures")
		return nil
	}
	e.progress("hub: installing peerjs-server %s in %s (npm ci)", peerJSVersion, dir)
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = e.log, e.log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("npm ci in %s: %w", dir, err)
	}
	if !peerJSInstalled(dir) {
		return fmt.Errorf("npm ci in %s did not install peer %s", dir, peerJSVersion)
	}
	return nil
}

// peerJSUnavailable says why peerjs-server cannot run here, or "" if it can.
func (e *env) peerJSUnavailable() string {
	if _, err := exec.LookPath("node"); err != nil {
		return "node is not installed"
	}
	if !peerJSInstalled(e.peerJSDir()) {
		return "peerjs-server is not installed in bench/peerjs (run smoke-bench -prepare outside the loopback namespace)"
	}
	return ""
}

var peerJSReady = regexp.MustCompile(`^Started PeerServer on (\S+), port: (\d+)`)

// startPeerJS starts peerjs-server on 127.0.0.1 as its own command line does (node_modules/.bin/peerjs), with two
// settings changed so that it can hold the benchmark's clients:
//   - concurrent_limit (default 5,000 clients) is raised far above the 19,900 of the memory test;
//   - alive_timeout (60 s on the command line) is raised to an hour: the server drops a client that sent no
//     HEARTBEAT message within it (WebSocket pings do not count), and the benchmark's idle clients stay silent.
func (e *env) startPeerJS(ctx context.Context) (*child, signaller, error) {
	dir := e.peerJSDir()
	b, err := os.ReadFile(filepath.Join(dir, "node_modules", "peer", "package.json"))
	if err != nil {
		return nil, nil, err
	}
	var pkg struct{ Bin map[string]string }
	if err := json.Unmarshal(b, &pkg); err != nil || pkg.Bin["peerjs"] == "" {
		return nil, nil, fmt.Errorf("node_modules/peer/package.json names no peerjs command (%v)", err)
	}
	port, err := freePort() // its command line reads port 0 as "unset"
	if err != nil {
		return nil, nil, err
	}
	cmd := exec.Command("node", filepath.Join("node_modules", "peer", pkg.Bin["peerjs"]),
		"--host", "127.0.0.1", "--port", strconv.Itoa(port),
		"--concurrent_limit", "1000000", "--alive_timeout", "3600000")
	cmd.Dir = dir
	c, m, err := e.startChild(ctx, "peerjs-server", cmd, peerJSReady)
	if err != nil {
		return nil, nil, err
	}
	if m[1] != "127.0.0.1" || m[2] != strconv.Itoa(port) {
		c.kill()
		return nil, nil, fmt.Errorf("peerjs-server listens on %s port %s, not 127.0.0.1 port %d", m[1], m[2], port)
	}
	return c, &peerJS{url: "ws://127.0.0.1:" + strconv.Itoa(port)}, nil
}
