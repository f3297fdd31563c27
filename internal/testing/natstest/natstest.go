//go:build !js

// Package natstest runs NATS servers with JetStream inside a test process, on loopback, for the hub's cluster tests:
// one server, or a cluster of several whose JetStream keeps working when one of them stops.
package natstest

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Cluster is a set of running NATS servers that form one JetStream cluster (or a single server).
type Cluster struct {
	Servers []*server.Server
}

// URLs returns the client URLs of the servers still running, comma-separated (as nats.Connect and smoke-hub
// --nats take them).
func (c *Cluster) URLs() string {
	var urls []string
	for _, s := range c.Servers {
		if s.Running() {
			urls = append(urls, s.ClientURL())
		}
	}
	return strings.Join(urls, ",")
}

// Start runs n NATS servers with JetStream, clustered when n > 1, and shuts them down when the test ends.
func Start(t testing.TB, n int) *Cluster {
	t.Helper()
	ports := make([]int, n)
	for i := range ports {
		ports[i] = freePort(t)
	}
	c := &Cluster{}
	for i := range n {
		o := &server.Options{
			ServerName: fmt.Sprintf("n%d", i),
			Host:       "127.0.0.1",
			Port:       -1,
			JetStream:  true,
			StoreDir:   t.TempDir(),
			NoLog:      true,
			NoSigs:     true,
		}
		if n > 1 {
			o.Cluster = server.ClusterOpts{Name: "smoke-test", Host: "127.0.0.1", Port: ports[i]}
			for j := range n {
				if j != i {
					o.Routes = append(o.Routes, &url.URL{Scheme: "nats", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[j]))})
				}
			}
		}
		s, err := server.NewServer(o)
		if err != nil {
			t.Fatal(err)
		}
		go s.Start()
		t.Cleanup(s.Shutdown)
		c.Servers = append(c.Servers, s)
	}
	for _, s := range c.Servers {
		if !s.ReadyForConnections(10 * time.Second) {
			t.Fatal("natstest: a NATS server did not start")
		}
	}
	// JetStream in a cluster is usable once it has a meta leader that every server follows.
	deadline := time.Now().Add(30 * time.Second)
	for n > 1 {
		leader, current := false, true
		for _, s := range c.Servers {
			if s.JetStreamIsLeader() {
				leader = len(s.JetStreamClusterPeers()) == n // the leader knows every peer
			}
			current = current && s.JetStreamIsCurrent()
		}
		if leader && current {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("natstest: the JetStream cluster elected no leader")
		}
		time.Sleep(50 * time.Millisecond)
	}
	return c
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
