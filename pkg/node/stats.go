package node

import (
	"sort"
	"sync/atomic"
	"time"
)

// counters are the node's running totals, updated on hot paths with atomics.
type counters struct {
	bytesIn, bytesOut   atomic.Int64 // datachannel payload bytes (frames), all sockets
	framesIn, framesOut atomic.Int64
	socketsOpened       atomic.Int64
}

func (c *counters) frameIn(n int) {
	c.bytesIn.Add(int64(n))
	c.framesIn.Add(1)
}

func (c *counters) frameOut(n int) {
	c.bytesOut.Add(int64(n))
	c.framesOut.Add(1)
}

// Stats is a snapshot of a node's activity: what the JS node.system and node.network APIs report.
type Stats struct {
	Started time.Time
	Uptime  time.Duration
	// BytesIn and BytesOut count frame bytes over datachannels (socket payload plus a few bytes of framing).
	BytesIn, BytesOut int64
	// FramesIn and FramesOut count datachannel messages.
	FramesIn, FramesOut int64
	// SocketsOpened counts sockets opened over the node's life; OpenSockets are those open now.
	SocketsOpened int64
	OpenSockets   int
	// Listening lists the bound ports, ascending.
	Listening []int
	// PeerConnectionsCreated counts RTCPeerConnections made over the node's life (Chrome allows ~500 per page).
	PeerConnectionsCreated int
	// Peers are the current peer connections, by remote address.
	Peers []PeerStats
}

// PeerStats describes one peer connection.
type PeerStats struct {
	Address string
	// State is the RTCPeerConnectionState: new, connecting, connected, disconnected, failed or closed.
	State       string
	Since       time.Time
	OpenSockets int
}

// Stats returns a snapshot of the node's activity.
func (n *Node) Stats() Stats {
	now := time.Now()
	st := Stats{
		Started:       n.started,
		Uptime:        now.Sub(n.started),
		BytesIn:       n.counters.bytesIn.Load(),
		BytesOut:      n.counters.bytesOut.Load(),
		FramesIn:      n.counters.framesIn.Load(),
		FramesOut:     n.counters.framesOut.Load(),
		SocketsOpened: n.counters.socketsOpened.Load(),
	}
	st.Listening, st.OpenSockets = n.ports.snapshot()
	peers, made := n.pool.snapshot()
	st.PeerConnectionsCreated = made
	for _, p := range peers {
		p.mu.Lock()
		open := len(p.links)
		p.mu.Unlock()
		st.Peers = append(st.Peers, PeerStats{Address: p.remote, State: p.State().String(), Since: p.created, OpenSockets: open})
	}
	sort.Slice(st.Peers, func(i, j int) bool { return st.Peers[i].Address < st.Peers[j].Address })
	return st
}
