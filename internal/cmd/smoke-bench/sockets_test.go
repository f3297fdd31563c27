//go:build linux

package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	tests := []struct {
		in   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{3}, 3},
		{[]float64{9, 1, 5}, 5},
		{[]float64{4, 1, 3, 2}, 2.5},
	}
	for _, tt := range tests {
		if got := median(tt.in); got != tt.want {
			t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestSizeName(t *testing.T) {
	for in, want := range map[int]string{65536: "64 KiB", 8 << 20: "8 MiB", 1 << 30: "1024 MiB", 1000: "1000 B"} {
		if got := sizeName(in); got != want {
			t.Errorf("sizeName(%d) = %q, want %q", in, got, want)
		}
	}
}

// TestResultWriter feeds the wasm program's output in pieces that split lines and checks what comes out.
func TestResultWriter(t *testing.T) {
	var progress []string
	w := &resultWriter{progress: func(s string) { progress = append(progress, s) }}
	out := "progress latency: 10 pairs\n" +
		`result {"figure":"latency","smoke":[40,42],"raw":[30,31]}` + "\n" +
		"something else\n" +
		`result {"figure":"throughput","size":65536,"chunk":65536,"total":1024,"smoke":[1],"raw":[2]}` + "\n" +
		`result {"figure":"throughput","smoke":[1,2],"raw":[2]}` + "\n" + // unequal counts: refused
		`result {"figure":"raw-chunk","chunk":16384,"total":1024,"raw":[3]}` + "\n" +
		"no newline at the end"
	for i := 0; i < len(out); i += 7 {
		w.Write([]byte(out[i:min(i+7, len(out))]))
	}
	w.flush()
	res := w.results()
	if len(res) != 3 || res[0].Figure != "latency" || res[0].Smoke[1] != 42 || res[1].Size != 65536 || res[1].Raw[0] != 2 || res[2].Chunk != 16384 {
		t.Errorf("results: %+v", res)
	}
	if len(progress) != 1 || progress[0] != "latency: 10 pairs" {
		t.Errorf("progress: %q", progress)
	}
	if o := w.other(); !strings.Contains(o, "something else") || !strings.Contains(o, "unreadable") || !strings.Contains(o, "no newline at the end") {
		t.Errorf("other lines: %q", o)
	}
}

// The native throughput figure's two halves as Go benchmarks, to profile each on its own:
//
//	go test -run '^$' -bench Native -benchtime 4x -cpuprofile cpu.out ./internal/cmd/smoke-bench
//
// (pion needs a loopback interface that is up; run it under scripts/loopback.sh to be sure nothing leaves lo.)

func BenchmarkNativeSmoke(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	nl, err := newNodeLink(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer nl.close()
	b.SetBytes(64 << 20)
	for b.Loop() {
		if _, err := nl.transfer(ctx, nativeSize, 64<<20); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNativeRawPion(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	r, err := newRawPion(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer r.close()
	b.SetBytes(64 << 20)
	for b.Loop() {
		if _, err := r.transfer(ctx, nativeSize, 64<<20); err != nil {
			b.Fatal(err)
		}
	}
}
