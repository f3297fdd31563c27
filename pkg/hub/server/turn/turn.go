// Package turn is the TURN relay smoke-hub embeds (--turn), on github.com/pion/turn, and the TURN REST credentials
// the hub hands each node for it or for an external TURN server such as coturn.
//
// Credentials follow the TURN REST scheme (draft-uberti-behave-turn-rest, coturn's use-auth-secret): the username
// is "expiry:user", with expiry in Unix seconds and user the node's address, and the password is
// base64(HMAC-SHA1(secret, username)). A TURN server that knows the secret checks them without asking the hub; once
// expired they are refused.
//
// Server-only, like its parent package: the wasm build never imports it.
package turn

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/logging"
	"github.com/pion/turn/v5"
)

// Credentials returns TURN REST credentials for user, valid until expiry.
func Credentials(secret, user string, expiry time.Time) (username, password string) {
	username = strconv.FormatInt(expiry.Unix(), 10) + ":" + user
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(username))
	return username, base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Config configures a Server. Listen, RelayIP and Secret are required.
type Config struct {
	// Listen is the UDP address to listen on, host:port (port 0 picks a free one; Server.Addr tells which).
	Listen string
	// RelayIP is the address of this host that peers can reach: relayed traffic goes out from it, and clients are
	// told it as their relay address.
	RelayIP net.IP
	// Secret is the shared secret of the TURN REST credentials (Credentials).
	Secret string
	// Realm is the TURN realm. Default "smoke".
	Realm string
	// MinPort and MaxPort bound the UDP ports of relays. Default 49152–65535.
	MinPort, MaxPort uint16
	// AllowPrivatePeers lets clients relay to private (RFC 1918, RFC 4193), loopback, link-local and unspecified
	// addresses. Off by default: an open relay into the server's own networks would let anyone on the internet
	// reach them. Tests on loopback need it.
	AllowPrivatePeers bool
	// MaxAllocationsPerUser bounds the relays one node (one credential user) holds at once. Default 16.
	MaxAllocationsPerUser int
	// Logger receives refusals (expired or wrong credentials, refused peers). Default: discard.
	Logger *slog.Logger
}

// Server is a running TURN relay.
type Server struct {
	srv  *turn.Server
	addr net.Addr

	mu    sync.Mutex
	users map[string]int // allocations by user

	allocations   atomic.Int64
	refusedAuth   atomic.Int64
	refusedPeers  atomic.Int64
	refusedQuotas atomic.Int64
}

// Stats are a Server's counters.
type Stats struct {
	Allocations   int64 // gauge: relays held now
	RefusedAuth   int64 // requests with wrong or expired credentials
	RefusedPeers  int64 // permissions refused for a private peer address
	RefusedQuotas int64 // allocations refused over MaxAllocationsPerUser
}

