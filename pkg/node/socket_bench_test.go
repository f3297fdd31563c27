package node

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkSocketRoundTrip is one small message there and back over an in-memory pipe: what the socket layer adds to
// a request/response exchange (two handler calls, two readers woken, credit bookkeeping). BenchmarkPipeRoundTrip is
// its baseline.
func BenchmarkSocketRoundTrip(b *testing.B) {
	for _, size := range []int{64, 4 << 10} {
		b.Run(fmt.Sprintf("%dB", size), func(b *testing.B) {
			d, a := socketPair(b, testConfig(socketConfig{}), testConfig(socketConfig{}))
			go echo(a)
			msg := randomBytes(size, 1)
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if err := d.Write(ctx, MessageBinary, msg); err != nil {
					b.Fatal(err)
				}
				if _, _, err := d.Read(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPipeRoundTrip is the baseline of BenchmarkSocketRoundTrip: the same bytes bounced through the same pipe
// with no socket layer.
func BenchmarkPipeRoundTrip(b *testing.B) {
	for _, size := range []int{64, 4 << 10} {
		b.Run(fmt.Sprintf("%dB", size), func(b *testing.B) {
			x, y := newPipe()
			back := make(chan struct{}, 1)
			ctx := context.Background()
			y.Start(handlerFunc(func(f []byte) { y.Send(ctx, f) }))
			x.Start(handlerFunc(func([]byte) { back <- struct{}{} }))
			defer x.Close()
			msg := randomBytes(size, 1)
			b.ResetTimer()
			for range b.N {
				if err := x.Send(ctx, msg); err != nil {
					b.Fatal(err)
				}
				<-back
			}
		})
	}
}

// BenchmarkSocketSmallMessages streams 64-byte messages one way: the per-message cost of the socket layer, where
// locks and wake-ups weigh more than bytes.
func BenchmarkSocketSmallMessages(b *testing.B) {
	d, a := socketPair(b, testConfig(socketConfig{}), testConfig(socketConfig{}))
	msg := randomBytes(64, 1)
	b.SetBytes(64)
	b.ReportAllocs()
	done := make(chan error, 1)
	n := b.N
	go func() {
		for range n {
			if _, _, err := a.Read(context.Background()); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	b.ResetTimer()
	for range n {
		if err := d.Write(context.Background(), MessageBinary, msg); err != nil {
			b.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}
