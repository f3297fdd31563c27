package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/smokenet/smoke/pkg/hub/internal/wire"
)

// A cluster is hubs sharing one address space over NATS (CLUSTER.md has the design, subjects and records): a node
// on one hub reaches nodes on any other, hostnames are leases in JetStream KV, and a node whose hub died resumes its
// session, address and hostnames on another hub of the cluster.

// ClusterOptions joins a Server to a cluster of hubs (Options.Cluster).
type ClusterOptions struct {
	// Conn is a connection to the cluster's NATS servers, with JetStream. The Server uses it and does not close it;
	// give it every server's URL so that it reconnects elsewhere when one goes away.
	Conn *nats.Conn
	// Prefix names the cluster's subjects and KV buckets: hubs with the same prefix form one cluster. Default "smoke".
	Prefix string
	// Replicas of the KV buckets (hostname leases, sessions, live hubs). Default 3, or 1 on a single NATS server.
	Replicas int
	// Lease is how long a hostname lease, and a hub's sign of life, last without renewal: a dead hub's hostnames
	// are free after at most Lease. Hubs renew at a third of it. Default 15 s.
	Lease time.Duration
}

// DefaultLease is ClusterOptions.Lease's default.
const DefaultLease = 15 * time.Second

// sessionTTL is how long a session's record lives in KV without renewal; hubs renew their sessions' records at
// half of it. Records of a hub that died expire after at most this (they are harmless meanwhile: addresses are
// never reused, and the hub named is known to be dead).
const sessionTTL = time.Hour

// clusterTimeout bounds one KV operation or request to another hub.
const clusterTimeout = 3 * time.Second

// sessionRecord is a session's entry in the sessions bucket, keyed by address.
type sessionRecord struct {
	Hub    string   `json:"hub"`             // the hub holding the session
	Secret string   `json:"secret"`          // hex SHA-256 of the resume token's secret
	Names  []string `json:"names,omitempty"` // hostnames the session holds
}

// NATS headers of the messages between hubs.
const (
	hdrKind   = "Smoke-Kind"   // forward, undeliverable, takeover
	hdrTo     = "Smoke-To"     // the address a message is for
	hdrFrom   = "Smoke-From"   // the sender's address
	hdrOrigin = "Smoke-Origin" // the hub of the sender, for an undeliverable
	hdrReason = "Smoke-Reason" // of an undeliverable
	hdrHops   = "Smoke-Hops"   // how many hubs a forward passed, to end loops over stale records
)

type cluster struct {
	srv      *Server
	nc       *nats.Conn
	id       string
	prefix   string
	lease    time.Duration
	sessions jetstream.KeyValue
	hubs     jetstream.KeyValue
	reg      *kvRegistry
	sub      *nats.Subscription

	mu    sync.Mutex
	where map[string]located // address -> hub, cached

	forwardedOut, forwardedIn, relayed, errors atomic.Int64
}

type located struct {
	hub   string
	until time.Time
}

// locateTTL is how long a hub remembers where an address is: a session that moved is found again after that.
const locateTTL = 10 * time.Second

func hubSubject(prefix, id string) string { return prefix + ".hub." + id }

