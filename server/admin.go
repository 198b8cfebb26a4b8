package server

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/pprof"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// maxScrapes bounds the /metrics requests served at once: each walks
// every connection.
const maxScrapes = 2

// AdminHandler serves the operator's endpoints:
//
//	GET  /metrics      Prometheus metrics (docs/operations.md lists them)
//	GET  /healthz      200 while the server serves, 503 naming what is stuck
//	GET  /readyz       200 while it takes new players, 503 while draining or full
//	POST /drain        start draining (as SIGTERM does to the binary)
//	GET  /debug/stats  the counters as JSON
//	/debug/pprof/      with pprofOn
//
// Serve it on a listener of the operator's network only (the binary's
// -admin-addr), never on the public port: it can stop the server taking
// players, and its figures help an attacker.
func (s *Server) AdminHandler(pprofOn bool) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{
		ErrorLog:            slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		MaxRequestsInFlight: maxScrapes,
	}))
	mux.HandleFunc("GET /healthz", s.serveHealth)
	mux.HandleFunc("GET /readyz", s.serveReady)
	mux.HandleFunc("POST /drain", s.serveDrain)
	mux.HandleFunc("GET /debug/stats", s.serveStats)
	if pprofOn {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	return mux
}

func (s *Server) serveStats(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(s.Stats())
}
