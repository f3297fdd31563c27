//go:build js

// Command sockets is the browser half of smoke-bench's sockets section: a GOOS=js GOARCH=wasm program that
// smoke-bench builds and runs in one headless Chromium page (internal/testing/browser). In that one page it measures two
// pkg/node nodes on a PageHub against a raw-JavaScript RTCDataChannel pair (raw.js):
//
//   - dial-to-open latency of a new peer: Dial to a fresh node (peer connection, signalling through the PageHub,
//     ICE, DTLS, SCTP, channel open, accept handshake) vs a new RTCPeerConnection pair up to the first open channel;
//   - throughput with -size-byte messages vs the raw pair sending -chunk-byte messages (a raw datachannel cannot
//     carry a message larger than the SCTP max-message-size, 256 KiB in Chrome), for each size.
//
// Runs alternate between the library and the baseline so that drift hits both. Each figure is printed as one line
// "result <json>" (see result); other lines are progress.
//
// With -trace it also prints, for each latency pair, the timeline of every RTCPeerConnection in the page (created,
// offer, answer, candidates, connected, channel open, first message), to see where a dial spends its time:
//
//	GOOS=js GOARCH=wasm go build -o /tmp/sockets.wasm ./internal/cmd/smoke-bench/sockets
//	./scripts/loopback.sh bin/wasmbrowser /tmp/sockets.wasm -sizes '' -pairs 10 -trace
package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall/js"
	"time"

	"github.com/smokenet/smoke/internal/jsx"
	"github.com/smokenet/smoke/pkg/hub"
	"github.com/smokenet/smoke/pkg/node"
)

//go:embed raw.js
var rawJS string

// result is one figure's samples; smoke-bench parses it (sockets_browser.go has the same type).
type result struct {
	Figure string    `json:"figure"`          // "latency", "throughput", "raw-chunk" (baseline only)
	Size   int       `json:"size,omitempty"`  // throughput: the library's message size
	Chunk  int       `json:"chunk,omitempty"` // throughput: the baseline's message size
	Total  int       `json:"total,omitempty"` // throughput: bytes per run
	Smoke  []float64 `json:"smoke"`           // milliseconds per run
	Raw    []float64 `json:"raw"`
}

const port = 7000

func main() {
	sizes := flag.String("sizes", "65536,8388608", "library message sizes, comma-separated")
	chunk := flag.Int("chunk", 64<<10, "the baseline's message size")
	total := flag.Int("total", 64<<20, "bytes per throughput run")
	reps := flag.Int("reps", 3, "throughput runs of each kind")
	extra := flag.Int("rawframe", 0, "also measure the baseline with messages of this size (the library's frame size) beside the first size; 0: no")
	trace := flag.Bool("trace", false, "latency: print each pair's RTCPeerConnection timeline (a diagnostic, not a figure)")
	pairs := flag.Int("pairs", 10, "fresh pairs of each kind for latency, after one warm-up pair")
	timeout := flag.Duration("timeout", 3*time.Minute, "bound on the whole program")
	flag.Parse()

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if err := run(ctx, *sizes, *chunk, *total, *reps, *pairs, *extra, *trace); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, sizes string, chunk, total, reps, pairs, extra int, trace bool) error {
	f, err := jsx.New(js.Global().Get("Function"), rawJS)
	if err == nil {
		_, err = jsx.Invoke(f)
	}
	if err != nil {
		return fmt.Errorf("raw.js: %w", err)
	}
	raw := js.Global().Get("smokeRawBench")
	ph := hub.NewPageHub(nil)
	if trace {
		if _, err := jsx.Call(raw, "installTrace"); err != nil {
			return err
		}
	}

	if pairs > 0 {
		progress("latency: %d fresh pairs of each kind, after a warm-up pair", pairs)
		r := result{Figure: "latency"}
		for i := range pairs + 1 {
			d, err := smokeOpen(ctx, ph, raw, trace)
			if err != nil {
				return fmt.Errorf("smoke pair %d: %w", i, err)
			}
			if trace {
				printTrace(raw, fmt.Sprintf("smoke pair %d: Dial took %.1f ms", i, ms64(d)))
				jsx.Call(raw, "traceStart")
			}
			ms, id, err := rawOpen(ctx, raw)
			if err != nil {
				return fmt.Errorf("raw pair %d: %w", i, err)
			}
			if trace {
				printTrace(raw, fmt.Sprintf("raw pair %d: open took %.1f ms", i, ms))
			}
			jsx.Call(raw, "close", id)
			if i > 0 { // the first of each kind warms up the JIT, the crypto and the network stack
				r.Smoke = append(r.Smoke, ms64(d))
				r.Raw = append(r.Raw, ms)
			}
		}
		emit(r)
	}

	for i, s := range strings.Split(sizes, ",") {
		if s == "" {
			continue
		}
		size, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || size <= 0 {
			return fmt.Errorf("bad size %q", s)
		}
		if i > 0 {
			extra = 0
		}
		if err := throughput(ctx, ph, raw, size, chunk, extra, total, reps); err != nil {
			return fmt.Errorf("throughput, %d-byte messages: %w", size, err)
		}
	}
	return nil
}