// newCluster joins the cluster: it makes the buckets if they are missing, subscribes to this hub's subject and
// announces it.
func newCluster(s *Server, o *ClusterOptions) (*cluster, error) {
	if o.Conn == nil {
		return nil, errors.New("hub server: ClusterOptions.Conn is nil")
	}
	prefix := o.Prefix
	if prefix == "" {
		prefix = "smoke"
	}
	lease := o.Lease
	if lease <= 0 {
		lease = DefaultLease
	}
	js, err := jetstream.New(o.Conn)
	if err != nil {
		return nil, fmt.Errorf("hub server: cluster: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	bucket := func(name string, ttl time.Duration) (jetstream.KeyValue, error) {
		replicas := o.Replicas
		if replicas <= 0 {
			replicas = 3
		}
		start := time.Now()
		for {
			kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
				Bucket: prefix + "-" + name, TTL: ttl, History: 1, Replicas: replicas, Storage: jetstream.FileStorage,
			})
			switch {
			case err == nil:
				return kv, nil
			case replicas > 1 && o.Replicas <= 0 && strings.Contains(err.Error(), "non-clustered"):
				replicas = 1 // a single NATS server holds one replica
			case replicas > 1 && o.Replicas <= 0 && time.Since(start) > 10*time.Second:
				// Fewer servers than replicas, it seems: one replica beats no cluster. Said in the log, since
				// losing that server then loses the leases.
				s.log.Warn("hub: cluster: the KV bucket gets 1 replica, not 3", "bucket", prefix+"-"+name, "err", err)
				replicas = 1
			case ctx.Err() == nil:
				// A JetStream cluster that has just formed may not place a replicated bucket yet ("no suitable
				// peers"): try again shortly.
				time.Sleep(250 * time.Millisecond)
			default:
				return nil, fmt.Errorf("hub server: cluster: bucket %s-%s: %w", prefix, name, err)
			}
		}
	}
	c := &cluster{srv: s, nc: o.Conn, prefix: prefix, lease: lease, where: make(map[string]located)}
	id := newSecret()
	c.id = addressEncoding.EncodeToString(id[:addressBytes])
	if c.sessions, err = bucket("sessions", sessionTTL); err != nil {
		return nil, err
	}
	if c.hubs, err = bucket("hubs", lease); err != nil {
		return nil, err
	}
	names, err := bucket("hostnames", lease)
	if err != nil {
		return nil, err
	}
	c.reg = &kvRegistry{kv: names, held: make(map[string]uint64)}
	if _, err := c.hubs.Put(ctx, c.id, []byte(strconv.FormatInt(time.Now().Unix(), 10))); err != nil {
		return nil, fmt.Errorf("hub server: cluster: announcing the hub: %w", err)
	}
	if c.sub, err = o.Conn.Subscribe(hubSubject(prefix, c.id), c.receive); err != nil {
		return nil, fmt.Errorf("hub server: cluster: %w", err)
	}
	c.sub.SetPendingLimits(-1, 64<<20) // bounded in bytes; beyond, NATS drops and reports a slow consumer
	// The hub is in the cluster once NATS has its subscription, not when the subscribe is merely buffered: a session
	// published from here a moment later is found by other hubs, which then send to this subject.
	if err := o.Conn.FlushWithContext(ctx); err != nil {
		c.sub.Unsubscribe()
		return nil, fmt.Errorf("hub server: cluster: %w", err)
	}
	return c, nil
}

func (c *cluster) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), clusterTimeout)
}

// run renews this hub's sign of life and its hostname leases every lease/3 and its sessions' records every
// sessionTTL/2, until done.
func (c *cluster) run(done <-chan struct{}) {
	t := time.NewTicker(c.lease / 3)
	defer t.Stop()
	lastSessions := time.Now()
	for {
		select {
		case <-done:
			return
		case <-t.C:
		}
		ctx, cancel := c.ctx()
		if _, err := c.hubs.Put(ctx, c.id, []byte(strconv.FormatInt(time.Now().Unix(), 10))); err != nil {
			c.errors.Add(1)
			c.srv.log.Warn("hub: cluster: renewing the hub's presence", "err", err)
		}
		cancel()
		c.reg.renew(c.srv.log)
		if time.Since(lastSessions) >= sessionTTL/2 {
			lastSessions = time.Now()
			c.renewSessions()
		}
	}
}

func (c *cluster) renewSessions() {
	c.srv.mu.RLock()
	list := make([]*session, 0, len(c.srv.sessions))
	for _, sess := range c.srv.sessions {
		list = append(list, sess)
	}
	c.srv.mu.RUnlock()
	for _, sess := range list {
		c.publishSession(sess)
	}
}

