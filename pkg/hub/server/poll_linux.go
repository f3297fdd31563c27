//go:build linux

package server

import (
	"io"
	"os"
	"runtime"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// poller tells which hub connections have bytes to read: one epoll instance and one goroutine per core (a loop),
// instead of a goroutine per connection waiting in a read (lean.go). Registration is edge-triggered: an event means
// new bytes arrived since the last read found the socket drained; the work token (read.go) makes sure a connection
// woken while its read side runs goes round once more.
//
// A loop's goroutine does not wait in epoll_wait: the epoll descriptor is itself readable while it has events, so
// it waits for that through the Go runtime's own poller, parked like any network read, and then collects the events
// without blocking. Waiting in epoll_wait instead kept an OS thread in a system call, whose every return needed a
// scheduler hand-off: measured side by side here, that cost more hub CPU per relayed message (173,000 against
// 284,000 messages per core with 8 in flight) and more latency in process (p50 123 µs against 97 µs).
//
// The loop reads and relays in its own goroutine what cannot wait on anything (inline.go); anything else goes to a
// goroutine of the connection's own. One loop per core spreads that work over the cores, as goroutines did.
type poller struct {
	loops []*loop
	efd   int // an eventfd, in every loop's epoll instance, that wakes the loops to stop
}

// loop is one epoll instance and the goroutine that waits on it.
type loop struct {
	epfd int
	efd  int
	file *os.File        // epfd, so that the Go runtime's own poller says when it has events
	rc   syscall.RawConn // of file

	mu    sync.Mutex
	conns map[int32]*conn // by file descriptor
}

func newPoller() (*poller, error) {
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return nil, err
	}
	p := &poller{efd: efd}
	for range max(1, runtime.GOMAXPROCS(0)) {
		l, err := newLoop(efd)
		if err != nil {
			p.close()
			return nil, err
		}
		p.loops = append(p.loops, l)
	}
	return p, nil
}

func newLoop(efd int) (*loop, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	// Level-triggered, and never read: once written, every loop sees it, at every wait.
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, efd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(efd)}); err != nil {
		unix.Close(epfd)
		return nil, err
	}
	var file *os.File
	var rc syscall.RawConn
	if err = unix.SetNonblock(epfd, true); err == nil { // os.NewFile makes a non-blocking descriptor pollable
		file = os.NewFile(uintptr(epfd), "epoll")
		rc, err = file.SyscallConn()
	}
	if err != nil {
		if file != nil {
			file.Close()
		} else {
			unix.Close(epfd)
		}
		return nil, err
	}
	return &loop{epfd: epfd, efd: efd, file: file, rc: rc, conns: make(map[int32]*conn)}, nil
}

// run runs the loops until stop, and returns when they have all returned.
func (p *poller) run() {
	var wg sync.WaitGroup
	for _, l := range p.loops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.run()
		}()
	}
	wg.Wait()
}

// run waits for events until stop, and handles them.
func (l *loop) run() {
	events := make([]unix.EpollEvent, 256)
	taken := make([]*conn, 0, len(events)) // connections whose work token this goroutine took
	var n int
	var werr error
	wait := func(fd uintptr) bool {
		n, werr = unix.EpollWait(int(fd), events, 0)
		if werr == unix.EINTR {
			n, werr = 0, nil
		}
		return n > 0 || werr != nil // false: the runtime parks this goroutine until epfd is readable
	}
	for {
		if err := l.rc.Read(wait); err != nil || werr != nil {
			return
		}
		l.mu.Lock()
		for i := range n {
			fd := events[i].Fd
			if fd == int32(l.efd) {
				l.mu.Unlock()
				return
			}
			if c := l.conns[fd]; c != nil {
				if events[i].Events&(unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
					c.hup.Store(true) // read on to the end: no new event will come for it
				}
				// Taking the token under mu: remove, which the holder calls, cannot run meanwhile, so c stays
				// registered until its turn below.
				if c.state.CompareAndSwap(0, 1) {
					taken = append(taken, c)
				} else {
					c.wake() // a goroutine works on it: it goes round once more
				}
			}
		}
		l.mu.Unlock()
		for i, c := range taken {
			taken[i] = nil
			c.runInline()
		}
		taken = taken[:0]
	}
}

func (p *poller) stop() {
	var one = [8]byte{1}
	unix.Write(p.efd, one[:])
}

// close releases the poller's descriptors, once its goroutines and every connection are done.
func (p *poller) close() {
	for _, l := range p.loops {
		l.file.Close()
	}
	unix.Close(p.efd)
}

// loopOf is the loop that watches the socket fd.
func (p *poller) loopOf(fd int32) *loop { return p.loops[int(fd)%len(p.loops)] }

// add watches c's socket. A stale event for a descriptor that was closed and reused wakes its new connection for
// nothing: its read finds no bytes.
func (p *poller) add(c *conn) bool {
	fd := int32(-1)
	if err := c.raw.Control(func(f uintptr) { fd = int32(f) }); err != nil || fd < 0 {
		return false
	}
	l := p.loopOf(fd)
	l.mu.Lock()
	l.conns[fd] = c
	l.mu.Unlock()
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLET, Fd: fd}
	if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, int(fd), &ev); err != nil {
		l.mu.Lock()
		delete(l.conns, fd)
		l.mu.Unlock()
		return false
	}
	c.fd = fd
	return true
}

