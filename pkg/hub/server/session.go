package server

import (
	"crypto/subtle"
	"sync"
	"sync/atomic"
	"time"

	"github.com/smokenet/smoke/pkg/hub/server/internal/ws"
)

// maxHostnames is how many hostnames one node may hold (PROTOCOL.md).
const maxHostnames = 16

// A session is a node's identity on the hub: its address, its hostnames, and the messages waiting for it. It
// outlives a connection by up to Grace, so that a node whose connection dropped can resume it.
//
// Lock order: a session's mu may be held while taking Server.mu, never the other way round.
type session struct {
	srv     *Server
	addr    string
	rawAddr [addressBytes]byte
	cl      *source // the address that created it, charged for its place and its queue

	detachedAt atomic.Int64 // unix nanoseconds since when it waits for a resume; 0 while attached
	lim        bucket       // rate limit (rate.go)

	mu        sync.Mutex
	secret    [secretBytes]byte // of the resume token; replaced on every resume
	c         *conn             // the attached connection, nil while detached; written to only once c.ready
	dirRev    uint64            // revision of the session's cluster record this hub wrote last; 0 if none
	q         [][]byte          // encoded messages waiting for c, oldest first; nil when empty, to cost nothing idle
	qBytes    int64             // their cost (queueCost)
	sent      int               // bytes of q[0]'s frame already written to c (a write that took part of a batch)
	writing   bool              // someone writes the queue (push's caller, or a drain goroutine): one at a time
	ended     bool
	hostnames []string
	expiry    *time.Timer // while detached
}

// takeover attaches c to s if secret is s's and s has not ended. A connection still attached (its peer gone, but
// not yet noticed) is closed with 4409: reconnecting before the server saw the drop is the common case of a resume.
func (s *session) takeover(c *conn, secret *[secretBytes]byte) bool {
	s.mu.Lock()
	if s.ended || subtle.ConstantTimeCompare(s.secret[:], secret[:]) != 1 {
		s.mu.Unlock()
		return false
	}
	old := s.c
	s.c = c
	c.sess = s
	s.sent = 0 // a message the old connection took only part of goes to the new one whole
	s.secret = newSecret()
	if s.expiry != nil {
		s.expiry.Stop() // if it already fired, expire finds s attached and does nothing
		s.expiry = nil
	}
	s.detachedAt.Store(0)
	s.mu.Unlock()
	if old != nil {
		old.requestClose(kindReplaced, closeReplaced, "session resumed by a newer connection")
	}
	return true
}

// closeReplaced is the close code of a connection whose session a newer connection resumed (PROTOCOL.md).
const closeReplaced ws.StatusCode = 4409

// ready marks c, whose binding has been written, as the connection to write to, and starts writing anything queued.
// It reports false if c is no longer attached (another connection resumed the session, or it ended).
func (s *session) ready(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended || s.c != c {
		return false
	}
	c.ready.Store(true)
	s.startWriterLocked()
	return true
}

// queueOverhead is what a queued message costs besides its bytes (slice header, allocation rounding), so that
// byte budgets also bound floods of tiny messages.
const queueOverhead = 64

func queueCost(b []byte) int64 { return int64(len(b)) + queueOverhead }

// push queues the encoded message b for the node, unless limit messages are already waiting or, with budgets, its
// cost would go over a byte budget: the session's, its client address's or the hub's (Options.QueueBytes,
// QueueBytesPerIP, MaxQueuedBytes). Replies to a node's own requests are pushed without budgets: the rate limit
// bounds them, and a node must hear why its forward failed. b must not be modified afterwards. Messages pushed to
// one session are written in push order. It returns the limit hit, limitNone when b was queued, or limitShutdown
// when the session ended.
func (s *session) push(b []byte, limit int, budgets bool) limitID {
	return s.pushVia(b, limit, budgets, nil)
}

// pushVia is push for a connection's read side, which collects the sessions it queued for in fl and writes to
// them once it has handled everything one read brought (flush): several messages to one node go out in one write.
func (s *session) pushVia(b []byte, limit int, budgets bool, fl *flushList) limitID {
	srv := s.srv
	cost := queueCost(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return limitShutdown
	}
	if len(s.q) >= limit || (budgets && s.qBytes+cost > srv.opts.QueueBytes) {
		return limitQueue
	}
	if n := s.cl.queued.Add(cost); budgets && n > srv.opts.QueueBytesPerIP {
		s.cl.queued.Add(-cost)
		return limitQueuePerIP
	}
	// The hub's budget is a backstop against many addresses at once; so that they do not lock everyone out, an
	// address holding less than one node's budget may still queue, up to twice the hub's budget.
	if n := srv.stats.queued.Add(cost); budgets && n > srv.opts.MaxQueuedBytes &&
		(n > 2*srv.opts.MaxQueuedBytes || s.cl.queued.Load() > srv.opts.QueueBytes) {
		srv.stats.queued.Add(-cost)
		s.cl.queued.Add(-cost)
		return limitQueueTotal
	}
	s.q = append(s.q, b)
	s.qBytes += cost
	if s.claimWriterLocked() {
		if fl != nil {
			fl.sess = append(fl.sess, s)
			return limitNone
		}
		s.mu.Unlock()
		s.write()
		s.mu.Lock() // for the deferred Unlock
	}
	return limitNone
}