// close leaves the cluster: this hub's presence goes at once, so other hubs stop waiting for it.
func (c *cluster) close() {
	c.sub.Unsubscribe()
	ctx, cancel := c.ctx()
	defer cancel()
	c.hubs.Delete(ctx, c.id)
}

func secretHash(secret *[secretBytes]byte) string {
	h := sha256.Sum256(secret[:])
	return hex.EncodeToString(h[:])
}

// publishSession writes sess's record (this hub, its current secret, its hostnames), creating it or updating the
// revision this hub wrote last. A session whose record another hub has taken meanwhile has moved: it ends here
// without releasing anything.
func (c *cluster) publishSession(sess *session) {
	sess.mu.Lock()
	if sess.ended {
		sess.mu.Unlock()
		return
	}
	rec := sessionRecord{Hub: c.id, Secret: secretHash(&sess.secret), Names: append([]string(nil), sess.hostnames...)}
	rev := sess.dirRev
	sess.mu.Unlock()
	b, _ := json.Marshal(rec)
	ctx, cancel := c.ctx()
	defer cancel()
	var newRev uint64
	// Retried for transient errors (a stream leader moving, a NATS server going away): a session without its record
	// is unknown to the other hubs until the next renewal, half an hour later. A write that failed may have landed
	// all the same, so a compare-and-set lost after a failure is checked: the record as we wrote it is ours.
	failed := false
	err := retry(ctx, func(ctx context.Context) (err error) {
		if rev == 0 {
			newRev, err = c.sessions.Create(ctx, sess.addr, b)
		} else {
			newRev, err = c.sessions.Update(ctx, sess.addr, b, rev)
		}
		if err != nil && conflict(err) && failed {
			if e, getErr := c.sessions.Get(ctx, sess.addr); getErr == nil && string(e.Value()) == string(b) {
				newRev, err = e.Revision(), nil
			}
		}
		failed = err != nil
		return err
	})
	if err != nil {
		if conflict(err) {
			c.srv.log.Info("hub: cluster: session moved to another hub", "address", sess.addr)
			sess.handOver()
			return
		}
		c.errors.Add(1)
		c.srv.log.Warn("hub: cluster: writing a session record", "address", sess.addr, "err", err)
		return
	}
	sess.mu.Lock()
	if sess.dirRev == rev {
		sess.dirRev = newRev
	}
	sess.mu.Unlock()
}

// unpublishSession deletes the record of a session that ended here.
func (c *cluster) unpublishSession(addr string, rev uint64) {
	if rev == 0 {
		return
	}
	ctx, cancel := c.ctx()
	defer cancel()
	if err := c.sessions.Delete(ctx, addr, jetstream.LastRevision(rev)); err != nil && !conflict(err) {
		c.srv.log.Debug("hub: cluster: deleting a session record", "address", addr, "err", err)
	}
}

// record reads addr's session record.
func (c *cluster) record(addr string) (sessionRecord, uint64, error) {
	ctx, cancel := c.ctx()
	defer cancel()
	var e jetstream.KeyValueEntry
	err := retry(ctx, func(ctx context.Context) (err error) {
		e, err = c.sessions.Get(ctx, addr)
		return err
	})
	if err != nil {
		return sessionRecord{}, 0, err
	}
	var rec sessionRecord
	if err := json.Unmarshal(e.Value(), &rec); err != nil {
		return sessionRecord{}, 0, err
	}
	return rec, e.Revision(), nil
}

// exists reports whether addr has a session somewhere in the cluster (for the check before an upgrade).
func (c *cluster) exists(addr string) bool {
	_, _, err := c.record(addr)
	return err == nil
}

func (c *cluster) alive(hub string) bool {
	ctx, cancel := c.ctx()
	defer cancel()
	_, err := c.hubs.Get(ctx, hub)
	return err == nil
}

// located reports whether locate knows where addr is without asking NATS.
func (c *cluster) located(addr string) bool {
	c.mu.Lock()
	l, ok := c.where[addr]
	c.mu.Unlock()
	return ok && time.Now().Before(l.until)
}

