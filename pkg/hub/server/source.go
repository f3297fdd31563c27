package server

import (
	"net"
	"net/netip"
	"sync/atomic"
)

// A source is everything the hub holds for one client address: the sessions of the nodes that connected from it
// and the bytes queued for them. Per-address limits (Options.MaxConnectionsPerIP, QueueBytesPerIP) are counted
// here, so a client that opens sessions or fills queues hurts nobody else.
//
// An IPv4 address is one client; an IPv6 client is its /64, the smallest block a network is given, so one host
// cannot dodge the limits by changing addresses. A session stays charged to the address that created it, also
// after a resume from elsewhere.
type source struct {
	key    string
	n      int                   // sessions plus admissions not yet bound; under Server.mu
	sess   map[*session]struct{} // under Server.mu
	queued atomic.Int64          // bytes queued for these sessions
}

// sourceKey returns the client an address belongs to: the IP of host:port (IPv6: its /64), or addr itself if it
// does not parse (an in-memory listener's address, say).
func sourceKey(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return addr
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.WithZone("").Prefix(64)
		return p.String()
	}
	return ip.String()
}

// admission is a place for a new session, reserved before the upgrade so that a refusal can still be an HTTP 503.
// bind turns it into a session; release gives it back if none was made.
type admission struct {
	cl   *source
	used bool
}

// admit reserves a place for a new session from key. At the per-address limit it ends that address's session that
// has waited longest for a resume; at the hub's session limit, or when all the address's sessions are connected, it
// fails with the limit that was hit, which it counts in the stats.
func (s *Server) admit(key string) (adm *admission, hit limitID) {
	defer func() {
		if adm == nil && hit != limitShutdown {
			s.stats.limit(hit) // counted here, once, whoever asked
		}
	}()
	for range 4 { // an eviction can lose a race with that session's resume: try another
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return nil, limitShutdown
		}
		if s.nSessions >= s.opts.MaxSessions {
			s.mu.Unlock()
			return nil, limitSessions
		}
		cl := s.sources[key]
		if cl == nil {
			cl = &source{key: key, sess: make(map[*session]struct{})}
			s.sources[key] = cl
		}
		if max := s.opts.MaxConnectionsPerIP; max < 0 || cl.n < max {
			cl.n++
			s.nSessions++
			s.mu.Unlock()
			return &admission{cl: cl}, limitNone
		}
		var oldest *session
		for sess := range cl.sess {
			if at := sess.detachedAt.Load(); at != 0 && (oldest == nil || at < oldest.detachedAt.Load()) {
				oldest = sess
			}
		}
		s.mu.Unlock()
		if oldest == nil {
			return nil, limitPerIP
		}
		if oldest.end(nil, true, "too many sessions from "+key) {
			s.stats.limit(limitEvicted)
		}
	}
	return nil, limitPerIP
}

// release gives back an admission that did not become a session.
func (s *Server) release(a *admission) {
	if a == nil || a.used {
		return
	}
	a.used = true
	s.mu.Lock()
	s.dropSourceLocked(a.cl)
	s.mu.Unlock()
}

// dropSourceLocked counts one session or admission of cl less.
func (s *Server) dropSourceLocked(cl *source) {
	cl.n--
	s.nSessions--
	if cl.n == 0 && len(cl.sess) == 0 {
		delete(s.sources, cl.key)
	}
}
