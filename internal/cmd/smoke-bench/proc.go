//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// procs is the set of child processes still running; killAll ends them all. Safe for concurrent use.
type procs struct {
	mu   sync.Mutex
	list []*child
}

func (p *procs) add(c *child) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.list = append(p.list, c)
}

func (p *procs) killAll() {
	p.mu.Lock()
	list := p.list
	p.list = nil
	p.mu.Unlock()
	for _, c := range list {
		c.kill()
	}
}

// child is a server under test running as its own process, so that it has its own open-files limit and its memory
// can be read from /proc without the benchmark's clients in it.
type child struct {
	name    string
	cmd     *exec.Cmd
	metrics string        // URL of its Prometheus metrics, if it has them
	done    chan struct{} // closed when the process has exited and been reaped
	err     error         // why it exited; read after done

	mu   sync.Mutex
	tail []string // its last lines of output, for error messages
}

// startChild starts cmd and waits until a line of its standard output matches ready, returning the line's
// submatches. The child is registered with e.procs so that it is killed however the benchmark ends.
func (e *env) startChild(ctx context.Context, name string, cmd *exec.Cmd, ready *regexp.Regexp) (*child, []string, error) {
	c := &child{name: name, cmd: cmd, done: make(chan struct{})}
	// If smoke-bench dies without running its cleanup (SIGKILL), the kernel still kills the child.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("start %s: %w", name, err)
	}
	e.procs.add(c)

	matched := make(chan []string, 1)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		c.drain(stdout, ready, matched)
	}()
	go func() {
		defer wg.Done()
		c.drain(stderr, nil, nil)
	}()
	go func() {
		wg.Wait() // Wait closes the pipes: read them to the end first.
		c.err = cmd.Wait()
		close(c.done)
	}()

	timer := time.NewTimer(15 * time.Second)
	defer timer.Stop()
	select {
	case m := <-matched:
		return c, m, nil
	case <-c.done:
		return nil, nil, fmt.Errorf("%s exited before it was ready (%v)%s", name, c.err, c.output())
	case <-timer.C:
		c.kill()
		return nil, nil, fmt.Errorf("%s was not ready after 15 s%s", name, c.output())
	case <-ctx.Done():
		c.kill()
		return nil, nil, ctx.Err()
	}
}

// drain reads r to its end, keeping the last lines, and sends the first line that matches ready.
func (c *child) drain(r io.Reader, ready *regexp.Regexp, matched chan<- []string) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		c.mu.Lock()
		if len(c.tail) == 10 {
			c.tail = c.tail[1:]
		}
		c.tail = append(c.tail, line)
		c.mu.Unlock()
		if ready != nil {
			if m := ready.FindStringSubmatch(line); m != nil {
				matched <- m
				ready = nil
			}
		}
	}
	io.Copy(io.Discard, r) // a line too long for the scanner: keep the pipe flowing
}

// output is the child's last lines of output, formatted to follow an error message.
func (c *child) output() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.tail) == 0 {
		return ""
	}
	return "; its last output:\n\t" + strings.Join(c.tail, "\n\t")
}

// kill ends the process and waits for it to be reaped. A benchmark server holds nothing worth a graceful stop.
func (c *child) kill() {
	select {
	case <-c.done:
		return
	default:
	}
	c.cmd.Process.Kill()
	<-c.done
}

// alive reports an error if the process has exited.
func (c *child) alive() error {
	select {
	case <-c.done:
		return fmt.Errorf("%s exited (%v)%s", c.name, c.err, c.output())
	default:
		return nil
	}
}

// scrape reads the child's metrics in Prometheus' text format: name (with labels, if any) to value. It returns nil
// if the child has no metrics or they cannot be read.
func (c *child) scrape(ctx context.Context) map[string]float64 {
	if c.metrics == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", c.metrics, nil)
	if err != nil {
		return nil
	}
	resp, err := loopbackClient.Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil
	}
	m := make(map[string]float64)
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			m[line[:i]] = v
		}
	}
	return m
}

