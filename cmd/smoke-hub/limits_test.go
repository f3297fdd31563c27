//go:build !js

package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/smokenet/smoke/internal/testing/hubtest"
)

func TestMetricsNeedToken(t *testing.T) {
	base, _ := start(t, "--token", "s3cret")
	if code, _ := get(t, base+"/metrics"); code != http.StatusForbidden {
		t.Errorf("/metrics without the token: %d, want 403", code)
	}
	if code, body := get(t, base+"/metrics?token=s3cret"); code != 200 || !strings.Contains(body, "smoke_hub_limit_hits_total") {
		t.Errorf("/metrics?token=: %d", code)
	}
	req, _ := http.NewRequest("GET", base+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer s3cret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("/metrics with a bearer token: %d", resp.StatusCode)
	}
	if code, _ := get(t, base+"/healthz"); code != 200 {
		t.Errorf("/healthz: %d; health checks need no token", code)
	}

	// With --metrics-addr, metrics leave the public port for that address.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	maddr := ln.Addr().String()
	ln.Close()
	base, _ = start(t, "--token", "s3cret", "--metrics-addr", maddr)
	if code, _ := get(t, base+"/metrics?token=s3cret"); code != http.StatusNotFound {
		t.Errorf("/metrics on the public port with --metrics-addr: %d, want 404", code)
	}
	if code, _ := get(t, "http://"+maddr+"/metrics"); code != 200 {
		t.Errorf("/metrics on --metrics-addr: %d", code)
	}
}

// TestStallForgiven stops the hub process for 4 s while 20 nodes send at 75 % of the rate limit. When it runs
// again it reads their backlog in one burst; none of them may be closed for it. A node sending at three times the
// limit is still closed.
func TestStallForgiven(t *testing.T) {
	p := hubtest.StartProcess(t, 0, "--rate", "20", "--burst", "40")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	type node struct {
		ws   *websocket.Conn
		addr string
		err  chan error // how its connection ended
	}
	dial := func() *node {
		ws, _, err := websocket.Dial(ctx, p.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, b, err := ws.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		addr := strings.SplitN(strings.SplitN(string(b), `"address":"`, 2)[1], `"`, 2)[0]
		n := &node{ws: ws, addr: addr, err: make(chan error, 1)}
		go func() { // read the echoes until the connection ends
			for {
				if _, _, err := ws.Read(ctx); err != nil {
					n.err <- err
					return
				}
			}
		}()
		return n
	}
	send := func(n *node, perSecond int, stop <-chan struct{}, wg *sync.WaitGroup) {
		defer wg.Done()
		tick := time.NewTicker(time.Second / time.Duration(perSecond))
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			msg := fmt.Sprintf(`{"type":"forward","to":%q,"data":%d}`, n.addr, i)
			if n.ws.Write(ctx, websocket.MessageText, []byte(msg)) != nil {
				return
			}
		}
	}

	var nodes []*node
	for range 20 {
		nodes = append(nodes, dial())
	}
	flooder := dial()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, n := range nodes {
		wg.Add(1)
		go send(n, 15, stop, &wg)
	}
	wg.Add(1)
	go send(flooder, 60, stop, &wg)

	time.Sleep(time.Second)
	p.Cmd.Process.Signal(syscall.SIGSTOP)
	time.Sleep(4 * time.Second)
	p.Cmd.Process.Signal(syscall.SIGCONT)
	time.Sleep(2 * time.Second)
	close(stop)
	wg.Wait()

	for i, n := range nodes {
		select {
		case err := <-n.err:
			t.Errorf("node %d, sending at 75%% of the limit, was closed: %v", i, err)
		default:
		}
	}
	select {
	case err := <-flooder.err:
		if websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
			t.Errorf("flooder closed with %v, want 1008", err)
		}
	case <-time.After(5 * time.Second):
		t.Error("a node sending at three times the limit was not closed")
	}
}

// TestDescriptorLimit runs the hub with 300 open files: the limits it derives leave descriptors to spare, so that
// with every node slot taken a new node gets 503 at once and health checks still answer, even with idle keep-alive
// connections around. (With the old fixed 20,000, both timed out once descriptors ran out.)
func TestDescriptorLimit(t *testing.T) {
	p := hubtest.StartProcess(t, 300, "--log-level", "info")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	base := "http://" + p.Addr

	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(p.Log.String(), "nofile=300") {
		if time.Now().After(deadline) {
			t.Fatalf("no log line on the derived limits:\n%s", p.Log.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	var conns []*websocket.Conn
	defer func() {
		for _, ws := range conns {
			ws.CloseNow()
		}
	}()
	refusedAt := -1
	for i := range 300 {
		ws, resp, err := websocket.Dial(ctx, p.URL, nil)
		if err != nil {
			if resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
				t.Fatalf("node %d: %v (want a node or 503)", i, err)
			}
			refusedAt = i
			break
		}
		conns = append(conns, ws)
	}
	if refusedAt < 100 || refusedAt > 200 {
		t.Fatalf("the hub refused node %d; want it to take about 150 nodes under 300 open files", refusedAt)
	}

	// Idle keep-alive connections from many addresses, more than the HTTP slots.
	for i := range 60 {
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 9, byte(i+1))}}
		nc, err := d.DialContext(ctx, "tcp", p.Addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		fmt.Fprintf(nc, "GET /healthz HTTP/1.1\r\nHost: hub\r\n\r\n")
		nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
		if err != nil {
			break // evicted before it got its answer: fine, it was the oldest then
		}
		io.Copy(io.Discard, resp.Body)
	}
	for range 3 {
		start := time.Now()
		if code, _ := get(t, base+"/healthz"); code != 200 {
			t.Fatalf("/healthz at the limits: %d", code)
		}
		_, resp, err := websocket.Dial(ctx, p.URL, nil)
		if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("new node at the limits: %v, want 503", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("health check and refusal took %v", d)
		}
	}
	conns[0].Close(websocket.StatusNormalClosure, "")
	conns = conns[1:]
	deadline = time.Now().Add(5 * time.Second)
	for {
		ws, _, err := websocket.Dial(ctx, p.URL, nil)
		if err == nil {
			conns = append(conns, ws)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a freed slot was not given to a new node: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
