package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/smokenet/smoke/pkg/hub/internal/wire"
	"github.com/smokenet/smoke/pkg/hub/server/internal/ws"
	"github.com/smokenet/smoke/pkg/hub/server/turn"
)

// Server is the smoke-hub signalling server: an http.Handler that upgrades requests to WebSocket connections
// speaking the hub protocol (PROTOCOL.md) and relays messages between the nodes connected to it.
//
// All methods are safe for concurrent use. ServeHTTP is called by net/http for each request, Stats and
// WriteMetrics by anyone at any time, Close once when the server should stop (later calls do nothing).
type Server struct {
	opts            *Options
	log             *slog.Logger
	reg             Registry
	cluster         *cluster // nil unless JoinCluster
	defaultRegistry bool     // Options.Registry was not set: JoinCluster replaces the in-memory one
	ice             []wire.ICEServer
	graceMS         int64

	tokenHash []byte // of Options.Token: comparing hashes takes the same time whatever the lengths

	mu           sync.RWMutex
	sessions     map[string]*session // by address; every live session, attached or waiting for a resume
	sources      map[string]*source  // by sourceKey; every address with a session or an admission
	nSessions    int                 // sessions plus admissions, against MaxSessions
	conns        map[*conn]struct{}  // every upgraded connection not yet ended
	https        []*http.Server      // started by Serve
	closed       bool
	backgroundOn bool    // the keepalive, stall clock and poller goroutines run
	poll         *poller // nil where there is none (blocking mode)
	noPoller     bool    // tests: serve every connection in blocking mode

	// wg counts the goroutines the Server started: read loops, writers, keepalive, pings, grace expiries. An Add
	// happens either under mu while !closed, or from a goroutine wg already counts, so it never races Close's Wait.
	wg        sync.WaitGroup
	done      chan struct{} // closed by Close
	closeOnce sync.Once

	closeWait time.Duration // closeHandshakeWait; tests shorten it
	pingSlots chan struct{} // bounds concurrent keepalive pings
	stall     stallClock
	stats     counters
}

var _ http.Handler = (*Server)(nil)

// New returns a Server configured by opts (nil means all defaults). opts is copied; changing it later has no
// effect. New starts no goroutines: the keepalive goroutine starts with the first connection.
func New(opts *Options) *Server {
	o := opts.cloneWithDefaults()
	s := &Server{
		opts:            o,
		log:             o.Logger,
		reg:             o.Registry,
		defaultRegistry: opts == nil || opts.Registry == nil,
		ice:             o.wireICEServers(),
		graceMS:         o.Grace.Milliseconds(),
		sessions:        make(map[string]*session),
		sources:         make(map[string]*source),
		conns:           make(map[*conn]struct{}),
		done:            make(chan struct{}),
		pingSlots:       make(chan struct{}, maxConcurrentPings),
		closeWait:       closeHandshakeWait,
	}
	s.tokenHash = hashToken(o.Token)
	s.stall.init()
	return s
}

