package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"

	"github.com/smokenet/smoke/pkg/hub/server"
	"github.com/smokenet/smoke/pkg/hub/server/turn"
)

// setupTURN starts the embedded relay for --turn, and makes the hub hand out TURN REST credentials: for that relay,
// and with --turn-secret for the turn: servers of --ice that have no credentials of their own (an external coturn
// with use-auth-secret).
func setupTURN(c *config, opts *server.Options, logger *slog.Logger) (*turn.Server, error) {
	secret := c.turnSecret
	var urls []string
	if secret != "" {
		// turn: servers from --ice without credentials are the external relay that shares the secret.
		kept := opts.ICEServers[:0]
		for _, s := range opts.ICEServers {
			if s.Username == "" && s.Credential == "" && isTURN(s.URLs) {
				urls = append(urls, s.URLs...)
				continue
			}
			kept = append(kept, s)
		}
		opts.ICEServers = kept
	}
	var relay *turn.Server
	if c.turn {
		if secret == "" {
			var b [24]byte
			rand.Read(b[:])
			secret = base64.RawURLEncoding.EncodeToString(b[:])
		}
		ipText := c.turnIP
		if ipText == "" {
			ipText = c.host
		}
		ip := net.ParseIP(ipText)
		if ip == nil || ip.IsUnspecified() {
			return nil, errors.New("--turn needs --turn-ip: the public IP address of this host, which peers reach relays at")
		}
		minPort, maxPort, err := parsePortRange(c.turnPorts)
		if err != nil {
			return nil, fmt.Errorf("--turn-relay-ports: %w", err)
		}
		relay, err = turn.Listen(turn.Config{
			Listen:            net.JoinHostPort(c.host, strconv.Itoa(c.turnPort)),
			RelayIP:           ip,
			Secret:            secret,
			MinPort:           minPort,
			MaxPort:           maxPort,
			AllowPrivatePeers: c.turnAllowPrivate,
			Logger:            logger,
		})
		if err != nil {
			return nil, err
		}
		port := relay.Addr().(*net.UDPAddr).Port
		// The node reaches the relay at the host name it used for the hub.
		urls = append(urls, fmt.Sprintf("turn:{host}:%d?transport=udp", port))
		logger.Info("smoke-hub TURN relay", "addr", relay.Addr().String(), "relay_ip", ip.String(), "allow_private", c.turnAllowPrivate)
	}
	if len(urls) > 0 {
		opts.TURN = &server.TURNOptions{URLs: urls, Secret: secret, TTL: c.turnTTL}
	}
	return relay, nil
}

func isTURN(urls []string) bool {
	for _, u := range urls {
		if strings.HasPrefix(u, "turn:") || strings.HasPrefix(u, "turns:") {
			return true
		}
	}
	return false
}

func parsePortRange(s string) (uint16, uint16, error) {
	lo, hi, ok := strings.Cut(s, "-")
	a, err1 := strconv.ParseUint(lo, 10, 16)
	b, err2 := strconv.ParseUint(hi, 10, 16)
	if !ok || err1 != nil || err2 != nil || a == 0 || a > b {
		return 0, 0, fmt.Errorf("want MIN-MAX, got %q", s)
	}
	return uint16(a), uint16(b), nil
}

func writeTURNMetrics(w io.Writer, st turn.Stats) {
	fmt.Fprintf(w, "# HELP smoke_hub_turn_allocations Relays the embedded TURN server holds now.\n# TYPE smoke_hub_turn_allocations gauge\nsmoke_hub_turn_allocations %d\n", st.Allocations)
	fmt.Fprintf(w, "# HELP smoke_hub_turn_refused_total Requests the embedded TURN server refused, by reason.\n# TYPE smoke_hub_turn_refused_total counter\n")
	fmt.Fprintf(w, "smoke_hub_turn_refused_total{reason=\"credentials\"} %d\n", st.RefusedAuth)
	fmt.Fprintf(w, "smoke_hub_turn_refused_total{reason=\"private_peer\"} %d\n", st.RefusedPeers)
	fmt.Fprintf(w, "smoke_hub_turn_refused_total{reason=\"quota\"} %d\n", st.RefusedQuotas)
}
