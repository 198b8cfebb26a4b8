// Package baseline is the raw broadcast server that the real server's CPU
// is compared with, and the child process it runs in.
package baseline

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws"
	"golang.org/x/sys/unix"

	"github.com/skirmishgg/skirmish/bench/diag"
	"github.com/skirmishgg/skirmish/bench/reactor"
	"github.com/skirmishgg/skirmish/proto/wire"
	"github.com/skirmishgg/skirmish/server/wsframe"
)

// Server is the floor that Skirmish's CPU is compared with: a raw
// broadcast server that speaks just enough protocol for the bots (Hello,
// Join → Welcome, inputs read and acknowledged, Ping, Leave) and each tick
// writes one pre-framed snapshot of a given size to every joined client,
// one write per client, with that client's input_ack appended. It shares
// the bots' reactor design (epoll, few workers, no goroutine per
// connection). It runs in its own process so that its CPU is measured the
// same way as the real server's.
type Server struct {
	cfg     Config
	lfd     int
	addr    netip.AddrPort
	r       *reactor.Reactor
	columns []byte

	mu    sync.Mutex
	conns map[*conn]struct{}

	upCh     chan int
	stopCh   chan struct{}
	wg       sync.WaitGroup
	workers  []*worker
	ids      atomic.Uint32
	rejected atomic.Int64
	skipped  atomic.Int64 // snapshots not written: the client's socket was still full
	stopOnce sync.Once
}

// Config configures a Server.
type Config struct {
	Addr string `json:"addr"` // listen address, default 127.0.0.1:0
	// SnapshotBytes is the payload a client receives per snapshot,
	// input_ack included; 0 means ComputedSnapshotBytes(Players).
	SnapshotBytes int           `json:"snapshot_bytes"`
	Players       int           `json:"players"`
	TickRate      int           `json:"tick_rate"`
	Workers       int           `json:"workers"`
	MaxConns      int           `json:"max_conns"`
	Upgraders     int           `json:"upgraders"`
	UpgradeWait   time.Duration `json:"upgrade_wait"`
}

func (c Config) withDefaults() Config {
	if c.Addr == "" {
		c.Addr = "127.0.0.1:0"
	}
	if c.Players <= 0 {
		c.Players = 50
	}
	if c.TickRate <= 0 {
		c.TickRate = 30
	}
	if c.Workers <= 0 {
		c.Workers = 2
	}
	if c.MaxConns <= 0 {
		c.MaxConns = 20000
	}
	if c.Upgraders <= 0 {
		c.Upgraders = 4
	}
	if c.UpgradeWait <= 0 {
		c.UpgradeWait = 5 * time.Second
	}
	if c.SnapshotBytes <= 0 {
		c.SnapshotBytes = ComputedSnapshotBytes(c.Players)
	}
	return c
}