// ServeHTTP upgrades the request to a hub connection and returns once the node has its binding; the connection
// then lives on in a goroutine of its own. Requests the server refuses get a plain HTTP error: 503 when the server
// is closed or a limit is reached (MaxConnections, MaxSessions, MaxConnectionsPerIP), 403 for a wrong token or a
// foreign origin, 426 for a request that is not a WebSocket upgrade.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.isClosed() {
		s.refuse(w, r, http.StatusServiceUnavailable, "server shutting down")
		return
	}
	q := r.URL.Query()
	if s.opts.Token != "" && subtle.ConstantTimeCompare(hashToken(q.Get("token")), s.tokenHash) != 1 {
		s.refuse(w, r, http.StatusForbidden, "missing or wrong token")
		return
	}
	if why := s.checkOrigin(r); why != "" {
		s.refuse(w, r, http.StatusForbidden, why)
		return
	}
	if s.stats.open.Add(1) > int64(s.opts.MaxConnections) {
		s.stats.open.Add(-1)
		s.stats.limit(limitConnections)
		s.refuse(w, r, http.StatusServiceUnavailable, "too many connections")
		return
	}
	handedOff := false
	defer func() {
		if !handedOff {
			s.stats.open.Add(-1)
		}
	}()

	// A node that will get a new session (no resume token naming a live session) needs a place for it, reserved
	// now so that a refusal is still an HTTP answer.
	token := q.Get("resume")
	var adm *admission
	if !s.resumable(token) {
		var hit limitID
		if adm, hit = s.admit(sourceKey(r.RemoteAddr)); adm == nil {
			s.refuse(w, r, http.StatusServiceUnavailable, "too many sessions: "+limitNames[hit])
			return
		}
	}
	defer s.release(adm) // a no-op once bind used it

	if status, err := ws.CheckRequest(r, w.Header()); status != 0 {
		s.refuse(w, r, status, err.Error())
		return
	}
	nc, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		s.refuse(w, r, http.StatusInternalServerError, "cannot take over the connection: "+err.Error())
		return
	}
	c := &conn{srv: s, nc: nc, fd: -1}
	c.state.Store(1) // ServeHTTP holds the work token until it hands it to watch
	c.wc, c.raw = underlying(nc)
	if n := brw.Reader.Buffered(); n > 0 {
		// net/http read ahead: the start of the WebSocket stream. (Clients wait for the 101, so this is rare.)
		b, _ := brw.Reader.Peek(n)
		c.rd = &readState{in: append([]byte(nil), b...)}
		c.rd.dec.MaxMessage = uint64(s.opts.MaxMessageSize)
	}
	nc.SetDeadline(time.Now().Add(s.opts.MessageTimeout))
	if _, err := nc.Write(ws.AppendAccept(nil, r)); err != nil {
		nc.Close()
		s.stats.refused.Add(1)
		s.log.Info("hub: refused connection", "remote", r.RemoteAddr, "reason", "writing the handshake: "+err.Error())
		return
	}
	// net/http may have set deadlines for the request (Serve's WriteTimeout): the hub sets its own from here on.
	nc.SetDeadline(time.Time{})

	if v := q.Get("v"); v != "" && v != strconv.Itoa(wire.Version) {
		s.stats.refused.Add(1)
		s.log.Info("hub: refused connection", "remote", r.RemoteAddr, "reason", "unsupported protocol version "+strconv.Quote(truncate(v, 16)))
		c.closeBeforeServing(wire.CloseUnsupportedVersion, "unsupported protocol version")
		return
	}

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		c.closeBeforeServing(ws.StatusGoingAway, "server shutting down")
		return
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1) // the connection, until finish, or this function's own cleanup until then
	startBackground := !s.backgroundOn
	if startBackground {
		s.backgroundOn = true
		s.wg.Add(2)
		if !s.noPoller {
			if p, err := newPoller(); err == nil {
				s.poll = p
				s.wg.Add(1)
				go func() {
					defer s.wg.Done()
					p.run()
				}()
			}
		}
	}
	s.mu.Unlock()
	if startBackground {
		go s.keepalive()
		go func() {
			defer s.wg.Done()
			s.stall.run(s.done)
		}()
	}
	handedOff = true // from here on connEnded releases the connection slot

	sess, resumed, err := s.bind(c, token, adm, sourceKey(r.RemoteAddr))
	if err == nil {
		// Counted before the binding goes out, so that a node holding its binding is always counted.
		s.stats.nodes.Add(1)
		c.counted = true
		c.lastRead.Store(time.Now().UnixNano())
		var b []byte
		if b, err = s.bindingMessage(sess, resumed, r.Host); err == nil {
			err = c.writeNow(b)
		}
		if err == nil && !sess.ready(c) {
			err = errNotAttached
		}
	}
	if err != nil {
		if req := c.closeReq.Load(); req != nil {
			c.closeBeforeServing(req.code, req.reason) // Close or a newer connection asked
		} else if errors.Is(err, errTooManySessions) {
			// The resume token looked good before the upgrade, but its session ended since (or it was forged with
			// a real address), and there is no room for a new session: the WebSocket way of saying 503.
			c.closeBeforeServing(ws.StatusTryAgainLater, "too many sessions")
		}
		if sess != nil && !resumed {
			sess.end(c, false, "binding failed") // nobody knows its address or token: no point waiting for a resume
		}
		s.connEnded(c, err)
		s.wg.Done()
		return
	}
	s.log.Debug("hub: node connected", "address", sess.addr, "remote", r.RemoteAddr, "resumed", resumed)
	// From here on the poller (or, in blocking mode, a fresh goroutine) serves the connection, and net/http's
	// goroutine returns with the request, the response buffers and the stack the handshake grew.
	s.watch(c)
}

func hashToken(t string) []byte {
	h := sha256.Sum256([]byte(t))
	return h[:]
}

func (s *Server) refuse(w http.ResponseWriter, r *http.Request, code int, reason string) {
	s.stats.refused.Add(1)
	s.log.Info("hub: refused connection", "remote", r.RemoteAddr, "status", code, "reason", reason)
	http.Error(w, reason, code)
}

func (s *Server) isClosed() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.closed
}

