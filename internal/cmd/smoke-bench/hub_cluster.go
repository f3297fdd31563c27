//go:build linux

package main

// The hub-cluster section: two smoke-hub processes in one cluster over a NATS server (nats-server, a process of its
// own, so that it does not share this process's Go runtime with the clients). Relay latency
// between nodes on different hubs, against nodes on the same hub of the same cluster in the same run; and how long a
// node takes to resume on another hub, and a dead hub's hostname to be free, after a hub is killed.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync/atomic"
	"time"

	"github.com/smokenet/smoke/pkg/hub"
)

// clusterLease is the hubs' hostname lease in this section: short, so the failover row does not take long.
const clusterLease = 3 * time.Second

func runHubCluster(ctx context.Context, e *env) error {
	dir, err := os.MkdirTemp("", "smoke-bench-nats-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ns, natsURL, err := e.startNATS(ctx, dir)
	if err != nil {
		return err
	}
	defer ns.kill()
	start := func() (*child, *smokeHub, error) {
		cmd := exec.Command(filepath.Join(e.bin, "smoke-hub"), "--port", "0", "--host", "127.0.0.1",
			"--rate", "1e9", "--burst", "1000000000", "--max-connections-per-ip", "-1", "--log-level", "warn",
			"--nats", natsURL, "--lease", clusterLease.String())
		c, m, err := e.startChild(ctx, "smoke-hub", cmd, hubReady)
		if err != nil {
			return nil, nil, err
		}
		return c, &smokeHub{url: "ws://" + m[1]}, nil
	}
	ca, a, err := start()
	if err != nil {
		return err
	}
	defer ca.kill()
	cb, b, err := start()
	if err != nil {
		return err
	}
	defer cb.kill()

	e.progress("hub-cluster: latency on one hub and across hubs at %s msg/s", thousands(hubLatencyRate))
	same, err := measureLatency(ctx, a, ca, hubPairs, hubLatencyRate, hubLatencyWarm, e.dur)
	if err != nil {
		return fmt.Errorf("same-hub latency: %w", err)
	}
	cross, err := measureLatency(ctx, &crossHubs{hubs: []*smokeHub{a, b}}, ca, hubPairs, hubLatencyRate, hubLatencyWarm, e.dur)
	if err != nil {
		return fmt.Errorf("cross-hub latency: %w", err)
	}
	e.printRow(row{
		section: "hub-cluster", label: fmt.Sprintf("latency across hubs at %s msg/s, p50 / p99", thousands(hubLatencyRate)),
		ours: micros(cross.p50) + " / " + micros(cross.p99), base: micros(same.p50) + " / " + micros(same.p99), baseName: "same hub",
		ratio:  ratio(float64(cross.p50), float64(same.p50)) + " / " + ratio(float64(cross.p99), float64(same.p99)),
		target: "≤ 2", met: cross.p50 <= 2*same.p50 && cross.p99 <= 2*same.p99,
	})
	e.note("one-way, through two smoke-hub processes and one NATS server (a process of its own); %d and %d messages", cross.samples, same.samples)
	if n50, n99, err := measureNATS(ctx, natsURL, hubLatencyRate, hubLatencyWarm, e.dur); err != nil {
		e.note("NATS alone not measured: %v", err)
	} else {
		e.note("NATS alone (publish to subscriber, two nats.go connections in smoke-bench, same rate): p50 %s / p99 %s; "+
			"a forward across hubs takes about same-hub plus that: ratio ≈ %.2f at p50 here", micros(n50), micros(n99),
			float64(same.p50+n50)/float64(same.p50))
	}

	e.progress("hub-cluster: failover after a hub is killed")
	resumed, freed, err := measureFailover(ctx, a.url, b.url, ca)
	if err != nil {
		return fmt.Errorf("failover: %w", err)
	}
	e.printRow(row{
		section: "hub-cluster", label: "kill a hub: node resumed elsewhere",
		ours: millis(resumed), base: "–", baseName: "", ratio: "–", target: "< 1 s", met: resumed < time.Second,
	})
	e.printRow(row{
		section: "hub-cluster", label: "kill a hub: its hostname free",
		ours: millis(freed), base: millis(clusterLease), baseName: "lease", ratio: ratio(float64(freed), float64(clusterLease)),
		target: "≤ 1.5", met: freed <= clusterLease*3/2,
	})
	return nil
}

// natsModule is the NATS server's main package, built into bin/ by -prepare: the version in go.mod, the one the
// cluster's tests embed.
const natsModule = "github.com/nats-io/nats-server/v2"

var natsReady = regexp.MustCompile(`Listening for client connections on (127\.0\.0\.1:\d+)$`)

// prepareNATS builds nats-server beside smoke-bench, from the module cache (go.mod's version).
func prepareNATS(ctx context.Context, e *env) error {
	if _, err := os.Stat(filepath.Join(e.bin, "nats-server")); err == nil {
		e.progress("hub-cluster: nats-server is built in %s", e.bin)
		return nil
	}
	gocmd, err := exec.LookPath("go")
	if err != nil {
		e.progress("hub-cluster: go not found, so nats-server is not built; the hub-cluster section will not run")
		return nil
	}
	e.progress("hub-cluster: building nats-server into %s", e.bin)
	cmd := exec.CommandContext(ctx, gocmd, "build", "-o", e.bin+string(filepath.Separator), natsModule)
	cmd.Dir = e.root
	cmd.Stdout, cmd.Stderr = e.log, e.log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s: %w", natsModule, err)
	}
	return nil
}

