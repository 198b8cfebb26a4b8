package server

import (
	"encoding/binary"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/mailru/easygo/netpoll"
	"golang.org/x/sys/unix"
)

// epollProbeTimeout is how long /healthz waits for the epoll goroutine to
// turn a readiness event into a callback. It does so in microseconds;
// a second means it is gone or wedged.
const epollProbeTimeout = time.Second

// epollProbe checks the epoll goroutine end to end: an eventfd sits in
// the server's epoll, and a probe writes to it and waits for the
// callback, which only signals (callbacks never read or write).
type epollProbe struct {
	fd   int
	mu   sync.Mutex    // one probe at a time
	seen chan struct{} // the callback's signal; capacity 1
}

func newEpollProbe(ep *netpoll.Epoll) (*epollProbe, error) {
	fd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("eventfd: %w", err)
	}
	p := &epollProbe{fd: fd, seen: make(chan struct{}, 1)}
	if err := ep.Add(fd, netpoll.EPOLLIN|netpoll.EPOLLET, func(netpoll.EpollEvent) {
		select {
		case p.seen <- struct{}{}:
		default:
		}
	}); err != nil {
		_ = unix.Close(fd)
		return nil, fmt.Errorf("watch eventfd: %w", err)
	}
	return p, nil
}

// check reports whether the epoll goroutine answered within timeout.
func (p *epollProbe) check(timeout time.Duration) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.seen: // an answer to an earlier probe that timed out
	default:
	}
	var one [8]byte
	binary.NativeEndian.PutUint64(one[:], 1)
	if _, err := unix.Write(p.fd, one[:]); err != nil {
		return false
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-p.seen:
		var buf [8]byte
		_, _ = unix.Read(p.fd, buf[:]) // reset the counter
		return true
	case <-t.C:
		return false
	}
}

// close removes the eventfd; the epoll must still be open.
func (p *epollProbe) close(ep *netpoll.Epoll) {
	_ = ep.Del(p.fd)
	_ = unix.Close(p.fd)
}

// health lists what is wrong with the serving machinery: no accept loop,
// an epoll goroutine that does not answer, a worker or room loop stuck in
// one turn, a deadline wheel that stopped walking. Empty means healthy.
func (s *Server) health() []string {
	var problems []string
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return []string{"shut down"}
	}
	if s.accepting.Load() == 0 {
		problems = append(problems, "accept: no listener is being served")
	}
	if !s.poller.probe.check(epollProbeTimeout) {
		problems = append(problems, fmt.Sprintf("epoll: no callback within %v", epollProbeTimeout))
	}
	limit := s.cfg.StallTimeout
	if n, longest := s.poller.stuckWorkers(limit); n > 0 {
		problems = append(problems, fmt.Sprintf("workers: %d busy with one connection for over %v (longest %v)", n, limit, longest.Round(time.Millisecond)))
	}
	if since := time.Duration(s.wheel.now() - s.wheel.walked.Load()); since > limit {
		problems = append(problems, fmt.Sprintf("deadlines: the wheel has not walked for %v", since.Round(time.Millisecond)))
	}
	if ids := s.cfg.Hub.StalledRooms(limit); len(ids) > 0 {
		problems = append(problems, fmt.Sprintf("rooms: %d stuck in a tick for over %v: %s", len(ids), limit, strings.Join(ids, " ")))
	}
	return problems
}

// readiness says why the server takes no new players now; empty when it
// does.
func (s *Server) readiness() string {
	s.mu.Lock()
	closed, conns := s.closed, len(s.conns)+s.httpConns
	s.mu.Unlock()
	switch {
	case closed:
		return "shut down"
	case s.draining.Load():
		return "draining"
	case s.accepting.Load() == 0:
		return "not listening"
	case conns >= s.cfg.MaxConns:
		return fmt.Sprintf("at the connection limit: %d of %d", conns, s.cfg.MaxConns)
	}
	return ""
}

// serveHealth is GET /healthz: 200 while the server serves, 503 naming
// what is stuck otherwise (a liveness probe: restart the process).
func (s *Server) serveHealth(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	problems := s.health()
	if len(problems) > 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, strings.Join(problems, "\n"))
		return
	}
	fmt.Fprintln(w, "ok")
}

// serveReady is GET /readyz: 200 while the server takes new players, 503
// while it drains or is at its connection limit (a readiness probe: send
// new players elsewhere).
func (s *Server) serveReady(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if why := s.readiness(); why != "" {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, why)
		return
	}
	fmt.Fprintln(w, "ready")
}