// track counts a goroutine about to start from a context wg does not already count. It fails once Close began.
func (s *Server) track() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.wg.Add(1)
	return true
}

// Addresses are 10 random bytes (80 bits) in lowercase base32: 16 characters, no padding, nothing to escape.
var addressEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

const (
	addressBytes = 10
	secretBytes  = 16
)

// A resume token is base64url(address bytes || secret): the server finds the session by its address and compares
// the secret in constant time, so it keeps one map, not two. The address is not secret (every peer sees it); the
// 128-bit secret is, and it changes on every resume, so a token seen in a URL log is useless once it was used.
func resumeToken(addr *[addressBytes]byte, secret *[secretBytes]byte) string {
	var raw [addressBytes + secretBytes]byte
	copy(raw[:], addr[:])
	copy(raw[addressBytes:], secret[:])
	return base64.RawURLEncoding.EncodeToString(raw[:])
}

func parseResumeToken(token string) (addr string, secret [secretBytes]byte, ok bool) {
	var raw [addressBytes + secretBytes]byte
	if base64.RawURLEncoding.DecodedLen(len(token)) != len(raw) {
		return "", secret, false
	}
	if n, err := base64.RawURLEncoding.Decode(raw[:], []byte(token)); err != nil || n != len(raw) {
		return "", secret, false
	}
	copy(secret[:], raw[addressBytes:])
	return addressEncoding.EncodeToString(raw[:addressBytes]), secret, true
}

func newSecret() (secret [secretBytes]byte) {
	rand.Read(secret[:]) // never fails (crypto/rand crashes the program rather than return an error)
	return secret
}

// resumable reports whether token names a live session, here or elsewhere in the cluster (without checking its
// secret: bind does).
func (s *Server) resumable(token string) bool {
	if token == "" {
		return false
	}
	addr, _, ok := parseResumeToken(token)
	return ok && (s.session(addr) != nil || (s.cluster != nil && s.cluster.exists(addr)))
}

// JoinCluster makes s one hub of a cluster over NATS (see ClusterOptions and CLUSTER.md). Call it after New and
// before serving. Unless Options.Registry was set, hostnames become cluster-wide leases.
func (s *Server) JoinCluster(o *ClusterOptions) error {
	if o == nil {
		return errors.New("hub server: JoinCluster: nil options")
	}
	c, err := newCluster(s, o)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		c.close()
		return errServerClosed
	}
	if s.cluster != nil {
		c.close()
		return errors.New("hub server: already in a cluster")
	}
	s.cluster = c
	if s.defaultRegistry {
		s.reg = c.reg
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		c.run(s.done)
	}()
	s.log.Info("hub: joined the cluster", "hub", c.id, "prefix", c.prefix)
	return nil
}

// bind attaches c to the session its resume token names, if that session still lives, or else to a new session,
// which takes the place adm reserved (or, when the token looked good before the upgrade but no longer is, a place
// admitted now for client key). c is attached but not ready: nothing is written to it until its binding went out and
// ready is called.
func (s *Server) bind(c *conn, token string, adm *admission, key string) (sess *session, resumed bool, err error) {
	if token != "" {
		if addr, secret, ok := parseResumeToken(token); ok {
			s.mu.RLock()
			old := s.sessions[addr]
			s.mu.RUnlock()
			if old != nil && old.takeover(c, &secret) {
				if s.cluster != nil {
					s.cluster.publishSession(old) // its secret changed
				}
				return old, true, nil
			}
			if old == nil && s.cluster != nil {
				if adm == nil {
					if adm, _ = s.admit(key); adm == nil {
						return nil, false, errTooManySessions
					}
					defer s.release(adm)
				}
				if sess := s.cluster.resume(c, addr, &secret, adm); sess != nil {
					return sess, true, nil
				}
			}
		}
	}
	if adm == nil {
		if adm, _ = s.admit(key); adm == nil {
			return nil, false, errTooManySessions
		}
		defer s.release(adm) // a no-op once the session takes it
	}
	var raw [addressBytes]byte
	for {
		rand.Read(raw[:])
		sess = &session{srv: s, addr: addressEncoding.EncodeToString(raw[:]), rawAddr: raw, secret: newSecret(), cl: adm.cl}
		c.sess = sess
		sess.c = c
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return nil, false, errServerClosed
		}
		if _, taken := s.sessions[sess.addr]; taken { // 2^-80 per pair; cheap to rule out anyway
			s.mu.Unlock()
			continue
		}
		s.sessions[sess.addr] = sess
		adm.cl.sess[sess] = struct{}{}
		adm.used = true // the admission's counts now stand for this session; removeSession gives them back
		s.mu.Unlock()
		s.stats.sessions.Add(1)
		if s.cluster != nil {
			s.cluster.publishSession(sess)
		}
		return sess, false, nil
	}
}