// rss is the process's resident set size in bytes (VmRSS in /proc/PID/status).
func (c *child) rss() (int64, error) {
	if err := c.alive(); err != nil {
		return 0, err
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for line := range bytes.Lines(b) {
		if v, ok := bytes.CutPrefix(line, []byte("VmRSS:")); ok {
			f := strings.Fields(string(v)) // "123456 kB"
			if len(f) == 2 && f[1] == "kB" {
				kb, err := strconv.ParseInt(f[0], 10, 64)
				return kb << 10, err
			}
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", c.cmd.Process.Pid)
}

// clockTicks is USER_HZ, the unit of the CPU times in /proc: 100 on every Linux architecture Go runs on.
const clockTicks = 100

func ticks(n int64) time.Duration { return time.Duration(n) * time.Second / clockTicks }

// cpuTimes is CPU time used so far, in user space and in the kernel.
type cpuTimes struct{ user, system time.Duration }

func (t cpuTimes) total() time.Duration { return t.user + t.system }

// procCPU is the CPU time process pid has used so far (/proc/PID/stat).
func procCPU(pid int) (cpuTimes, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return cpuTimes{}, err
	}
	// The command name (field 2) may hold spaces and parentheses: the fields that follow start after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return cpuTimes{}, errors.New("malformed /proc/PID/stat")
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return cpuTimes{}, errors.New("malformed /proc/PID/stat")
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return cpuTimes{}, err
	}
	return cpuTimes{ticks(ut), ticks(st)}, nil
}

// machineUserCPU is the user-space CPU time all processes on the machine have used so far (/proc/stat). Kernel
// time is left out on purpose: loopback TCP is processed in softirqs, which are not charged to the processes that
// cause them, so the machine's kernel time includes the benchmark's own traffic.
func machineUserCPU() (time.Duration, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := strings.Fields(string(line)) // cpu user nice system idle iowait irq softirq steal guest guest_nice
	if len(f) < 3 || f[0] != "cpu" {
		return 0, errors.New("malformed /proc/stat")
	}
	user, err1 := strconv.ParseInt(f[1], 10, 64)
	nice, err2 := strconv.ParseInt(f[2], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return ticks(user + nice), nil
}

// cpuUse is how many cores the server under test and this process used over a stretch of time, and how many
// cores other processes kept busy in user space (which should be none: they skew the figures).
type cpuUse struct{ server, bench, others float64 }

// cpuMeter measures cpuUse from its creation to its end.
type cpuMeter struct {
	pid           int
	t0            time.Time
	server, bench cpuTimes
	machine       time.Duration
}

func startCPU(srv *child) *cpuMeter {
	m := &cpuMeter{pid: srv.cmd.Process.Pid, t0: time.Now()}
	m.server, _ = procCPU(m.pid)
	m.bench, _ = procCPU(os.Getpid())
	m.machine, _ = machineUserCPU()
	return m
}

func (m *cpuMeter) end() cpuUse {
	el := time.Since(m.t0).Seconds()
	server, _ := procCPU(m.pid)
	bench, _ := procCPU(os.Getpid())
	machine, _ := machineUserCPU()
	u := cpuUse{
		server: (server.total() - m.server.total()).Seconds() / el,
		bench:  (bench.total() - m.bench.total()).Seconds() / el,
	}
	ours := server.user - m.server.user + bench.user - m.bench.user
	u.others = max(0, (machine-m.machine-ours).Seconds()/el)
	return u
}

// raiseFileLimit raises the soft open-files limit to the hard one; children inherit it. Since Go 1.19 the runtime
// does this by itself but restores the old soft limit in children unless the program calls Setrlimit, as here.
func raiseFileLimit(log io.Writer) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		fmt.Fprintln(log, "smoke-bench: open-files limit:", err)
		return
	}
	l.Cur = l.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		fmt.Fprintln(log, "smoke-bench: raising the open-files limit:", err)
	}
}

// fileLimit is the soft open-files limit now in force.
func fileLimit() uint64 {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0
	}
	return l.Cur
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago, for servers that cannot be told port 0.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