// unqueueLocked gives back the budget of cost bytes that left the queue.
func (s *session) unqueueLocked(cost int64) {
	s.qBytes -= cost
	s.cl.queued.Add(-cost)
	s.srv.stats.queued.Add(-cost)
}

// claimWriterLocked makes the caller the queue's writer, if there is something to write, somewhere to write it,
// and no writer yet. The caller then calls write, without s.mu.
func (s *session) claimWriterLocked() bool {
	if s.writing || len(s.q) == 0 || s.c == nil || !s.c.ready.Load() {
		return false
	}
	s.writing = true
	return true
}

// startWriterLocked starts a drain goroutine if there is something to write and somewhere to write it. Callers
// are goroutines that wg already counts (connections' read sides, ServeHTTP after registering its connection),
// which makes the Add safe.
func (s *session) startWriterLocked() {
	if s.claimWriterLocked() {
		s.srv.wg.Add(1)
		go s.drain()
	}
}

// write writes the queue for the writer that claimed it: first without waiting, in the caller's goroutine, which
// is all it takes when the node reads its socket; what the socket does not take then goes on in a drain
// goroutine, which may wait. Idle sessions have no writer goroutine.
func (s *session) write() {
	b := batches.Get().(*batch)
	done := s.writeOnce(b, false)
	batches.Put(b)
	if done {
		return
	}
	s.srv.wg.Add(1) // the caller is counted (see startWriterLocked)
	go s.drain()
}

// flushList is the sessions a connection's read side claimed the writer role of while handling one read.
type flushList struct{ sess []*session }

var flushLists = sync.Pool{New: func() any { return &flushList{sess: make([]*session, 0, 16)} }}

// flush writes to the sessions in fl and empties it.
func (fl *flushList) flush() {
	for i, s := range fl.sess {
		fl.sess[i] = nil
		s.write()
	}
	fl.sess = fl.sess[:0]
}

// drain writes queued messages to the attached connection until the queue is empty or there is no usable
// connection, everything queued (up to maxBatch messages) in one write. A message leaves the queue only once
// written, so one that a broken connection failed to take is written again after a resume (see PROTOCOL.md on
// what a resume recovers).
func (s *session) drain() {
	defer s.srv.wg.Done()
	defer func() {
		if r := recover(); r != nil {
			s.srv.logPanic(r, s.addr)
			s.mu.Lock()
			c := s.c
			s.writing = false
			s.mu.Unlock()
			if c != nil {
				c.kill(kindDropped, "internal error")
			}
		}
	}()
	b := batches.Get().(*batch)
	defer batches.Put(b)
	for !s.writeOnce(b, true) {
	}
}

// writeOnce writes one batch of the queue, waiting for the socket (block) or not, and reports whether the writer's
// work is over: the queue is empty or there is nowhere to write (then it gave up the writer role).
func (s *session) writeOnce(b *batch, block bool) bool {
	s.mu.Lock()
	c := s.c
	if s.ended || len(s.q) == 0 || c == nil || !c.ready.Load() || c.closing() {
		s.writing = false
		s.mu.Unlock()
		return true
	}
	msgs := b.msgs[:copy(b.msgs[:], s.q)]
	skip := s.sent
	s.mu.Unlock()
	defer clear(msgs)

	bufs, total := b.build(msgs, skip)
	var n int
	var err error
	if block {
		err = c.writeBlocking(bufs, total)
		n = total
	} else {
		n, err = c.tryWrite(bufs, total)
	}
	if err != nil && err != errWouldBlock {
		c.kill(kindDropped, "write failed: "+err.Error())
		return false // the next round finds c closing, or a newer connection
	}
	done, off := written(msgs, skip, n)

	s.mu.Lock()
	// Only the writer pops, so the head is still msgs unless end emptied the queue. Messages written whole are
	// done even if a newer connection took over meanwhile (the node may have read them already); one written in
	// part goes to a newer connection whole (takeover reset sent).
	if len(s.q) >= done {
		var cost, bytes int64
		for i, m := range msgs[:done] {
			cost += queueCost(m)
			bytes += int64(len(m))
			s.q[i] = nil
		}
		s.unqueueLocked(cost)
		s.srv.stats.bytesOut.Add(bytes)
		s.q = s.q[done:]
		if len(s.q) == 0 {
			s.q = nil
		}
		if s.c == c {
			s.sent = off
		}
	}
	if len(s.q) == 0 {
		s.writing = false
		s.mu.Unlock()
		return true
	}
	s.mu.Unlock()
	return false
}

