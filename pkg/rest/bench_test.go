package rest_test

import (
	"bytes"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/smokenet/smoke/pkg/node"
	"github.com/smokenet/smoke/pkg/rest"
)

// The benchmarks run over two nodes in this process (real pion on loopback natively, RTCDataChannel in the
// browser), as the tests do. CPU time per operation is the steadier figure on a busy machine: run with
// -benchtime and -count, and compare medians.

// BenchmarkSmallGET is sequential small GETs through http.Client over one pooled socket.
func BenchmarkSmallGET(b *testing.B) {
	p := newPair(b)
	mux := http.NewServeMux()
	mux.HandleFunc("/small", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	p.serve(b, 80, mux)
	c, _ := p.httpClient(b)
	url := p.url(80, "/small")
	get := func() {
		resp, err := c.Get(url)
		drain(b, resp, err)
	}
	warmUp(get) // connect, and let the browser's wasm tiers settle
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		get()
	}
}

// BenchmarkSmallPOST is sequential POSTs of a small body, echoed back.
func BenchmarkSmallPOST(b *testing.B) {
	p := newPair(b)
	mux := http.NewServeMux()
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) { io.Copy(w, r.Body) })
	p.serve(b, 80, mux)
	c, _ := p.httpClient(b)
	url := p.url(80, "/echo")
	body := bytes.Repeat([]byte("x"), 100)
	post := func() {
		resp, err := c.Post(url, "application/octet-stream", bytes.NewReader(body))
		drain(b, resp, err)
	}
	warmUp(post)
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		post()
	}
}

// Benchmark16MiBResponse is one GET of a 16 MiB body written by the handler in one Write.
func Benchmark16MiBResponse(b *testing.B) {
	benchmarkBigResponse(b, 16<<20, 16<<20)
}

// Benchmark16MiBResponseWrites32K is the same body written 32 KiB at a time (as io.Copy does).
func Benchmark16MiBResponseWrites32K(b *testing.B) {
	benchmarkBigResponse(b, 16<<20, 32<<10)
}

func benchmarkBigResponse(b *testing.B, size, write int) {
	big := make([]byte, size)
	for i := range big {
		big[i] = byte(i * 7)
	}
	p := newPair(b)
	mux := http.NewServeMux()
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		for p := big; len(p) > 0; {
			n := min(len(p), write)
			w.Write(p[:n])
			p = p[n:]
		}
	})
	p.serve(b, 80, mux)
	c, _ := p.httpClient(b)
	url := p.url(80, "/big")
	get := func() {
		resp, err := c.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || n != int64(size) {
			b.Fatalf("read %d bytes, %v", n, err)
		}
	}
	get()
	b.SetBytes(int64(size))
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		get()
	}
}

// BenchmarkRawSocket16MiB is the baseline of Benchmark16MiBResponse: the same bytes as 64 KiB messages on a raw
// node socket between the same two nodes.
func BenchmarkRawSocket16MiB(b *testing.B) {
	const size, msg = 16 << 20, 64 << 10
	p := newPair(b)
	l, err := p.server.Listen(81)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	ctx := testCtx(b, 10*time.Minute)
	go func() {
		s, err := l.Accept(ctx)
		if err != nil {
			return
		}
		defer s.CloseNow()
		chunk := make([]byte, msg)
		for {
			if _, _, err := s.Read(ctx); err != nil { // one request: send size bytes
				return
			}
			for sent := 0; sent < size; sent += msg {
				if err := s.Write(ctx, node.MessageBinary, chunk); err != nil {
					return
				}
			}
		}
	}()
	s, err := p.client.Dial(ctx, p.addr, 81)
	if err != nil {
		b.Fatal(err)
	}
	defer s.CloseNow()
	get := func() {
		if err := s.Write(ctx, node.MessageBinary, []byte{1}); err != nil {
			b.Fatal(err)
		}
		for got := 0; got < size; {
			_, m, err := s.Read(ctx)
			if err != nil {
				b.Fatal(err)
			}
			got += len(m)
		}
	}
	get()
	b.SetBytes(size)
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		get()
	}
}

// reportCPU starts counting the process's CPU time; the function it returns reports it per operation, as cpu-ns/op.
func reportCPU(b *testing.B) func() {
	start := processCPU()
	return func() {
		if d := processCPU() - start; d > 0 && b.N > 0 {
			b.ReportMetric(float64(d.Nanoseconds())/float64(b.N), "cpu-ns/op")
		}
	}
}

// warmUp runs f for a while: the first requests connect, and in the browser the first seconds run slower code.
// drain reads a response to its end and closes it, failing b on any error: the part every request benchmark
// repeats.
func drain(b *testing.B, resp *http.Response, err error) {
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
}

func warmUp(f func()) {
	for start := time.Now(); time.Since(start) < warmUpTime; {
		f()
	}
}

// BenchmarkRawSocketPingPong is the floor of BenchmarkSmallGET: a small message to the server node and back on one
// raw node socket.
func BenchmarkRawSocketPingPong(b *testing.B) {
	p := newPair(b)
	l, err := p.server.Listen(81)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	ctx := testCtx(b, 10*time.Minute)
	go func() {
		s, err := l.Accept(ctx)
		if err != nil {
			return
		}
		defer s.CloseNow()
		for {
			typ, m, err := s.Read(ctx)
			if err != nil {
				return
			}
			if err := s.Write(ctx, typ, m); err != nil {
				return
			}
		}
	}()
	s, err := p.client.Dial(ctx, p.addr, 81)
	if err != nil {
		b.Fatal(err)
	}
	defer s.CloseNow()
	msg := make([]byte, 40)
	ping := func() {
		if err := s.Write(ctx, node.MessageBinary, msg); err != nil {
			b.Fatal(err)
		}
		if _, _, err := s.Read(ctx); err != nil {
			b.Fatal(err)
		}
	}
	warmUp(ping)
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		ping()
	}
}

// BenchmarkSmallGETLocal is BenchmarkSmallGET to the client's own node: an in-memory link, no WebRTC, so what it
// measures is this package's and pkg/node's own cost.
func BenchmarkSmallGETLocal(b *testing.B) {
	p := newPair(b)
	l, err := p.client.Listen(80)
	if err != nil {
		b.Fatal(err)
	}
	s := &rest.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })}
	go s.Serve(l)
	defer s.Close()
	c, _ := p.httpClient(b)
	get := func() {
		resp, err := c.Get("rest://localhost/small")
		drain(b, resp, err)
	}
	warmUp(get)
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		get()
	}
}
