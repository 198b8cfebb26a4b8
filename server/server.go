// Package server moves bytes between clients and rooms: it accepts TCP
// connections, upgrades them to WebSocket without copying, watches every
// connection with one epoll instance, decodes client messages for the
// rooms and writes their snapshots. It knows nothing about game rules.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"sync"
	"time"

	"github.com/gobwas/ws"
)

// Server is a Skirmish game server: one port serves the web page, other
// HTTP requests and the WebSocket endpoint.
type Server struct {
	cfg      Config
	log      *slog.Logger
	poller   *poller
	upgrader ws.Upgrader
	stats    stats
	http     *http.Server
	httpLn   *handoffListener

	mu        sync.Mutex
	conns     map[*Conn]struct{}
	listeners []net.Listener
	closed    bool
	done      chan struct{}  // closed by Shutdown: stops accept loops
	wg        sync.WaitGroup // accept loops and the HTTP server
}

// New creates a server. Serve starts it.
func New(cfg Config) (*Server, error) {
	if cfg.Hub == nil {
		return nil, errors.New("server: Config.Hub is required")
	}
	cfg = cfg.withDefaults()
	cfg.MaxMessageBytes = min(cfg.MaxMessageBytes, readBufferSize/2)
	workers := cfg.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	s := &Server{
		cfg:      cfg,
		log:      cfg.Logger,
		upgrader: newUpgrader(),
		conns:    make(map[*Conn]struct{}),
		done:     make(chan struct{}),
	}
	p, err := newPoller(cfg.MaxConns, workers, func(err error) {
		s.log.Error("epoll wait failed", "err", err)
	})
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	s.poller = p
	mux := http.NewServeMux()
	mux.HandleFunc("GET /debug/stats", s.serveStats)
	mux.HandleFunc("GET /rooms", s.serveRooms)
	mux.Handle("/", cfg.Handler)
	s.httpLn = newHandoffListener()
	s.http = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: cfg.HandshakeTimeout,
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
	}
	// Every HTTP request arrives on a fresh connection through our own head
	// reader; keep-alive would let a later WebSocket upgrade reach net/http.
	s.http.SetKeepAlivesEnabled(false)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = s.http.Serve(s.httpLn) // returns when the listener closes
	}()
	return s, nil
}

// Serve accepts connections on ln until the server is closed. ln must be a
// *net.TCPListener.
func (s *Server) Serve(ln net.Listener) error {
	tl, ok := ln.(*net.TCPListener)
	if !ok {
		return fmt.Errorf("server: Serve needs a *net.TCPListener, got %T", ln)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return net.ErrClosed
	}
	s.listeners = append(s.listeners, ln)
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()
	return s.acceptLoop(tl)
}

// Shutdown stops accepting, closes every WebSocket connection with 1001
// (going away), and stops the workers. Rooms belong to the hub, which the
// caller closes.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	for _, ln := range s.listeners {
		_ = ln.Close()
	}
	conns := make([]*Conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()

	for _, c := range conns {
		c.closeWith(ws.StatusGoingAway, "server shutting down")
	}
	httpErr := s.http.Shutdown(ctx)
	_ = s.httpLn.Close()
	// Give peers until ctx ends (or CloseTimeout, whose timers close them
	// anyway) to answer our close frames.
	tick := time.NewTicker(10 * time.Millisecond)
	for s.Conns() > 0 {
		select {
		case <-ctx.Done():
			for _, c := range conns {
				c.finalClose()
			}
		case <-tick.C:
		}
	}
	tick.Stop()
	s.wg.Wait()
	s.poller.close()
	return httpErr
}

// track registers a new connection; it reports false when the server is
// full or closed.
func (s *Server) track(c *Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || len(s.conns) >= s.cfg.MaxConns {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

// forget drops a closed connection.
func (s *Server) forget(c *Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// Conns is the number of open connections.
func (s *Server) Conns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}