// locate returns the hub holding addr, from the cache or KV ("" if no hub does).
func (c *cluster) locate(addr string, fresh bool) string {
	now := time.Now()
	if !fresh {
		c.mu.Lock()
		l, ok := c.where[addr]
		c.mu.Unlock()
		if ok && now.Before(l.until) {
			return l.hub
		}
	}
	rec, _, err := c.record(addr)
	hub := ""
	if err == nil {
		hub = rec.Hub
	} else if !errors.Is(err, jetstream.ErrKeyNotFound) {
		c.errors.Add(1)
	}
	c.mu.Lock()
	if len(c.where) > 100_000 { // a cache, not a copy of the directory
		clear(c.where)
	}
	if hub != "" {
		c.where[addr] = located{hub: hub, until: now.Add(locateTTL)}
	} else {
		delete(c.where, addr)
	}
	c.mu.Unlock()
	return hub
}

// forward sends a forward from node conn to an address that has no session on this hub.
func (c *cluster) forward(from *conn, m *wire.Message) {
	hub := c.locate(m.To, false)
	if hub == "" || hub == c.id {
		from.undeliverable(m.To, "unknown address")
		return
	}
	src := from.sess.addr
	b := wire.AppendForward(make([]byte, 0, forwardOverhead+len(src)+len(m.Data)), src, m.Data)
	msg := nats.NewMsg(hubSubject(c.prefix, hub))
	msg.Header.Set(hdrKind, "forward")
	msg.Header.Set(hdrTo, m.To)
	msg.Header.Set(hdrFrom, src)
	msg.Header.Set(hdrOrigin, c.id)
	msg.Data = b
	if err := c.nc.PublishMsg(msg); err != nil {
		c.errors.Add(1)
		from.undeliverable(m.To, "recipient busy")
		return
	}
	c.forwardedOut.Add(1)
	c.srv.stats.forwarded.Add(1)
}

// receive handles a message from another hub, on the subscription's goroutine.
func (c *cluster) receive(msg *nats.Msg) {
	defer func() {
		if r := recover(); r != nil {
			c.srv.logPanic(r, "")
		}
	}()
	switch msg.Header.Get(hdrKind) {
	case "forward":
		c.receiveForward(msg)
	case "undeliverable":
		if sess := c.srv.session(msg.Header.Get(hdrTo)); sess != nil {
			b, err := wire.Encode(&wire.Message{Type: wire.TypeUndeliverable, To: msg.Header.Get(hdrFrom), Reason: msg.Header.Get(hdrReason)})
			if err == nil {
				sess.push(b, 2*c.srv.opts.QueueSize, false)
			}
		}
	case "takeover":
		ok := "none"
		if sess := c.srv.session(msg.Header.Get(hdrTo)); sess != nil && sess.handOver() {
			ok = "ok"
		}
		msg.Respond([]byte(ok))
	}
}

func (c *cluster) receiveForward(msg *nats.Msg) {
	to, from, origin := msg.Header.Get(hdrTo), msg.Header.Get(hdrFrom), msg.Header.Get(hdrOrigin)
	reason := ""
	if sess := c.srv.session(to); sess != nil {
		switch hit := sess.push(msg.Data, c.srv.opts.QueueSize, true); hit {
		case limitNone:
			c.forwardedIn.Add(1)
			return
		case limitShutdown:
			reason = "unknown address"
		default:
			c.srv.stats.limit(hit)
			reason = "recipient busy"
		}
	} else if hops, _ := strconv.Atoi(msg.Header.Get(hdrHops)); hops < 2 {
		// The sender's hub had a stale idea of where the session is: pass it on to where it is now.
		if hub := c.locate(to, true); hub != "" && hub != c.id {
			msg.Header.Set(hdrHops, strconv.Itoa(hops+1))
			fwd := nats.NewMsg(hubSubject(c.prefix, hub))
			fwd.Header, fwd.Data = msg.Header, msg.Data
			if c.nc.PublishMsg(fwd) == nil {
				c.relayed.Add(1)
				return
			}
		}
		reason = "unknown address"
	} else {
		reason = "unknown address"
	}
	c.srv.stats.undeliverable.Add(1)
	reply := nats.NewMsg(hubSubject(c.prefix, origin))
	reply.Header.Set(hdrKind, "undeliverable")
	reply.Header.Set(hdrTo, from)
	reply.Header.Set(hdrFrom, to)
	reply.Header.Set(hdrReason, reason)
	c.nc.PublishMsg(reply)
}

