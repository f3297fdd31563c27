package node

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"golang.org/x/net/nettest"
)

func netConnPair(t testing.TB) (c1, c2 net.Conn, stop func()) {
	cfg := testConfig(socketConfig{Window: 64 << 10})
	x, y := newPipe()
	accepted := make(chan *Socket, 1)
	admitSocket(y, acceptorAddr, dialerAddr, cfg, func(s *Socket) error {
		accepted <- s
		return nil
	})
	d, err := dialSocket(context.Background(), x, dialerAddr, acceptorAddr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	a := <-accepted
	ctx, cancel := context.WithCancel(context.Background())
	return NetConn(ctx, d, MessageBinary), NetConn(ctx, a, MessageBinary), func() {
		cancel()
		d.CloseNow()
		a.CloseNow()
	}
}

func TestNetConn(t *testing.T) {
	nettest.TestConn(t, func() (c1, c2 net.Conn, stop func(), err error) {
		c1, c2, stop = netConnPair(t)
		return c1, c2, stop, nil
	})
}

func TestNetConnBehaviour(t *testing.T) {
	c1, c2, stop := netConnPair(t)
	defer stop()
	if c1.LocalAddr() != dialerAddr || c1.RemoteAddr() != acceptorAddr {
		t.Fatalf("addrs %v %v", c1.LocalAddr(), c1.RemoteAddr())
	}
	// A Write over 256 KiB goes as several messages; the reader sees one stream.
	big := randomBytes(600<<10, 9)
	go c1.Write(big)
	got := make([]byte, len(big))
	if _, err := io.ReadFull(c2, got); err != nil || !bytes.Equal(got, big) {
		t.Fatalf("read %v", err)
	}
	// Deadline errors are timeouts matching os.ErrDeadlineExceeded, and the conn survives them.
	c2.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
	_, err := c2.Read(got)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past the deadline: %v", err)
	}
	c2.SetReadDeadline(time.Time{})
	go c1.Write([]byte("x"))
	if n, err := c2.Read(got); err != nil || n != 1 {
		t.Fatalf("read after the deadline moved: %d, %v", n, err)
	}
	// A normal close reads as EOF.
	c1.Close()
	if _, err := c2.Read(got); err != io.EOF {
		t.Fatalf("read after the peer closed: %v", err)
	}
}

func TestNetConnWrongType(t *testing.T) {
	d, a := socketPair(t, testConfig(socketConfig{}), testConfig(socketConfig{}))
	c := NetConn(context.Background(), a, MessageBinary)
	mustWrite(t, d, MessageText, []byte("text"))
	if _, err := c.Read(make([]byte, 10)); err == nil {
		t.Fatal("read of a text message on a binary conn succeeded")
	}
	if _, _, err := d.Read(ctxT(t)); CloseStatus(err) != StatusUnsupportedData {
		t.Fatalf("peer got %v", err)
	}
}

func TestNetConnContext(t *testing.T) {
	d, _ := socketPair(t, testConfig(socketConfig{}), testConfig(socketConfig{}))
	ctx, cancel := context.WithCancel(context.Background())
	c := NetConn(ctx, d, MessageBinary)
	cancel()
	_, err := c.Read(make([]byte, 1))
	if !errors.Is(err, context.Canceled) || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read after the context ended: %v", err)
	}
}