// throughput measures reps runs of each kind, alternating, over one node pair and one raw pair made for it. If extra
// is not 0, the raw pair also runs with extra-byte messages each time, reported as figure "raw-chunk".
func throughput(ctx context.Context, ph *hub.PageHub, raw js.Value, size, chunk, extra, total, reps int) error {
	progress("throughput: %d runs of %d MiB each way, %d-byte messages (raw: %d-byte)", reps, total>>20, size, chunk)
	a, b, err := nodePair(ph)
	if err != nil {
		return err
	}
	defer a.Close()
	defer b.Close()
	tx, rx, err := connect(ctx, a, b)
	if err != nil {
		return err
	}
	defer tx.CloseNow()
	defer rx.CloseNow()
	_, id, err := rawOpen(ctx, raw)
	if err != nil {
		return fmt.Errorf("raw pair: %w", err)
	}
	defer jsx.Call(raw, "close", id)

	r := result{Figure: "throughput", Size: size, Chunk: chunk, Total: total}
	x := result{Figure: "raw-chunk", Chunk: extra, Total: total}
	rawRun := func(chunk, total int) (float64, error) {
		v, err := jsx.Call(raw, "throughput", id, chunk, total)
		if err == nil {
			v, err = jsx.Await(ctx, v)
		}
		if err != nil {
			return 0, err
		}
		return v.Float(), nil
	}
	// One short run of each first: V8 compiles the wasm's hot functions in the background (Liftoff first, TurboFan
	// later), and the first run would pay for it.
	warm := min(total, 16<<20)
	if _, err := transfer(ctx, tx, rx, size, warm); err != nil {
		return fmt.Errorf("smoke warm-up: %w", err)
	}
	if _, err := rawRun(chunk, warm); err != nil {
		return fmt.Errorf("raw warm-up: %w", err)
	}
	for i := range reps {
		d, err := transfer(ctx, tx, rx, size, total)
		if err != nil {
			return fmt.Errorf("smoke run %d: %w", i, err)
		}
		r.Smoke = append(r.Smoke, ms64(d))
		ms, err := rawRun(chunk, total)
		if err != nil {
			return fmt.Errorf("raw run %d: %w", i, err)
		}
		r.Raw = append(r.Raw, ms)
		if extra > 0 {
			ms, err := rawRun(extra, total)
			if err != nil {
				return fmt.Errorf("raw run %d with %d-byte messages: %w", i, extra, err)
			}
			x.Raw = append(x.Raw, ms)
		}
	}
	emit(r)
	if extra > 0 {
		emit(x)
	}
	return nil
}

