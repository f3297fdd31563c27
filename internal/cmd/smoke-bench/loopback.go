//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// loopbackClient is the HTTP client of the benchmarks. It refuses any address but
// 127.0.0.1 and never uses a proxy, whatever the environment says.
var loopbackClient = &http.Client{
	Transport: &http.Transport{Proxy: nil, DialContext: dialLoopback},
}

// nextPort is the last local port handed out by dialLoopback.
var nextPort atomic.Uint32

// dialLoopback connects to addr on 127.0.0.1 from a local port it picks itself. Left to the kernel, connect()
// searches the ephemeral range (28,232 ports, and it tries ports of one parity first) for a free one, which takes
// longer the more ports are taken: connecting the 19,900th idle client took milliseconds. Binding a chosen port
// is one lookup. A port still in use (or lingering in TIME_WAIT) fails to bind, and the next one is tried.
func dialLoopback(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if host != "127.0.0.1" {
		return nil, fmt.Errorf("smoke-bench connects only to 127.0.0.1, not %s", addr)
	}
	const lo, hi = 1024, 65535
	for range 1000 {
		port := lo + int(nextPort.Add(1)%(hi-lo+1))
		d := net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port}}
		c, err := d.DialContext(ctx, "tcp4", addr)
		if errors.Is(err, syscall.EADDRINUSE) || errors.Is(err, syscall.EADDRNOTAVAIL) {
			continue
		}
		return c, err
	}
	return nil, fmt.Errorf("dial %s: no free local port in 1,000 tries", addr)
}

// parallel runs f(i) for i in [from, to) with at most width calls at once, and returns the first error; after an
// error or when ctx ends it starts no more calls.
func parallel(ctx context.Context, from, to, width int, f func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(width, to-from) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := f(ctx, i); err != nil {
					cancel(err)
				}
			}
		}()
	}
feed:
	for i := from; i < to; i++ {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	return context.Cause(ctx)
}
