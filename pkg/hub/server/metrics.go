package server

import (
	"bufio"
	"io"
	"strconv"
	"sync/atomic"
)

// Stats is a snapshot of a Server's counters. Gauges say how things are now; the others count since New.
type Stats struct {
	Connections   int64 // gauge: nodes connected now (connections that got their binding)
	Sessions      int64 // gauge: sessions alive now, including ones waiting for a resume
	Forwarded     int64 // forward messages accepted for delivery
	Undeliverable int64 // undeliverable messages sent back (unknown address, recipient busy)
	Violations    int64 // connections closed for breaking the protocol (1007, 1008 including the rate limit, 1009)
	Refused       int64 // connection attempts refused (HTTP 503 or 403, a failed handshake, 4400)
	BytesIn       int64 // bytes of messages received from nodes (WebSocket payloads, not framing)
	BytesOut      int64 // bytes of messages written to nodes
	QueuedBytes   int64 // gauge: bytes waiting to be written to nodes, resumable sessions included
	HTTPConns     int64 // gauge: connections Serve accepted that are not hub connections (yet)

	// In a cluster (JoinCluster): forwards sent to and received from other hubs, forwards passed on to the hub that
	// holds a session now, and failed NATS or KV operations.
	ClusterForwardedOut, ClusterForwardedIn, ClusterRelayed, ClusterErrors int64

	// LimitHits counts, by limit name (as in the smoke_hub_limit_hits_total metric), the times a limit refused or
	// ended something. Names with no hits are present with 0.
	LimitHits map[string]int64
}

// Rejected is everything the hub turned away: undeliverable messages, violations and refused connections.
func (st Stats) Rejected() int64 { return st.Undeliverable + st.Violations + st.Refused }

type counters struct {
	open          atomic.Int64 // connections counted against MaxConnections, from before the upgrade to the end
	nodes         atomic.Int64
	sessions      atomic.Int64
	forwarded     atomic.Int64
	undeliverable atomic.Int64
	violations    atomic.Int64
	refused       atomic.Int64
	bytesIn       atomic.Int64
	bytesOut      atomic.Int64
	queued        atomic.Int64 // bytes in every session's queue
	httpConns     atomic.Int64
	limits        [numLimits]atomic.Int64
}

// Stats returns the server's counters. Each is read atomically; together they are not one instant's snapshot.
func (s *Server) Stats() Stats {
	c := &s.stats
	st := Stats{
		Connections:   c.nodes.Load(),
		Sessions:      c.sessions.Load(),
		Forwarded:     c.forwarded.Load(),
		Undeliverable: c.undeliverable.Load(),
		Violations:    c.violations.Load(),
		Refused:       c.refused.Load(),
		BytesIn:       c.bytesIn.Load(),
		BytesOut:      c.bytesOut.Load(),
		QueuedBytes:   c.queued.Load(),
		HTTPConns:     c.httpConns.Load(),
		LimitHits:     make(map[string]int64, numLimits),
	}
	for l := limitConnections; l < numLimits; l++ {
		st.LimitHits[limitNames[l]] = c.limits[l].Load()
	}
	s.mu.RLock()
	cl := s.cluster
	s.mu.RUnlock()
	if cl != nil {
		st.ClusterForwardedOut, st.ClusterForwardedIn = cl.forwardedOut.Load(), cl.forwardedIn.Load()
		st.ClusterRelayed, st.ClusterErrors = cl.relayed.Load(), cl.errors.Load()
	}
	return st
}

// MetricsContentType is the Content-Type of WriteMetrics' output (Prometheus text exposition format 0.0.4).
const MetricsContentType = "text/plain; version=0.0.4; charset=utf-8"