// detach records that c, the attached connection, dropped: the session waits Grace for a resume.
func (s *session) detach(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended || s.c != c {
		return
	}
	s.c = nil
	s.detachedAt.Store(time.Now().UnixNano())
	s.expiry = time.AfterFunc(s.srv.opts.Grace, s.expire)
	s.srv.log.Debug("hub: session detached", "address", s.addr, "remote", c.remote())
}

func (s *session) expire() {
	if !s.srv.track() {
		return // Close ends every session itself
	}
	defer s.srv.wg.Done()
	s.end(nil, true, "grace expired")
}

// end ends the session: it forgets its address, drops its queue and releases its hostnames. With owner set it acts
// only while owner is the attached connection; with detachedOnly, only while no connection is attached. It reports
// whether it ended the session.
func (s *session) end(owner *conn, detachedOnly bool, why string) bool {
	s.mu.Lock()
	if s.ended || (owner != nil && s.c != owner) || (detachedOnly && s.c != nil) {
		s.mu.Unlock()
		return false
	}
	s.ended = true
	s.c = nil
	if s.qBytes > 0 {
		s.unqueueLocked(s.qBytes)
	}
	s.q = nil
	if s.expiry != nil {
		s.expiry.Stop()
		s.expiry = nil
	}
	names := s.hostnames
	s.hostnames = nil
	dirRev := s.dirRev
	s.mu.Unlock()

	srv := s.srv
	srv.removeSession(s)
	srv.stats.sessions.Add(-1)
	if srv.cluster != nil {
		srv.cluster.unpublishSession(s.addr, dirRev)
	}
	for _, name := range names {
		ctx, cancel := srv.registryContext()
		if err := srv.reg.Release(ctx, name, s.addr); err != nil {
			srv.log.Warn("hub: releasing hostname", "address", s.addr, "hostname", name, "err", err)
		}
		cancel()
	}
	srv.log.Debug("hub: session ended", "address", s.addr, "reason", why, "hostnames", len(names))
	return true
}

// holds reports whether the session holds hostname name, and how many it holds.
func (s *session) holds(name string) (held bool, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, h := range s.hostnames {
		if h == name {
			return true, len(s.hostnames)
		}
	}
	return false, len(s.hostnames)
}

// addHostname records a lease the registry granted. It fails with errTooMany when the session meanwhile reached
// the limit, and errSessionEnded when it ended; the caller then releases the lease.
func (s *session) addHostname(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return errSessionEnded
	}
	for _, h := range s.hostnames {
		if h == name {
			return nil
		}
	}
	if len(s.hostnames) >= maxHostnames {
		return errTooMany
	}
	s.hostnames = append(s.hostnames, name)
	return nil
}

// removeHostname forgets name and reports whether the session held it.
func (s *session) removeHostname(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, h := range s.hostnames {
		if h == name {
			s.hostnames = append(s.hostnames[:i], s.hostnames[i+1:]...)
			if len(s.hostnames) == 0 {
				s.hostnames = nil
			}
			return true
		}
	}
	return false
}

// handOver ends the session on this hub because another hub of the cluster took it over (a resume there): unlike
// end, it keeps the session's hostnames and cluster record, which are the new hub's now. Its connection, if any,
// is closed with 4409, as for a resume on this hub. It reports whether the session was live here.
func (s *session) handOver() bool {
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return false
	}
	s.ended = true
	c := s.c
	s.c = nil
	if s.qBytes > 0 {
		s.unqueueLocked(s.qBytes)
	}
	s.q = nil
	if s.expiry != nil {
		s.expiry.Stop()
		s.expiry = nil
	}
	s.hostnames = nil
	s.mu.Unlock()
	if c != nil {
		c.requestClose(kindReplaced, closeReplaced, "session resumed on another hub")
	}
	s.srv.removeSession(s)
	s.srv.stats.sessions.Add(-1)
	s.srv.log.Debug("hub: session handed over to another hub", "address", s.addr)
	return true
}