// resume gives c the session addr that lives, or lived, on another hub of the cluster, if secret is its resume
// secret: the other hub hands it over (or is dead), the record moves here, and the session's hostnames are claimed
// again. It returns nil when there is no such session or the secret is wrong.
func (c *cluster) resume(conn *conn, addr string, secret *[secretBytes]byte, adm *admission) *session {
	rec, rev, err := c.record(addr)
	if err != nil {
		return nil
	}
	want, _ := hex.DecodeString(rec.Secret)
	got := sha256.Sum256(secret[:])
	if subtle.ConstantTimeCompare(want, got[:]) != 1 {
		return nil
	}
	if rec.Hub != c.id && c.alive(rec.Hub) {
		req := nats.NewMsg(hubSubject(c.prefix, rec.Hub))
		req.Header.Set(hdrKind, "takeover")
		req.Header.Set(hdrTo, addr)
		if _, err := c.nc.RequestMsg(req, clusterTimeout); err != nil && !errors.Is(err, nats.ErrNoResponders) {
			c.srv.log.Info("hub: cluster: the session's hub did not answer a takeover", "address", addr, "hub", rec.Hub, "err", err)
		}
	}
	raw, err := addressEncoding.DecodeString(addr)
	if err != nil || len(raw) != addressBytes {
		return nil
	}
	sess := &session{srv: c.srv, addr: addr, secret: newSecret(), cl: adm.cl}
	copy(sess.rawAddr[:], raw)
	b, _ := json.Marshal(sessionRecord{Hub: c.id, Secret: secretHash(&sess.secret), Names: rec.Names})
	ctx, cancel := c.ctx()
	newRev, err := c.sessions.Update(ctx, addr, b, rev)
	cancel()
	if err != nil {
		return nil // another hub resumed it first, or KV is unreachable: a new session, then
	}
	sess.dirRev = newRev
	conn.sess = sess
	sess.c = conn
	s := c.srv
	s.mu.Lock()
	if s.closed || s.sessions[addr] != nil {
		s.mu.Unlock()
		return nil
	}
	s.sessions[addr] = sess
	adm.cl.sess[sess] = struct{}{}
	adm.used = true
	s.mu.Unlock()
	s.stats.sessions.Add(1)
	for _, name := range rec.Names {
		ctx, cancel := s.registryContext()
		if err := s.reg.Claim(ctx, name, addr); err == nil {
			sess.addHostname(name)
		}
		cancel()
	}
	return sess
}

// conflict reports whether err is a KV compare-and-set that lost: the key's revision is not the one given (or, for
// Create, the key exists).
func conflict(err error) bool {
	return errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyExists)
}