// StartBaseline listens and starts serving.
func Start(cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	columns, err := baselineColumns(cfg.Players, cfg.SnapshotBytes)
	if err != nil {
		return nil, err
	}
	ap, err := reactor.Resolve(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	lfd, addr, err := reactor.Listen(ap)
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	r, err := reactor.New(cfg.Workers, cfg.MaxConns+1, 64<<10)
	if err != nil {
		unix.Close(lfd)
		return nil, fmt.Errorf("baseline: %w", err)
	}
	s := &Server{
		cfg:     cfg,
		lfd:     lfd,
		addr:    addr,
		r:       r,
		columns: columns,
		conns:   make(map[*conn]struct{}),
		upCh:    make(chan int, 1024),
		stopCh:  make(chan struct{}),
	}
	for range cfg.Workers {
		s.workers = append(s.workers, &worker{s: s})
	}
	for range cfg.Upgraders {
		s.wg.Add(1)
		go s.upgradeLoop()
	}
	s.wg.Add(1)
	go s.tickLoop()
	if err := r.Add(lfd, &listener{s: s}); err != nil {
		s.Close()
		return nil, fmt.Errorf("baseline: %w", err)
	}
	return s, nil
}

// URL is the ws:// address of the server.
func (s *Server) URL() string { return "ws://" + s.addr.String() + "/ws" }

// listener accepts on readiness and hands sockets to the upgraders.
type listener struct {
	rd reactor.Readiness
	s  *Server
}

func (l *listener) Readiness() *reactor.Readiness { return &l.rd }

func (l *listener) Serve(*reactor.Worker) {
	l.rd.TakeEvents()
	for {
		fd, _, err := unix.Accept4(l.s.lfd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
		switch {
		case err == nil:
			select {
			case l.s.upCh <- fd:
			default:
				l.s.rejected.Add(1)
				unix.Close(fd)
			}
		case errors.Is(err, unix.EINTR), errors.Is(err, unix.ECONNABORTED):
		case errors.Is(err, unix.EAGAIN):
			return
		default:
			diag.Logf("baseline: accept: %v", err)
			return
		}
	}
}

// upgradeLoop is one goroutine of the bounded upgrade pool.
func (s *Server) upgradeLoop() {
	defer s.wg.Done()
	for {
		select {
		case <-s.stopCh:
			return
		case fd := <-s.upCh:
			s.upgrade(fd)
		}
	}
}

func (s *Server) upgrade(fd int) {
	unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	if _, err := ws.Upgrade(&reactor.Conn{FD: fd, Deadline: time.Now().Add(s.cfg.UpgradeWait)}); err != nil {
		unix.Close(fd)
		return
	}
	c := &conn{s: s, fd: fd}
	s.mu.Lock()
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	if err := s.r.Add(fd, c); err != nil {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		unix.Close(fd)
	}
}

// tickLoop writes a snapshot to every joined client each tick, scheduled
// from the start (start + n·period); a late tick is skipped, not bunched.
func (s *Server) tickLoop() {
	defer s.wg.Done()
	period := time.Second / time.Duration(s.cfg.TickRate)
	start := time.Now()
	timer := time.NewTimer(period)
	defer timer.Stop()
	var (
		msg, frame, out []byte
		list            []*conn
		n               int64
	)
	for {
		select {
		case <-s.stopCh:
			return
		case <-timer.C:
		}
		n++
		if behind := int64(time.Since(start)/period) - n; behind > 0 {
			n += behind
		}
		msg = appendBaselineSnapshot(msg[:0], baselineTickBase+uint32(n), s.columns)
		frame = wsframe.AppendHeader(frame[:0], ws.Header{Fin: true, OpCode: ws.OpBinary, Length: int64(len(msg) + wire.InputAckSize)})
		frame = append(frame, msg...)
		list = s.joined(list[:0])
		for _, c := range list {
			out = wire.AppendInputAck(append(out[:0], frame...), c.ack.Load())
			if !c.writeSnapshot(out) {
				s.skipped.Add(1)
			}
		}
		clear(list)
		timer.Reset(time.Until(start.Add(time.Duration(n+1) * period)))
	}
}

func (s *Server) joined(dst []*conn) []*conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if c.joined.Load() {
			dst = append(dst, c)
		}
	}
	return dst
}

// Stats reports what the server dropped.
func (s *Server) Stats() (skipped, rejected int64) {
	return s.skipped.Load(), s.rejected.Load()
}

// Close stops every goroutine and closes every socket.
func (s *Server) Close() {
	s.stopOnce.Do(func() {
		close(s.stopCh)
		s.wg.Wait()
		s.r.StopWorkers()
		for {
			select {
			case fd := <-s.upCh:
				unix.Close(fd)
				continue
			default:
			}
			break
		}
		s.mu.Lock()
		conns := s.conns
		s.conns = map[*conn]struct{}{}
		s.mu.Unlock()
		for c := range conns {
			c.close()
		}
		if err := s.r.Del(s.lfd); err != nil {
			diag.Logf("baseline: %v", err)
		}
		unix.Close(s.lfd)
		if err := s.r.Close(); err != nil {
			diag.Logf("baseline: %v", err)
		}
	})
}
