//go:build linux

package main

// The relay rows' load generator: the clients' sockets in a few epoll instances, one goroutine each (one per core),
// reading and writing with raw system calls, instead of a goroutine per client blocked in a read (readLoops, which
// the latency rows keep). A client's turn is one read of everything that arrived, and one write of all its answers.
// readLoops paid, per message, a read that found nothing, a park and a wake-up of the client's goroutine; measured in
// turns (make bench, three runs each, the client side of the smoke-hub rows), this generator takes 8.5 µs of CPU per
// relayed message against 11.3 with one in flight per pair, and 1.3 against 1.8 with eight. It leaves more of the
// two cores to whichever server is measured, the same for both.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// genClient is one client's state in the generator.
type genClient struct {
	*benchClient
	fd   int
	in   []byte // bytes read and not yet handled: the start of a frame
	out  []byte // answers to write
	body []byte // scratch for an answer's payload
}

// relayGen answers every relayed message with the next number to the client's peer, until stop.
type relayGen struct {
	s       signaller
	efd     int // eventfd: wakes the workers to stop
	wg      sync.WaitGroup
	stray   atomic.Int64
	mu      sync.Mutex
	err     error
	example string
	failed  chan struct{}
	stopped atomic.Bool
}

// startRelayGen starts the generator's workers over clients, already connected and idle.
func startRelayGen(clients []*benchClient, s signaller) (*relayGen, error) {
	g := &relayGen{s: s, failed: make(chan struct{})}
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return nil, err
	}
	g.efd = efd
	workers := max(1, runtime.GOMAXPROCS(0))
	groups := make([][]*genClient, workers)
	for i, c := range clients {
		gc := &genClient{benchClient: c, fd: -1}
		tc, ok := c.conn.nc.(syscall.Conn)
		if !ok {
			g.close()
			return nil, errors.New("not a TCP connection")
		}
		rc, err := tc.SyscallConn()
		if err != nil {
			g.close()
			return nil, err
		}
		// The descriptor stays open until the clients are closed, after the workers stop.
		rc.Control(func(fd uintptr) { gc.fd = int(fd) })
		if n := c.conn.br.Buffered(); n > 0 { // read past the handshake already
			b, _ := c.conn.br.Peek(n)
			gc.in = append(gc.in, b...)
			c.conn.br.Discard(n)
		}
		groups[i%workers] = append(groups[i%workers], gc)
	}
	for _, group := range groups {
		epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
		if err != nil {
			g.stop()
			return nil, err
		}
		byFD := make(map[int32]*genClient, len(group))
		unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, efd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(efd)})
		for _, gc := range group {
			byFD[int32(gc.fd)] = gc
			ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLET, Fd: int32(gc.fd)}
			if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, gc.fd, &ev); err != nil {
				unix.Close(epfd)
				g.stop()
				return nil, err
			}
		}
		g.wg.Add(1)
		go g.work(epfd, byFD)
	}
	return g, nil
}

// work runs one worker. It waits for its epoll instance as the hub's poller does (pkg/hub/server/poll_linux.go):
// through the Go runtime's own poller, then collects the events without blocking.
func (g *relayGen) work(epfd int, byFD map[int32]*genClient) {
	defer g.wg.Done()
	unix.SetNonblock(epfd, true)
	f := os.NewFile(uintptr(epfd), "epoll")
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		g.fail(err)
		return
	}
	events := make([]unix.EpollEvent, 128)
	buf := make([]byte, 64<<10)
	var n int
	var werr error
	wait := func(fd uintptr) bool {
		n, werr = unix.EpollWait(int(fd), events, 0)
		if werr == unix.EINTR {
			n, werr = 0, nil
		}
		return n > 0 || werr != nil
	}
	for {
		if err := rc.Read(wait); err != nil || werr != nil {
			g.fail(errors.Join(err, werr))
			return
		}
		for _, ev := range events[:n] {
			if ev.Fd == int32(g.efd) {
				return
			}
			if gc := byFD[ev.Fd]; gc != nil {
				if err := g.serve(gc, buf); err != nil {
					g.fail(err)
					return
				}
			}
		}
	}
}