// retry runs op until it succeeds, fails with an answer (not found, a lost compare-and-set), or ctx ends: while a NATS
// server goes away and JetStream moves its leaders, KV calls fail for a moment with errors that mean "try again".
func retry(ctx context.Context, op func(context.Context) error) error {
	for {
		err := op(ctx)
		if err == nil || conflict(err) || errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// kvRegistry is the cluster's Registry: hostname leases in a KV bucket whose TTL is the lease, keyed by the
// hostname in base32 (KV keys allow fewer characters than hostnames), holding the holder's address. A lease is
// taken with Create, renewed with Update on the revision this hub wrote last (so a renewal never overwrites a lease
// another hub took over), and released with a Delete on that revision.
type kvRegistry struct {
	kv jetstream.KeyValue

	mu   sync.Mutex
	held map[string]uint64 // hostname -> revision of our last write, for the leases this hub renews
	addr map[string]string // hostname -> holder, for renewals
}

var _ Registry = (*kvRegistry)(nil)

func hostnameKey(name string) string { return addressEncoding.EncodeToString([]byte(name)) }

func (r *kvRegistry) keep(name, addr string, rev uint64) {
	r.mu.Lock()
	if r.addr == nil {
		r.addr = make(map[string]string)
	}
	r.held[name], r.addr[name] = rev, addr
	r.mu.Unlock()
}

func (r *kvRegistry) drop(name string) {
	r.mu.Lock()
	delete(r.held, name)
	delete(r.addr, name)
	r.mu.Unlock()
}

func (r *kvRegistry) Claim(ctx context.Context, name, addr string) error {
	key := hostnameKey(name)
	var rev uint64
	err := retry(ctx, func(ctx context.Context) (err error) {
		rev, err = r.kv.Create(ctx, key, []byte(addr))
		return err
	})
	if err == nil {
		r.keep(name, addr, rev)
		return nil
	}
	if !errors.Is(err, jetstream.ErrKeyExists) {
		return err
	}
	e, err := r.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return r.Claim(ctx, name, addr) // it expired or was released meanwhile
	}
	if err != nil {
		return err
	}
	if string(e.Value()) != addr {
		return ErrHostnameTaken
	}
	// Ours already (a retried claim, or a session resumed here from another hub): renew it from here on.
	rev, err = r.kv.Update(ctx, key, []byte(addr), e.Revision())
	if err != nil {
		if conflict(err) {
			return ErrHostnameTaken
		}
		return err
	}
	r.keep(name, addr, rev)
	return nil
}

func (r *kvRegistry) Release(ctx context.Context, name, addr string) error {
	r.mu.Lock()
	rev, ok := r.held[name]
	holder := r.addr[name]
	r.mu.Unlock()
	if !ok || holder != addr {
		return ErrHostnameNotFound
	}
	r.drop(name)
	if err := r.kv.Delete(ctx, hostnameKey(name), jetstream.LastRevision(rev)); err != nil {
		if conflict(err) {
			return ErrHostnameNotFound // another hub renewed it: not ours to release
		}
		return err
	}
	return nil
}

func (r *kvRegistry) Lookup(ctx context.Context, name string) (string, error) {
	var e jetstream.KeyValueEntry
	err := retry(ctx, func(ctx context.Context) (err error) {
		e, err = r.kv.Get(ctx, hostnameKey(name))
		return err
	})
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return "", ErrHostnameNotFound
	}
	if err != nil {
		return "", err
	}
	return string(e.Value()), nil
}

// renew renews every lease this hub holds. A lease another hub took over (the revision moved on) or that expired
// is dropped: this hub no longer holds it.
func (r *kvRegistry) renew(log interface{ Warn(string, ...any) }) {
	r.mu.Lock()
	names := make(map[string]uint64, len(r.held))
	addrs := make(map[string]string, len(r.held))
	for n, rev := range r.held {
		names[n], addrs[n] = rev, r.addr[n]
	}
	r.mu.Unlock()
	for name, rev := range names {
		ctx, cancel := context.WithTimeout(context.Background(), clusterTimeout)
		newRev, err := r.kv.Update(ctx, hostnameKey(name), []byte(addrs[name]), rev)
		cancel()
		r.mu.Lock()
		switch {
		case err == nil:
			if r.held[name] == rev {
				r.held[name] = newRev
			}
		case conflict(err), errors.Is(err, jetstream.ErrKeyNotFound):
			if r.held[name] == rev {
				delete(r.held, name)
				delete(r.addr, name)
			}
		default:
			log.Warn("hub: cluster: renewing a hostname lease", "hostname", name, "err", err)
		}
		r.mu.Unlock()
	}
}
