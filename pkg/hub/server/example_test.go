//go:build !js

package server_test

import (
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/smokenet/smoke/pkg/hub"
	"github.com/smokenet/smoke/pkg/hub/server"
)

// A hub with a STUN server for its nodes, a metrics endpoint, and a graceful shutdown.
func Example() {
	s := server.New(&server.Options{
		ICEServers: []hub.ICEServer{{URLs: []string{"stun:stun.example.org:3478"}}},
		Grace:      30 * time.Second,
		Logger:     slog.New(slog.NewTextHandler(os.Stderr, nil)),
	})
	mux := http.NewServeMux()
	mux.Handle("/", s) // nodes connect to ws://host:5000/
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", server.MetricsContentType)
		s.WriteMetrics(w)
	})
	hs := &http.Server{Addr: "127.0.0.1:5000", Handler: mux}
	go hs.ListenAndServe()

	// … on SIGTERM: stop taking requests, then close every node's connection with 1001.
	hs.Close()
	s.Close()
}