// remove stops watching c; it must run before c's socket is closed.
func (p *poller) remove(c *conn) {
	if c.fd < 0 {
		return
	}
	l := p.loopOf(c.fd)
	unix.EpollCtl(l.epfd, unix.EPOLL_CTL_DEL, int(c.fd), nil)
	l.mu.Lock()
	if l.conns[c.fd] == c {
		delete(l.conns, c.fd)
	}
	l.mu.Unlock()
	c.fd = -1
}

// read reads without waiting: errWouldBlock when nothing has arrived. In blocking mode it waits.
func (c *conn) read(p []byte) (int, error) {
	if c.blocking.Load() {
		return c.nc.Read(p)
	}
	r := rawReads.Get().(*rawRead)
	r.p = p
	err := c.raw.Read(r.fn)
	n, rerr := r.n, r.err
	r.p, r.err = nil, nil
	rawReads.Put(r)
	switch {
	case err != nil:
		return 0, err
	case rerr == unix.EAGAIN:
		return 0, errWouldBlock
	case rerr != nil:
		return 0, rerr
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// rawRead is a non-blocking read(2) for syscall.RawConn.Read, pooled so that a read allocates nothing and an idle
// connection holds nothing.
type rawRead struct {
	p   []byte
	n   int
	err error
	fn  func(uintptr) bool
}

var rawReads = sync.Pool{New: func() any {
	r := new(rawRead)
	r.fn = func(fd uintptr) bool {
		// A raw system call, as for writes (rawWrite).
		n, _, e := unix.RawSyscall(unix.SYS_READ, fd, uintptr(unsafe.Pointer(unsafe.SliceData(r.p))), uintptr(len(r.p)))
		r.n, r.err = int(n), nil
		if e != 0 {
			r.n, r.err = 0, e
		}
		return true // never wait: the poller says when to read again
	}
	return r
}}

// tryWrite writes bufs (total bytes) as far as the socket takes them without waiting, and returns how many bytes
// it wrote; errWouldBlock when another write is under way or the socket is full.
func (c *conn) tryWrite(bufs [][]byte, total int) (int, error) {
	if c.raw == nil || !c.wmu.TryLock() {
		return 0, errWouldBlock
	}
	defer c.wmu.Unlock()
	w := rawWrites.Get().(*rawWrite)
	defer rawWrites.Put(w)
	if total <= readChunk {
		chunk := readChunks.Get().(*[readChunk]byte)
		defer readChunks.Put(chunk)
		k := 0
		for _, p := range bufs {
			k += copy(chunk[k:], p)
		}
		w.one[0] = chunk[:k]
		w.bufs = w.one[:]
	} else {
		w.bufs = bufs
	}
	w.n, w.err = 0, nil
	err := c.raw.Write(w.fn)
	n, werr := w.n, w.err
	w.bufs, w.one[0], w.err = nil, nil, nil
	switch {
	case err != nil:
		return 0, err
	case werr == unix.EAGAIN:
		return 0, errWouldBlock
	case werr != nil:
		return 0, werr
	case n < total:
		return n, errWouldBlock
	}
	return n, nil
}

// rawWrite is a non-blocking writev(2) for syscall.RawConn.Write, pooled like rawRead.
type rawWrite struct {
	bufs [][]byte
	iov  []unix.Iovec
	one  [1][]byte
	n    int
	err  error
	fn   func(uintptr) bool
}

var rawWrites = sync.Pool{New: func() any {
	w := new(rawWrite)
	w.fn = func(fd uintptr) bool {
		// Raw system calls: the socket is non-blocking, so they return at once, and the scheduler need not
		// hear of them. Entering and leaving a system call, and sysmon's visits to calls it sees, were ~6 % of
		// the hub's CPU in profiles under relay load; measured in turns with and without (make bench, three
		// each), hub CPU per relayed message went from 9.9 to 9.0 µs with one message in flight per pair, and
		// from 1.9 to 1.8 µs with eight.
		var n uintptr
		var e unix.Errno
		if len(w.bufs) == 1 {
			p := w.bufs[0]
			n, _, e = unix.RawSyscall(unix.SYS_WRITE, fd, uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)))
		} else {
			iov := w.iov[:0]
			for _, p := range w.bufs {
				if len(p) > 0 {
					v := unix.Iovec{Base: unsafe.SliceData(p)}
					v.SetLen(len(p))
					iov = append(iov, v)
				}
			}
			n, _, e = unix.RawSyscall(unix.SYS_WRITEV, fd, uintptr(unsafe.Pointer(unsafe.SliceData(iov))), uintptr(len(iov)))
			clear(iov)
			w.iov = iov[:0]
		}
		w.n, w.err = int(n), nil
		if e != 0 {
			w.n, w.err = 0, e
		}
		return true // never wait: what the socket does not take, a drain goroutine writes
	}
	return w
}}
