package node_test

import (
	"testing"
	"time"

	"github.com/smokenet/smoke/pkg/node"
)

// BenchmarkNodeRoundTrip is one 64-byte message there and back between two nodes over a real peer connection
// (pion natively, the browser's RTCDataChannel in wasm).
func BenchmarkNodeRoundTrip(b *testing.B) {
	nodes := newNodes(b, 2)
	echo(b, nodes[1], 7100)
	ctx := testCtx(b, 5*time.Minute)
	s, err := nodes[0].Dial(ctx, address(b, nodes[1]), 7100)
	if err != nil {
		b.Fatal(err)
	}
	defer s.CloseNow()
	msg := make([]byte, 64)
	b.ResetTimer()
	for range b.N {
		if err := s.Write(ctx, node.MessageBinary, msg); err != nil {
			b.Fatal(err)
		}
		if _, _, err := s.Read(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNodeDial opens a socket to a node that has a peer connection with the dialer already: a datachannel and
// the HELLO/ACCEPT handshake through the peer pool, the path every REST request without a pooled socket takes.
func BenchmarkNodeDial(b *testing.B) {
	nodes := newNodes(b, 2)
	echo(b, nodes[1], 7101)
	ctx := testCtx(b, 5*time.Minute)
	addr := address(b, nodes[1])
	first, err := nodes[0].Dial(ctx, addr, 7101)
	if err != nil {
		b.Fatal(err)
	}
	defer first.CloseNow()
	b.ResetTimer()
	for range b.N {
		s, err := nodes[0].Dial(ctx, addr, 7101)
		if err != nil {
			b.Fatal(err)
		}
		s.CloseNow()
	}
}

// BenchmarkNodeConnect is a new pair of nodes to the first open socket: hub signalling, ICE, DTLS, SCTP and the
// socket handshake.
func BenchmarkNodeConnect(b *testing.B) {
	for range b.N {
		nodes := newNodes(b, 2)
		echo(b, nodes[1], 7102)
		ctx := testCtx(b, time.Minute)
		s, err := nodes[0].Dial(ctx, address(b, nodes[1]), 7102)
		if err != nil {
			b.Fatal(err)
		}
		s.CloseNow()
		nodes[0].Close()
		nodes[1].Close()
	}
}