// serve reads everything that arrived for gc, handles the whole frames, and writes the answers in one write.
func (g *relayGen) serve(gc *genClient, buf []byte) error {
	for {
		n, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(gc.fd), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)))
		if e == unix.EAGAIN {
			break
		}
		if e != 0 {
			return e
		}
		if n == 0 {
			return io.EOF
		}
		data := buf[:n]
		if len(gc.in) > 0 {
			gc.in = append(gc.in, data...)
			data = gc.in
		}
		rest, err := g.frames(gc, data)
		if err != nil {
			return err
		}
		gc.in = append(gc.in[:0], rest...)
		if int(n) < len(buf) {
			break // drained: edge-triggered, the next event says when more comes
		}
	}
	if len(gc.out) == 0 {
		return nil
	}
	out := gc.out
	for len(out) > 0 {
		n, _, e := unix.RawSyscall(unix.SYS_WRITE, uintptr(gc.fd), uintptr(unsafe.Pointer(&out[0])), uintptr(len(out)))
		if e == unix.EAGAIN { // the server does not read: wait for it as any client would
			if _, err := gc.conn.nc.Write(out); err != nil {
				return err
			}
			break
		}
		if e != 0 {
			return e
		}
		out = out[n:]
	}
	gc.out = gc.out[:0]
	return nil
}

// frames handles the whole server frames in data and returns the bytes of an incomplete one at its end.
func (g *relayGen) frames(gc *genClient, data []byte) ([]byte, error) {
	for len(data) >= 2 {
		op, l, hn := data[0]&0x0f, uint64(data[1]&0x7f), 2
		switch l {
		case 126:
			if len(data) < 4 {
				return data, nil
			}
			l, hn = uint64(binary.BigEndian.Uint16(data[2:4])), 4
		case 127:
			if len(data) < 10 {
				return data, nil
			}
			l, hn = binary.BigEndian.Uint64(data[2:10]), 10
		}
		if data[0]&0x80 == 0 || data[1]&0x80 != 0 || l > maxFrame {
			return nil, fmt.Errorf("unexpected frame header %#x %#x", data[0], data[1])
		}
		if uint64(len(data)-hn) < l {
			return data, nil
		}
		p := data[hn : hn+int(l)]
		data = data[hn+int(l):]
		switch op {
		case opText, opBinary:
			n, ok := g.s.relayed(p)
			if !ok {
				if !g.stopped.Load() && g.stray.Add(1) == 1 {
					g.mu.Lock()
					g.example = fmt.Sprintf("%.200s", p)
					g.mu.Unlock()
				}
				continue
			}
			gc.recv.Add(1)
			gc.body = g.s.relay(gc.body[:0], gc.peer.addr, n+1)
			gc.out = gc.conn.appendFrame(gc.out, opText, gc.body)
		case opPing:
			gc.out = gc.conn.appendFrame(gc.out, opPong, p)
		case opClose:
			return nil, io.EOF
		}
	}
	return data, nil
}

func (g *relayGen) fail(err error) {
	if g.stopped.Load() {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.err == nil {
		g.err = err
		close(g.failed)
	}
}

// stop ends the workers and returns the first error they met; the clients stay connected.
func (g *relayGen) stop() error {
	g.stopped.Store(true)
	var one = [8]byte{1}
	unix.Write(g.efd, one[:])
	g.wg.Wait()
	g.close()
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.err
}

func (g *relayGen) close() {
	if g.efd >= 0 {
		unix.Close(g.efd)
		g.efd = -1
	}
}

func (g *relayGen) strayNote() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stray.Load() == 0 {
		return ""
	}
	return fmt.Sprintf("%d messages were not relays, e.g. %s", g.stray.Load(), g.example)
}
