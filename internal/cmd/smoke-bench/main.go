//go:build linux

// Command smoke-bench measures Smoke against baselines run on the same machine in the same run, and prints each
// figure beside the baseline's with their ratio and the target it has to meet.
//
//	smoke-bench -prepare            # outside the loopback namespace: install the baselines (npm ci), then exit
//	smoke-bench [-only hub,…]       # the benchmarks; `make bench` runs this inside a loopback-only namespace
//
// Each section is its own file (hub.go, …) and is listed in sections below. A section that cannot run its
// baseline (node missing, say) says so in one line and compares against published figures instead.
//
// Everything the benchmarks connect to is a child process listening on 127.0.0.1; children are killed on every
// exit path, Ctrl-C included.
//
// It runs on Linux only: it reads the servers' memory and CPU time from /proc, and has the kernel kill its
// children if it dies (Pdeathsig).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"
)

// A section is one group of figures, selected by name with -only.
type section struct {
	name string
	// prepare installs what the section's baselines need from the network; nil if nothing. It runs outside the
	// loopback namespace (-prepare), so it must not start benchmarks.
	prepare func(ctx context.Context, e *env) error
	run     func(ctx context.Context, e *env) error
}

// sections in the order they run.
var sections = []section{
	{name: "hub", prepare: preparePeerJS, run: runHub},
	{name: "hub-cluster", prepare: prepareNATS, run: runHubCluster},
	{name: "sockets", run: runSockets},
	{name: "wasm", run: runWasm},
	{name: "rest-browser", run: runRESTBrowser},
	{name: "rest-native", run: runRESTNative},
	{name: "db-browser", run: runDBBrowser},
	{name: "media", run: runMediaBrowser},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	e := &env{out: os.Stdout, log: os.Stderr}
	// A second signal while the first is being handled: kill the children and leave at once.
	go func() {
		<-ctx.Done()
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		<-sig
		e.procs.killAll()
		os.Exit(130)
	}()
	err := run(ctx, e, os.Args[1:])
	e.procs.killAll()
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "smoke-bench:", err)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("smoke-bench", flag.ContinueOnError)
	fs.SetOutput(e.log)
	var names []string
	for _, s := range sections {
		names = append(names, s.name)
	}
	only := fs.String("only", "", "comma-separated sections to run (default all): "+strings.Join(names, ", "))
	prepare := fs.Bool("prepare", false, "install the baselines the sections need (npm ci), then exit; run it outside the loopback namespace")
	fs.StringVar(&e.root, "root", "", "the repository's root folder (default: found from the working directory or the executable)")
	fs.StringVar(&e.bin, "bin", "", "folder holding smoke-hub and the other built tools (default: the folder of this executable)")
	fs.DurationVar(&e.dur, "duration", 3*time.Second, "how long each throughput or latency figure is measured, after its warm-up")
	cpuProfile := fs.String("cpuprofile", "", "write smoke-bench's own CPU profile to this file (to check that the clients are not the bottleneck)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}

	selected := sections
	if *only != "" {
		selected = nil
		for _, n := range strings.Split(*only, ",") {
			n = strings.TrimSpace(n)
			i := slices.IndexFunc(sections, func(s section) bool { return s.name == n })
			if i < 0 {
				return fmt.Errorf("-only: no section %q (have %s)", n, strings.Join(names, ", "))
			}
			selected = append(selected, sections[i])
		}
	}

	if err := e.locate(); err != nil {
		return err
	}
	if *prepare {
		for _, s := range selected {
			if s.prepare == nil {
				continue
			}
			if err := s.prepare(ctx, e); err != nil {
				return fmt.Errorf("%s: prepare: %w", s.name, err)
			}
		}
		return nil
	}

	raiseFileLimit(e.log)
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	for _, s := range selected {
		start := time.Now()
		if err := s.run(ctx, e); err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("%s: interrupted", s.name)
			}
			return fmt.Errorf("%s: %w", s.name, err)
		}
		e.progress("%s: done in %s", s.name, time.Since(start).Round(time.Second))
	}
	return nil
}

// env is what every section gets: where things are, where figures go, and the child processes to clean up.
type env struct {
	root string // repository root (holds go.mod and bench/)
	bin  string // folder of the built tools
	dur  time.Duration

	out io.Writer // figures
	log io.Writer // progress and notes that are not figures

	procs procs
}

// locate fills root and bin when the flags left them empty.
func (e *env) locate() error {
	exe, err := os.Executable()
	if err == nil {
		exe, _ = filepath.EvalSymlinks(exe)
	}
	if e.bin == "" {
		if exe == "" {
			return fmt.Errorf("cannot find this executable's folder (%v); pass -bin", err)
		}
		e.bin = filepath.Dir(exe)
	}
	if e.root != "" {
		return nil
	}
	// The working directory first (make runs from the root), then the executable's folder (bin/ sits in the root).
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if exe != "" {
		starts = append(starts, filepath.Dir(exe))
	}
	for _, dir := range starts {
		for {
			if isRepoRoot(dir) {
				e.root = dir
				return nil
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return errors.New("cannot find the repository root (a folder with go.mod and bench/); pass -root")
}

func isRepoRoot(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil || !strings.Contains(string(b), "module github.com/smokenet/smoke\n") {
		return false
	}
	st, err := os.Stat(filepath.Join(dir, "bench"))
	return err == nil && st.IsDir()
}

// progress prints a line about what is happening, apart from the figures.
func (e *env) progress(format string, args ...any) {
	fmt.Fprintf(e.log, "smoke-bench: "+format+"\n", args...)
}
