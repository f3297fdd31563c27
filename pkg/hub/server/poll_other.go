//go:build !linux

package server

// Without epoll, every connection has a goroutine of its own that waits in a read (blocking mode, read.go).

type poller struct{}

func newPoller() (*poller, error)  { return nil, errNoPoller }
func (p *poller) run()             {}
func (p *poller) stop()            {}
func (p *poller) close()           {}
func (p *poller) add(c *conn) bool { return false }
func (p *poller) remove(c *conn)   {}

func (c *conn) read(p []byte) (int, error) { return c.nc.Read(p) }

func (c *conn) tryWrite(bufs [][]byte, total int) (int, error) { return 0, errWouldBlock }