// startNATS starts bin/nats-server with JetStream, storing in dir, on a free loopback port, and returns it with its
// client URL.
func (e *env) startNATS(ctx context.Context, dir string) (*child, string, error) {
	exe := filepath.Join(e.bin, "nats-server")
	if _, err := os.Stat(exe); err != nil {
		return nil, "", fmt.Errorf("no nats-server beside smoke-bench (run smoke-bench -prepare outside the loopback namespace): %w", err)
	}
	// Its log goes to standard output, where startChild looks for the line that gives its port.
	cmd := exec.Command(exe, "-a", "127.0.0.1", "-p", "-1", "-js", "-sd", dir, "-l", "/dev/stdout")
	c, m, err := e.startChild(ctx, "nats-server", cmd, natsReady)
	if err != nil {
		return nil, "", err
	}
	return c, "nats://" + m[1], nil
}

// crossHubs joins clients to its hubs in turn, so that the benchmark's pairs (clients 2k and 2k+1) span two hubs.
type crossHubs struct {
	hubs []*smokeHub
	n    atomic.Int64
}

func (c *crossHubs) join(ctx context.Context) (*wsConn, string, error) {
	return c.hubs[int(c.n.Add(1)-1)%len(c.hubs)].join(ctx)
}
func (c *crossHubs) relay(b []byte, to string, n int64) []byte { return c.hubs[0].relay(b, to, n) }
func (c *crossHubs) relayed(msg []byte) (int64, bool)          { return c.hubs[0].relayed(msg) }

// measureFailover puts a node with a hostname on hub a (knowing hub b too) and another hostname on a node that will
// not come back, kills a's process, and times the node's resume on b and the other hostname's release.
func measureFailover(ctx context.Context, aURL, bURL string, a *child) (resumed, freed time.Duration, err error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	survivor := hub.NewNetworkHub(aURL, &hub.NetworkHubOptions{URLs: []string{bURL}})
	defer survivor.Close()
	orphan := hub.NewNetworkHub(aURL, nil)
	defer orphan.Close()
	watcher := hub.NewNetworkHub(bURL, nil)
	defer watcher.Close()
	if err := survivor.Register(ctx, "failover-survivor"); err != nil {
		return 0, 0, err
	}
	if err := orphan.Register(ctx, "failover-orphan"); err != nil {
		return 0, 0, err
	}
	a.kill()
	killed := time.Now()
	for survivor.URL() != bURL || !survivor.Connected() {
		if ctx.Err() != nil {
			return 0, 0, errors.New("the node did not resume on the other hub")
		}
		time.Sleep(time.Millisecond)
	}
	resumed = time.Since(killed)
	for {
		err := watcher.Register(ctx, "failover-orphan")
		if err == nil {
			break
		}
		if !errors.Is(err, hub.ErrHostnameTaken) {
			return 0, 0, err
		}
		time.Sleep(10 * time.Millisecond)
	}
	return resumed, time.Since(killed), nil
}

func millis(d time.Duration) string {
	return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
}
