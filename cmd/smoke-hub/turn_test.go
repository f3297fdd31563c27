//go:build !js

package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/logging"
	pionturn "github.com/pion/turn/v5"

	"github.com/smokenet/smoke/internal/testing/webrtctest"
	"github.com/smokenet/smoke/pkg/hub"
	"github.com/smokenet/smoke/pkg/hub/server/turn"
	"github.com/smokenet/smoke/pkg/node"
)

// relayOnlyPair makes two nodes on the hub at wsURL that may only use TURN relays, and opens a socket from one to
// the other with a message each way. It returns the dial's error, if any.
func relayOnlyPair(t *testing.T, wsURL string, dialTimeout time.Duration) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	mk := func() *node.Node {
		n := node.New(&node.Options{Hub: hub.NewNetworkHub(wsURL, nil), RelayOnly: true,
			WebRTC: webrtctest.Loopback(), DialTimeout: dialTimeout})
		t.Cleanup(func() { n.Close() })
		return n
	}
	a, b := mk(), mk()
	l, err := b.Listen(7000)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		s, err := l.Accept(ctx)
		if err != nil {
			return
		}
		if _, m, err := s.Read(ctx); err == nil {
			s.Write(ctx, node.MessageText, append([]byte("echo "), m...))
		}
	}()
	addr, err := b.Address(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dctx, dcancel := context.WithTimeout(ctx, dialTimeout)
	defer dcancel()
	s, err := a.Dial(dctx, addr, 7000)
	if err != nil {
		return err
	}
	if err := s.Write(ctx, node.MessageText, []byte("through the relay")); err != nil {
		t.Fatal(err)
	}
	if _, m, err := s.Read(ctx); err != nil || string(m) != "echo through the relay" {
		t.Fatalf("read %q, %v", m, err)
	}
	return nil
}

func wsOf(base string) string { return "ws" + strings.TrimPrefix(base, "http") + "/" }

func metric(t *testing.T, base, name string) int {
	t.Helper()
	_, body := get(t, base+"/metrics")
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			n, _ := strconv.Atoi(v)
			return n
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// TestTURNRelayOnly: two nodes that may use relays only (they reveal no address of their own) connect through the
// relay smoke-hub --turn embeds, with the credentials the hub handed each.
func TestTURNRelayOnly(t *testing.T) {
	base, _ := start(t, "--turn", "--turn-port", "0", "--turn-allow-private")
	if err := relayOnlyPair(t, wsOf(base), 30*time.Second); err != nil {
		t.Fatalf("relay-only dial: %v", err)
	}
	if n := metric(t, base, "smoke_hub_turn_allocations"); n < 2 {
		t.Errorf("%d relays allocated, want one per node at least", n)
	}
}

// TestTURNPrivatePeerRefused: by default the relay does not send to private or loopback addresses (here: the
// other node's relay address on 127.0.0.1), so the relay-only dial fails.
func TestTURNPrivatePeerRefused(t *testing.T) {
	base, _ := start(t, "--turn", "--turn-port", "0")
	if err := relayOnlyPair(t, wsOf(base), 8*time.Second); err == nil {
		t.Fatal("relay-only nodes connected through a relay to a loopback address")
	}
	if n := metric(t, base, `smoke_hub_turn_refused_total{reason="private_peer"}`); n == 0 {
		t.Error("no refused private peer counted")
	}
}

// TestTURNCredentials: the relay takes the hub's credentials while they are valid, refuses them once expired, and
// refuses wrong ones.
func TestTURNCredentials(t *testing.T) {
	srv, err := turn.Listen(turn.Config{Listen: "127.0.0.1:0", RelayIP: net.IPv4(127, 0, 0, 1), Secret: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	allocate := func(user, pass string) error {
		pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		c, err := pionturn.NewClient(&pionturn.ClientConfig{
			TURNServerAddr: srv.Addr().String(), STUNServerAddr: srv.Addr().String(),
			Username: user, Password: pass, Realm: "smoke", Conn: pc, LoggerFactory: &logging.DefaultLoggerFactory{DefaultLogLevel: logging.LogLevelDisabled},
		})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.Listen(); err != nil {
			t.Fatal(err)
		}
		relay, err := c.Allocate()
		if err == nil {
			relay.Close()
		}
		return err
	}
	now := time.Now()
	if err := allocate(turn.Credentials("s3cret", "node1", now.Add(time.Hour))); err != nil {
		t.Fatalf("valid credentials: %v", err)
	}
	if err := allocate(turn.Credentials("s3cret", "node1", now.Add(-time.Second))); err == nil {
		t.Fatal("expired credentials were accepted")
	}
	if err := allocate(turn.Credentials("other", "node1", now.Add(time.Hour))); err == nil {
		t.Fatal("credentials of another secret were accepted")
	}
	if st := srv.Stats(); st.RefusedAuth < 2 {
		t.Errorf("refused %d credentials, want 2", st.RefusedAuth)
	}
}

// TestTURNWithCoturn: with --turn-secret and a credential-less turn: server in --ice, the hub hands out credentials
// for an external coturn (use-auth-secret), and relay-only nodes connect through it.
func TestTURNWithCoturn(t *testing.T) {
	bin, err := exec.LookPath("turnserver")
	if err != nil {
		t.Skip("coturn's turnserver is not installed (Debian package coturn; scripts/ensure-tools.sh installs it as root)")
	}
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0") // a free port for coturn
	if err != nil {
		t.Fatal(err)
	}
	port := pc.LocalAddr().(*net.UDPAddr).Port
	pc.Close()
	cmd := exec.Command(bin, "-n", "--no-cli", "--no-tls", "--no-dtls", "--listening-ip=127.0.0.1",
		"--relay-ip=127.0.0.1", "--listening-port="+strconv.Itoa(port), "--min-port=40000", "--max-port=40999",
		"--use-auth-secret", "--static-auth-secret=c0turn", "--realm=smoke", "--allow-loopback-peers",
		"--cli-password=unused", "--log-file=stdout", "--simple-log")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("coturn:\n%s", out.String())
		}
	}()
	ice := t.TempDir() + "/ice.json"
	os.WriteFile(ice, []byte(fmt.Sprintf(`[{"urls":["turn:127.0.0.1:%d?transport=udp"]}]`, port)), 0o644)
	base, _ := start(t, "--ice", ice, "--turn-secret", "c0turn")
	deadline := time.Now().Add(40 * time.Second)
	for {
		err := relayOnlyPair(t, wsOf(base), 15*time.Second)
		if err == nil {
			return
		}
		if time.Now().After(deadline) { // coturn may still be starting
			t.Fatalf("relay-only dial through coturn: %v", err)
		}
		if !errors.Is(err, node.ErrTimeout) {
			t.Logf("retrying: %v", err)
		}
	}
}
