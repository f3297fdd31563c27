//go:build linux

package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// wsConn is the benchmark's own WebSocket client (RFC 6455): just what the benchmarks need, at the lowest cost per
// message it can manage, because the clients share the machine's two cores with the server they measure. With
// coder/websocket the clients took about 9 µs of CPU per relayed message, most of a core at the rates measured,
// which capped the figures of whichever server was faster.
//
// It sends unfragmented text frames and receives data frames of up to maxFrame bytes, answers pings, and treats a
// close frame as the end. Reads and writes may run concurrently with each other, one reader at a time; writes are
// serialized by a mutex.
type wsConn struct {
	nc   net.Conn
	br   *bufio.Reader // read by one goroutine at a time
	mask [4]byte

	wmu  sync.Mutex
	wbuf []byte
}

const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xa

	maxFrame = 1 << 20
)

// dialWS opens a WebSocket to u, which must be on 127.0.0.1.
func dialWS(ctx context.Context, u string) (*wsConn, error) {
	pu, err := url.Parse(u)
	if err != nil {
		return nil, err
	}
	if pu.Scheme != "ws" || pu.Hostname() != "127.0.0.1" {
		return nil, fmt.Errorf("smoke-bench connects only to ws://127.0.0.1, not %s", u)
	}
	nc, err := dialLoopback(ctx, "tcp", pu.Host)
	if err != nil {
		return nil, err
	}
	c := &wsConn{nc: nc, br: bufio.NewReaderSize(nc, 4096)}
	if err := c.handshake(ctx, pu); err != nil {
		nc.Close()
		return nil, fmt.Errorf("websocket handshake with %s: %w", u, err)
	}
	return c, nil
}

// acceptGUID is the fixed string of RFC 6455 section 1.3 that the server appends to the client's key.
const acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

func (c *wsConn) handshake(ctx context.Context, u *url.URL) error {
	defer c.bind(ctx)()
	var nonce [16]byte
	rand.Read(nonce[:])
	// The masking key should be fresh for every frame (section 5.3), to keep a browser's script from steering the
	// bytes on the wire; that concern does not apply to this client, and one key per connection costs nothing.
	rand.Read(c.mask[:])
	key := base64.StdEncoding.EncodeToString(nonce[:])
	req := "GET " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
		"\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := io.WriteString(c.nc, req); err != nil {
		return err
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		return fmt.Errorf("%s: %q", resp.Status, b)
	}
	sum := sha1.Sum([]byte(key + acceptGUID))
	if resp.Header.Get("Sec-WebSocket-Accept") != base64.StdEncoding.EncodeToString(sum[:]) {
		return errors.New("wrong Sec-WebSocket-Accept")
	}
	return nil
}

// bind makes the connection's blocking calls give up when ctx ends, until the returned function is called.
func (c *wsConn) bind(ctx context.Context) (unbind func()) {
	if dl, ok := ctx.Deadline(); ok {
		c.nc.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { c.nc.SetDeadline(time.Unix(1, 0)) })
	return func() {
		stop()
		c.nc.SetDeadline(time.Time{})
	}
}

// readCtx is read bounded by ctx, for the few reads that are not on a hot path.
func (c *wsConn) readCtx(ctx context.Context, buf []byte) ([]byte, error) {
	unbind := c.bind(ctx)
	b, err := c.read(buf)
	unbind()
	if err != nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	return b, err
}

// read returns the payload of the next data message, appended to buf[:0]. It answers pings on the way, and returns
// io.EOF at a close frame (after answering it).
func (c *wsConn) read(buf []byte) ([]byte, error) {
	buf = buf[:0]
	var ctl [125]byte
	for {
		var h [2]byte
		if _, err := io.ReadFull(c.br, h[:]); err != nil {
			return nil, err
		}
		fin, op, masked := h[0]&0x80 != 0, h[0]&0x0f, h[1]&0x80 != 0
		n := uint64(h[1] & 0x7f)
		switch n {
		case 126:
			var l [2]byte
			if _, err := io.ReadFull(c.br, l[:]); err != nil {
				return nil, err
			}
			n = uint64(binary.BigEndian.Uint16(l[:]))
		case 127:
			var l [8]byte
			if _, err := io.ReadFull(c.br, l[:]); err != nil {
				return nil, err
			}
			n = binary.BigEndian.Uint64(l[:])
		}
		var key [4]byte
		if masked { // servers must not mask, but undoing it is cheap
			if _, err := io.ReadFull(c.br, key[:]); err != nil {
				return nil, err
			}
		}
		var p []byte
		if op >= opClose {
			if n > 125 || !fin {
				return nil, fmt.Errorf("malformed control frame (opcode %#x, %d bytes)", op, n)
			}
			p = ctl[:n]
		} else {
			if uint64(len(buf))+n > maxFrame {
				return nil, fmt.Errorf("message over %d bytes", maxFrame)
			}
			buf = append(buf, make([]byte, n)...)
			p = buf[len(buf)-int(n):]
		}
		if _, err := io.ReadFull(c.br, p); err != nil {
			return nil, err
		}
		if masked {
			for i := range p {
				p[i] ^= key[i&3]
			}
		}
		switch op {
		case opText, opBinary, opContinuation:
			if fin {
				return buf, nil
			}
		case opPing:
			if err := c.writeFrame(opPong, p); err != nil {
				return nil, err
			}
		case opPong:
		case opClose:
			c.writeFrame(opClose, p[:min(len(p), 2)]) // echo the status code, as section 5.5.1 asks
			return nil, io.EOF
		default:
			return nil, fmt.Errorf("unknown opcode %#x", op)
		}
	}
}

// writeText sends p as one text message.
func (c *wsConn) writeText(p []byte) error { return c.writeFrame(opText, p) }

func (c *wsConn) writeFrame(op byte, p []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.wbuf = c.appendFrame(c.wbuf[:0], op, p)
	_, err := c.nc.Write(c.wbuf)
	return err
}

// appendFrame appends p to b as one masked frame.
func (c *wsConn) appendFrame(b []byte, op byte, p []byte) []byte {
	b = append(b, 0x80|op)
	switch n := len(p); {
	case n < 126:
		b = append(b, 0x80|byte(n))
	case n <= 0xffff:
		b = append(b, 0x80|126)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, 0x80|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	b = append(b, c.mask[:]...)
	start := len(b)
	b = append(b, p...)
	for i := range b[start:] {
		b[start+i] ^= c.mask[i&3]
	}
	return b
}

// idle reads until the connection ends, answering pings, and closes the returned channel then. A data message
// ends it too: an idle client expects none.
func (c *wsConn) idle() <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer c.nc.Close()
		c.read(nil)
	}()
	return done
}

// close sends a normal close (1000), so that a server ends the client's session at once rather than keeping it for
// a resume, then ends the connection without waiting for the answer.
func (c *wsConn) close() error {
	c.nc.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	c.writeFrame(opClose, []byte{0x03, 0xe8})
	return c.nc.Close()
}