// WriteMetrics writes the server's counters to w in the Prometheus text exposition format, every name prefixed
// smoke_hub_. It returns the first write error.
func (s *Server) WriteMetrics(w io.Writer) error {
	st := s.Stats()
	bw := bufio.NewWriterSize(w, 2048)
	metric := func(name, typ, help string, samples ...sample) {
		bw.WriteString("# HELP smoke_hub_" + name + " " + help + "\n")
		bw.WriteString("# TYPE smoke_hub_" + name + " " + typ + "\n")
		for _, sm := range samples {
			bw.WriteString("smoke_hub_" + name)
			if sm.label != "" {
				bw.WriteString("{" + sm.label + "}")
			}
			bw.WriteByte(' ')
			bw.WriteString(strconv.FormatInt(sm.value, 10))
			bw.WriteByte('\n')
		}
	}
	metric("connections", "gauge", "Nodes connected now.", sample{value: st.Connections})
	metric("sessions", "gauge", "Sessions alive now, including ones waiting for a resume.", sample{value: st.Sessions})
	metric("messages_forwarded_total", "counter", "Forward messages accepted for delivery.", sample{value: st.Forwarded})
	metric("rejected_total", "counter", "Messages and connections the hub turned away, by reason.",
		sample{`reason="undeliverable"`, st.Undeliverable},
		sample{`reason="protocol_violation"`, st.Violations},
		sample{`reason="refused"`, st.Refused})
	metric("received_bytes_total", "counter", "Bytes of messages received from nodes.", sample{value: st.BytesIn})
	metric("sent_bytes_total", "counter", "Bytes of messages sent to nodes.", sample{value: st.BytesOut})
	metric("queued_bytes", "gauge", "Bytes waiting to be written to nodes, resumable sessions included.", sample{value: st.QueuedBytes})
	metric("http_connections", "gauge", "Accepted connections that are not hub connections (yet).", sample{value: st.HTTPConns})
	hits := make([]sample, 0, numLimits)
	for l := limitConnections; l < numLimits; l++ {
		hits = append(hits, sample{`limit="` + limitNames[l] + `"`, st.LimitHits[limitNames[l]]})
	}
	metric("limit_hits_total", "counter", "Times a limit refused or ended something, by limit.", hits...)
	if s.inCluster() {
		metric("cluster_forwards_total", "counter", "Forwards between this hub and the others of its cluster, by direction.",
			sample{`direction="out"`, st.ClusterForwardedOut}, sample{`direction="in"`, st.ClusterForwardedIn},
			sample{`direction="relayed"`, st.ClusterRelayed})
		metric("cluster_errors_total", "counter", "Failed NATS and KV operations.", sample{value: st.ClusterErrors})
	}
	return bw.Flush()
}

type sample struct {
	label string
	value int64
}

// limitID names a limit of the hub (Options) for the smoke_hub_limit_hits_total metric.
type limitID int

const (
	limitNone        limitID = iota
	limitShutdown            // refused: the server is closing (not a limit; never counted)
	limitConnections         // HTTP 503: MaxConnections hub connections are open
	limitSessions            // HTTP 503: MaxSessions sessions are alive
	limitPerIP               // HTTP 503: MaxConnectionsPerIP sessions from one address, all connected
	limitEvicted             // a session waiting for a resume was ended to make room for one from its address
	limitHTTP                // HTTP 503: MaxHTTPConnections connections not upgraded, none of them idle
	limitHTTPPerIP           // HTTP 503: MaxHTTPConnectionsPerIP connections not upgraded from one address
	limitIdleEvicted         // an idle or silent HTTP connection was closed to make room (MaxHTTPConnections)
	limitIncomplete          // a request's header did not arrive whole (MaxHeaderBytes, HeaderTimeout, malformed)
	limitQueue               // recipient busy: QueueSize or QueueBytes for one node
	limitQueuePerIP          // recipient busy: QueueBytesPerIP
	limitQueueTotal          // recipient busy: MaxQueuedBytes
	limitRate                // closed with 1008: Rate and Burst
	limitMessageSize         // closed with 1009: MaxMessageSize
	numLimits
)

var limitNames = [numLimits]string{
	limitNone:        "none",
	limitShutdown:    "shutting_down",
	limitConnections: "max_connections",
	limitSessions:    "max_sessions",
	limitPerIP:       "max_connections_per_ip",
	limitEvicted:     "session_evicted_per_ip",
	limitHTTP:        "max_http_connections",
	limitHTTPPerIP:   "max_http_connections_per_ip",
	limitIdleEvicted: "http_connection_evicted",
	limitIncomplete:  "http_request_incomplete",
	limitQueue:       "queue_per_node",
	limitQueuePerIP:  "queue_per_ip",
	limitQueueTotal:  "queue_total",
	limitRate:        "rate",
	limitMessageSize: "max_message_size",
}

// limit counts one hit of limit l.
func (c *counters) limit(l limitID) { c.limits[l].Add(1) }

func (s *Server) inCluster() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.cluster != nil
}
