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
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws"
	"github.com/prometheus/client_golang/prometheus"
)

// Server is a Skirmish game server: one port serves the web page, the room
// listing and the WebSocket endpoint; AdminHandler serves the operator's
// endpoints on a listener of the operator's choosing.
type Server struct {
	cfg     Config
	log     *slog.Logger
	limited *limitedLog
	poller  *poller
	wheel   *wheel
	origins originPolicy
	stats   stats
	http    *http.Server
	httpLn  *handoffListener

	registry  *prometheus.Registry
	connSeq   atomic.Uint64 // numbers the connections, for logs
	accepting atomic.Int32  // accept loops running
	draining  atomic.Bool
	drainOnce sync.Once
	drainCh   chan struct{} // closed when draining starts

	mu        sync.Mutex
	conns     map[*Conn]struct{}
	perIP     map[netip.Addr]int32 // open connections (WebSocket and HTTP) per address or /64
	httpConns int                  // HTTP connections handed to net/http, still open
	listeners []net.Listener
	closed    bool
	done      chan struct{}  // closed by Shutdown: stops accept loops
	wg        sync.WaitGroup // accept loops, the HTTP server, the wheel
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
	origins, err := newOriginPolicy(cfg.AllowedOrigins)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	s := &Server{
		cfg:     cfg,
		log:     cfg.Logger,
		limited: newLimitedLog(cfg.Logger),
		origins: origins,
		conns:   make(map[*Conn]struct{}),
		perIP:   make(map[netip.Addr]int32),
		done:    make(chan struct{}),
		drainCh: make(chan struct{}),
	}
	s.registry = s.newRegistry()
	p, err := newPoller(workers, func(err error) {
		s.log.Error("epoll wait failed", "err", err)
	})
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	s.poller = p
	s.wheel = newWheel(func(c *Conn, now int64) { c.onDeadline(now) })
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.wheel.run()
	}()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /rooms", s.serveRooms)
	mux.Handle("/", cfg.Handler)
	s.httpLn = newHandoffListener()
	s.http = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: cfg.HandshakeTimeout,
		ReadTimeout:       cfg.HTTPReadTimeout,
		WriteTimeout:      cfg.HTTPWriteTimeout,
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelDebug),
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

// Serve accepts connections on ln until the server is shut down. ln must
// be a *net.TCPListener. It returns nil after Shutdown and an error only
// when the listener itself fails; the caller should then shut down.
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
	s.accepting.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()
	defer s.accepting.Add(-1)
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
	// Give peers until ctx ends (or CloseTimeout, whose deadlines close
	// them anyway) to answer our close frames.
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
	s.wheel.close()
	s.wg.Wait()
	s.poller.close()
	return httpErr
}

// ipKey is what per-address limits count: the address itself for IPv4,
// its /64 for IPv6 (one subscriber usually holds a whole /64).
func ipKey(a netip.Addr) netip.Addr {
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.Addr()
	}
	return a
}

// rejectReason tells why track refused a connection.
type rejectReason uint8

const (
	acceptOK rejectReason = iota
	rejectClosed
	rejectMaxConns
	rejectPerIP
)

// track registers a new connection against MaxConns and MaxConnsPerIP.
func (s *Server) track(c *Conn) rejectReason {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := ipKey(c.remote.Addr())
	switch {
	case s.closed:
		return rejectClosed
	case len(s.conns)+s.httpConns >= s.cfg.MaxConns:
		return rejectMaxConns
	case s.cfg.MaxConnsPerIP > 0 && int(s.perIP[key]) >= s.cfg.MaxConnsPerIP:
		return rejectPerIP
	}
	s.conns[c] = struct{}{}
	s.perIP[key]++
	return acceptOK
}

// forget drops a closed connection.
func (s *Server) forget(c *Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.conns[c]; !ok {
		return
	}
	delete(s.conns, c)
	s.releaseIPLocked(c.remote.Addr())
}

// moveToHTTP turns c's slot into an HTTP connection's, unless
// MaxHTTPConns are being served; httpClosed gives it back.
func (s *Server) moveToHTTP(c *Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.httpConns >= s.cfg.MaxHTTPConns {
		return false
	}
	delete(s.conns, c)
	s.httpConns++
	return true
}

// httpClosed releases the slot of a handed-off HTTP connection.
func (s *Server) httpClosed(remote netip.Addr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.httpConns--
	s.releaseIPLocked(remote)
}

func (s *Server) releaseIPLocked(a netip.Addr) {
	key := ipKey(a)
	if n := s.perIP[key] - 1; n > 0 {
		s.perIP[key] = n
	} else {
		delete(s.perIP, key)
	}
}

// Conns is the number of open WebSocket (and handshaking) connections.
func (s *Server) Conns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}