// transfer writes total bytes from tx as size-byte messages and returns how long until rx has read them all.
func transfer(ctx context.Context, tx, rx *node.Socket, size, total int) (time.Duration, error) {
	msg := make([]byte, size)
	for i := range msg {
		msg[i] = byte(i * 7)
	}
	wrote := make(chan error, 1)
	start := time.Now()
	go func() {
		for sent := 0; sent < total; sent += size {
			if err := tx.Write(ctx, node.MessageBinary, msg[:min(size, total-sent)]); err != nil {
				wrote <- err
				return
			}
		}
		wrote <- nil
	}()
	for got := 0; got < total; {
		_, b, err := rx.Read(ctx)
		if err != nil {
			return 0, fmt.Errorf("read after %d bytes: %w", got, err)
		}
		got += len(b)
	}
	d := time.Since(start)
	return d, <-wrote
}

// printTrace prints the trace recorded since traceStart, under title.
func printTrace(raw js.Value, title string) {
	v, err := jsx.Call(raw, "traceStop")
	if err != nil {
		fmt.Println("trace:", err)
		return
	}
	fmt.Printf("trace %s\n%s\n", title, v.String())
}

// smokeOpen makes two fresh nodes and returns how long the first Dial from one to the other took. With trace, the
// page's trace starts right before Dial and is marked when it returns.
func smokeOpen(ctx context.Context, ph *hub.PageHub, raw js.Value, trace bool) (time.Duration, error) {
	a, b, err := nodePair(ph)
	if err != nil {
		return 0, err
	}
	defer a.Close()
	defer b.Close()
	addr, err := b.Address(ctx)
	if err != nil {
		return 0, err
	}
	l, err := b.Listen(port)
	if err != nil {
		return 0, err
	}
	defer l.Close()
	accepted := make(chan *node.Socket, 1)
	go func() {
		s, _ := l.Accept(ctx)
		accepted <- s
	}()
	if trace {
		jsx.Call(raw, "traceStart")
	}
	start := time.Now()
	s, err := a.Dial(ctx, addr, port)
	d := time.Since(start)
	if trace {
		jsx.Call(raw, "traceMark", "Dial returned")
	}
	if err != nil {
		return 0, err
	}
	s.CloseNow()
	if rs := <-accepted; rs != nil {
		rs.CloseNow()
	}
	return d, nil
}

// nodePair makes two nodes on ph and waits for their addresses.
func nodePair(ph *hub.PageHub) (*node.Node, *node.Node, error) {
	a := node.New(&node.Options{Hub: ph.Join()})
	b := node.New(&node.Options{Hub: ph.Join()})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, n := range []*node.Node{a, b} {
		if _, err := n.Address(ctx); err != nil {
			a.Close()
			b.Close()
			return nil, nil, err
		}
	}
	return a, b, nil
}

// connect opens a socket from a to b and returns both ends.
func connect(ctx context.Context, a, b *node.Node) (tx, rx *node.Socket, err error) {
	l, err := b.Listen(port)
	if err != nil {
		return nil, nil, err
	}
	defer l.Close()
	addr, err := b.Address(ctx)
	if err != nil {
		return nil, nil, err
	}
	accepted := make(chan *node.Socket, 1)
	go func() {
		s, _ := l.Accept(ctx)
		accepted <- s
	}()
	tx, err = a.Dial(ctx, addr, port)
	if err != nil {
		return nil, nil, err
	}
	rx = <-accepted
	if rx == nil {
		tx.CloseNow()
		return nil, nil, errors.New("accept failed")
	}
	return tx, rx, nil
}

// rawOpen makes a raw pair and returns its setup time in milliseconds and its id in raw.js.
func rawOpen(ctx context.Context, raw js.Value) (float64, int, error) {
	v, err := jsx.Call(raw, "open")
	if err == nil {
		v, err = jsx.Await(ctx, v)
	}
	if err != nil {
		return 0, 0, err
	}
	return v.Get("ms").Float(), v.Get("id").Int(), nil
}

func ms64(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func emit(r result) {
	b, _ := json.Marshal(r)
	fmt.Printf("result %s\n", b)
}

func progress(format string, args ...any) {
	fmt.Printf("progress "+format+"\n", args...)
}