// Listen starts a TURN server.
func Listen(cfg Config) (*Server, error) {
	if cfg.Secret == "" {
		return nil, errors.New("turn: no secret")
	}
	if cfg.RelayIP == nil || cfg.RelayIP.IsUnspecified() {
		return nil, errors.New("turn: the relay IP must be an address of this host that peers can reach")
	}
	if cfg.Realm == "" {
		cfg.Realm = "smoke"
	}
	if cfg.MinPort == 0 {
		cfg.MinPort = 49152
	}
	if cfg.MaxPort == 0 {
		cfg.MaxPort = 65535
	}
	if cfg.MaxAllocationsPerUser <= 0 {
		cfg.MaxAllocationsPerUser = 16
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	pc, err := net.ListenPacket("udp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("turn: %w", err)
	}
	s := &Server{addr: pc.LocalAddr(), users: make(map[string]int)}
	host, _, _ := net.SplitHostPort(pc.LocalAddr().String())

	rest := turn.LongTermTURNRESTAuthHandler(cfg.Secret, quietLogger{})
	srv, err := turn.NewServer(turn.ServerConfig{
		Realm: cfg.Realm,
		AuthHandler: func(ra *turn.RequestAttributes) (string, []byte, bool) {
			user, key, ok := rest(ra)
			if !ok {
				s.refusedAuth.Add(1)
				log.Info("turn: refused credentials", "username", ra.Username, "remote", addrString(ra.SrcAddr))
			}
			return user, key, ok
		},
		QuotaHandler: func(username, realm string, src net.Addr) bool {
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.users[userOf(username)] >= cfg.MaxAllocationsPerUser {
				s.refusedQuotas.Add(1)
				return false
			}
			return true
		},
		EventHandler: turn.EventHandler{
			OnAuth: func(src, _ net.Addr, _, username, _, _ string, ok bool) {
				if !ok { // the credentials parsed and had not expired, but the password was wrong
					s.refusedAuth.Add(1)
					log.Info("turn: refused credentials", "username", username, "remote", addrString(src))
				}
			},
			OnAllocationCreated: func(_, _ net.Addr, _, user, _ string, _ net.Addr, _ int) {
				s.mu.Lock()
				s.users[user]++
				s.mu.Unlock()
				s.allocations.Add(1)
			},
			OnAllocationDeleted: func(_, _ net.Addr, _, user, _ string) {
				s.mu.Lock()
				if s.users[user]--; s.users[user] <= 0 {
					delete(s.users, user)
				}
				s.mu.Unlock()
				s.allocations.Add(-1)
			},
		},
		PacketConnConfigs: []turn.PacketConnConfig{{
			PacketConn: pc,
			RelayAddressGenerator: &turn.RelayAddressGeneratorPortRange{
				RelayAddress: cfg.RelayIP,
				Address:      host,
				MinPort:      cfg.MinPort,
				MaxPort:      cfg.MaxPort,
			},
			PermissionHandler: func(client net.Addr, peer net.IP) bool {
				if cfg.AllowPrivatePeers || isPublic(peer) {
					return true
				}
				s.refusedPeers.Add(1)
				log.Info("turn: refused a relay to a private address", "peer", peer.String(), "remote", addrString(client))
				return false
			},
		}},
		LoggerFactory: quietLogger{},
	})
	if err != nil {
		pc.Close()
		return nil, fmt.Errorf("turn: %w", err)
	}
	s.srv = srv
	return s, nil
}

// Addr is the UDP address the server listens on.
func (s *Server) Addr() net.Addr { return s.addr }

// Stats returns the server's counters.
func (s *Server) Stats() Stats {
	return Stats{
		Allocations:   s.allocations.Load(),
		RefusedAuth:   s.refusedAuth.Load(),
		RefusedPeers:  s.refusedPeers.Load(),
		RefusedQuotas: s.refusedQuotas.Load(),
	}
}

// Close stops the server and its relays.
func (s *Server) Close() error { return s.srv.Close() }

// isPublic reports whether ip is an address a relay may send to without AllowPrivatePeers.
func isPublic(ip net.IP) bool {
	return !(ip.IsPrivate() || ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast())
}

// userOf returns the user of a TURN REST username ("expiry:user"), as the auth handler reports it.
func userOf(username string) string {
	for i := 0; i < len(username); i++ {
		if username[i] == ':' {
			return username[i+1:]
		}
	}
	return username
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}

// quietLogger discards pion's logs: the server reports what matters through Config.Logger and Stats.
type quietLogger struct{}

func (quietLogger) NewLogger(string) logging.LeveledLogger { return quietLogger{} }
func (quietLogger) Trace(string)                           {}
func (quietLogger) Tracef(string, ...any)                  {}
func (quietLogger) Debug(string)                           {}
func (quietLogger) Debugf(string, ...any)                  {}
func (quietLogger) Info(string)                            {}
func (quietLogger) Infof(string, ...any)                   {}
func (quietLogger) Warn(string)                            {}
func (quietLogger) Warnf(string, ...any)                   {}
func (quietLogger) Error(string)                           {}
func (quietLogger) Errorf(string, ...any)                  {}