// bindingMessage encodes sess's binding for a connection that reached the hub as host (the request's Host).
func (s *Server) bindingMessage(sess *session, resumed bool, host string) ([]byte, error) {
	sess.mu.Lock()
	token := resumeToken(&sess.rawAddr, &sess.secret)
	sess.mu.Unlock()
	ice := s.ice
	if t := s.opts.TURN; t != nil && len(t.URLs) > 0 {
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		if strings.Contains(host, ":") { // an IPv6 literal goes in brackets in a URL
			host = "[" + strings.Trim(host, "[]") + "]"
		}
		urls := make([]string, len(t.URLs))
		for i, u := range t.URLs {
			urls[i] = strings.ReplaceAll(u, "{host}", host)
		}
		user, pass := turn.Credentials(t.Secret, sess.addr, time.Now().Add(t.TTL))
		ice = append(ice[:len(ice):len(ice)], wire.ICEServer{URLs: urls, Username: user, Credential: pass})
	}
	return wire.Encode(&wire.Message{
		Type:           wire.TypeBinding,
		Version:        wire.Version,
		Address:        sess.addr,
		ICEServers:     ice,
		Resume:         token,
		Resumed:        resumed,
		Grace:          s.graceMS,
		MaxMessageSize: int(s.opts.MaxMessageSize),
	})
}

// session returns the live session with address addr, or nil.
func (s *Server) session(addr string) *session {
	s.mu.RLock()
	sess := s.sessions[addr]
	s.mu.RUnlock()
	return sess
}

func (s *Server) removeSession(sess *session) {
	s.mu.Lock()
	if s.sessions[sess.addr] == sess {
		delete(s.sessions, sess.addr)
		delete(sess.cl.sess, sess)
		s.dropSourceLocked(sess.cl)
	}
	s.mu.Unlock()
}

// Close shuts the server down: it refuses new connections, closes every connection with 1001 "server shutting
// down", ends every session (releasing its hostnames), and returns when the goroutines the server started have
// exited. Peers get a moment to answer the close handshake; connections that do not are cut. Close may be called
// while ServeHTTP calls are running (they are refused or closed); calls after the first return nil at once.
//
// Close also closes the listeners of Serve and their plain HTTP connections at once (Shutdown lets those finish).
// It does not close an http.Server of the caller's that calls ServeHTTP; shut that down first, so that no new
// requests arrive, or after, it makes no difference to the hub.
func (s *Server) Close() error {
	s.closeOnce.Do(s.close)
	for _, hs := range s.httpServers() {
		hs.Close()
	}
	return nil
}

// closeHandshakeWait is how long the server waits for a peer to answer its close frame before cutting the connection.
const closeHandshakeWait = 2 * time.Second

func (s *Server) close() {
	s.mu.Lock()
	s.closed = true
	for _, hs := range s.https {
		hs.SetKeepAlivesEnabled(false) // plain HTTP connections close after their current request
	}
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	sessions := make([]*session, 0, len(s.sessions))
	for _, sess := range s.sessions {
		sessions = append(sessions, sess)
	}
	s.mu.Unlock()
	close(s.done)

	// Each connection runs its own close handshake; give them a moment, then cut whatever is left.
	for _, c := range conns {
		c.requestClose(kindShutdown, ws.StatusGoingAway, "server shutting down")
	}
	deadline := time.Now().Add(s.closeWait)
	for s.openConns() > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	for _, c := range conns {
		// A no-op for connections that are done; fails a write blocked on a silent peer.
		c.nc.SetDeadline(aLongTimeAgo)
		c.abort(errCut)
	}

	for _, sess := range sessions {
		if s.cluster != nil {
			// The nodes reconnect to other hubs of the cluster and resume there: keep their records and leases.
			sess.handOver()
		} else {
			sess.end(nil, false, "server shutting down")
		}
	}
	if s.cluster != nil {
		s.cluster.close()
	}
	s.mu.Lock()
	poll := s.poll
	s.mu.Unlock()
	if poll != nil {
		poll.stop()
	}
	s.wg.Wait()
	if poll != nil {
		poll.close()
	}
}

func (s *Server) openConns() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.conns)
}

// registryTimeout bounds one Registry call.
const registryTimeout = 5 * time.Second

func (s *Server) registryContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), registryTimeout)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 { // do not cut a UTF-8 sequence
		n--
	}
	return s[:n] + "…"
}
