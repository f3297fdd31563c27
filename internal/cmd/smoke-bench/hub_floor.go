//go:build linux

package main

// The latency floor: the hub's latency row set beside a relay that does the least a relay can do, run the same
// way (a process of its own, the same clients and schedule). It upgrades each connection to WebSocket, pairs
// connections in the order they arrive and copies each one's bytes to its partner unread, a goroutine per direction
// blocked in a read: no framing, no JSON, no addresses (the clients' frames arrive masked, which wsConn accepts).
// What it measures is the machine's: two processes woken per message, the load generator's own cost, and whatever
// else runs on the cores.

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
)

// floorEnv, set in the environment, makes smoke-bench run as the floor relay instead (see init).
const floorEnv = "SMOKE_BENCH_FLOOR_RELAY"

var floorReady = regexp.MustCompile(`^floor relay listening on (127\.0\.0\.1:\d+)$`)

func init() {
	if os.Getenv(floorEnv) == "" {
		return
	}
	if err := runFloorRelay(); err != nil {
		fmt.Fprintln(os.Stderr, "floor relay:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// startFloorRelay starts this executable as the floor relay.
func (e *env) startFloorRelay(ctx context.Context) (*child, signaller, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), floorEnv+"=1")
	c, m, err := e.startChild(ctx, "floor relay", cmd, floorReady)
	if err != nil {
		return nil, nil, err
	}
	return c, floorRelay{url: "ws://" + m[1]}, nil
}

func runFloorRelay() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Printf("floor relay listening on %s\n", ln.Addr())
	var waiting *floorConn
	for {
		nc, err := ln.Accept()
		if err != nil {
			return err
		}
		c, err := floorUpgrade(nc)
		if err != nil {
			nc.Close()
			continue
		}
		if waiting == nil {
			waiting = c
			continue
		}
		a, b := waiting, c
		waiting = nil
		go a.copyTo(b)
		go b.copyTo(a)
	}
}

type floorConn struct {
	nc net.Conn
	br *bufio.Reader
}

// copyTo copies what c receives to d until either ends, then closes both.
func (c *floorConn) copyTo(d *floorConn) {
	io.Copy(d.nc, c.br)
	c.nc.Close()
	d.nc.Close()
}

// floorUpgrade answers a WebSocket upgrade request (RFC 6455 section 4.2.2), without checking more than it must.
func floorUpgrade(nc net.Conn) (*floorConn, error) {
	br := bufio.NewReader(nc)
	req, err := http.ReadRequest(br)
	if err != nil {
		return nil, err
	}
	sum := sha1.Sum([]byte(req.Header.Get("Sec-WebSocket-Key") + acceptGUID))
	_, err = io.WriteString(nc, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Accept: "+base64.StdEncoding.EncodeToString(sum[:])+"\r\n\r\n")
	return &floorConn{nc: nc, br: br}, err
}

// floorRelay is the signaller of the floor relay. A message goes to whichever connection the relay paired the
// sender with, not to the address asked for; each client has one partner, which is all the latency row needs.
type floorRelay struct{ url string }

func (f floorRelay) join(ctx context.Context) (*wsConn, string, error) {
	c, err := dialWS(ctx, f.url+"/")
	return c, "", err
}

func (f floorRelay) relay(b []byte, to string, n int64) []byte { return strconv.AppendInt(b, n, 10) }

func (f floorRelay) relayed(msg []byte) (int64, bool) {
	n, err := strconv.ParseInt(string(msg), 10, 64)
	return n, err == nil
}
