package bench

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws"
	"github.com/mailru/easygo/netpoll"
	"golang.org/x/sys/unix"
	"google.golang.org/protobuf/proto"

	"github.com/skirmishgg/skirmish/bench/diag"
	"github.com/skirmishgg/skirmish/bench/reactor"
	skirmishv1 "github.com/skirmishgg/skirmish/proto/skirmish/v1"
	"github.com/skirmishgg/skirmish/proto/wire"
	"github.com/skirmishgg/skirmish/server/wsframe"
)

// BaselineServer is the floor that Skirmish's CPU is compared with: a raw
// broadcast server that speaks just enough protocol for the bots (Hello,
// Join → Welcome, inputs read and acknowledged, Ping, Leave) and each tick
// writes one pre-framed snapshot of a given size to every joined client,
// one write per client, with that client's input_ack appended. It shares
// the bots' reactor design (epoll, few workers, no goroutine per
// connection). It runs in its own process so that its CPU is measured the
// same way as the real server's.
type BaselineServer struct {
	cfg     BaselineConfig
	lfd     int
	addr    netip.AddrPort
	r       *reactor.Reactor
	columns []byte

	mu    sync.Mutex
	conns map[*baseConn]struct{}

	upCh     chan int
	stopCh   chan struct{}
	wg       sync.WaitGroup
	workers  []*baseWorker
	ids      atomic.Uint32
	rejected atomic.Int64
	skipped  atomic.Int64 // snapshots not written: the client's socket was still full
	stopOnce sync.Once
}

// BaselineConfig configures a BaselineServer.
type BaselineConfig struct {
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

func (c BaselineConfig) withDefaults() BaselineConfig {
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
func StartBaseline(cfg BaselineConfig) (*BaselineServer, error) {
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
	s := &BaselineServer{
		cfg:     cfg,
		lfd:     lfd,
		addr:    addr,
		r:       r,
		columns: columns,
		conns:   make(map[*baseConn]struct{}),
		upCh:    make(chan int, 1024),
		stopCh:  make(chan struct{}),
	}
	for range cfg.Workers {
		s.workers = append(s.workers, &baseWorker{s: s})
	}
	for range cfg.Upgraders {
		s.wg.Add(1)
		go s.upgradeLoop()
	}
	s.wg.Add(1)
	go s.tickLoop()
	if err := r.Add(lfd, &baseListener{s: s}); err != nil {
		s.Close()
		return nil, fmt.Errorf("baseline: %w", err)
	}
	return s, nil
}

// URL is the ws:// address of the server.
func (s *BaselineServer) URL() string { return "ws://" + s.addr.String() + "/ws" }

// baseListener accepts on readiness and hands sockets to the upgraders.
type baseListener struct {
	rd reactor.Readiness
	s  *BaselineServer
}

func (l *baseListener) Readiness() *reactor.Readiness { return &l.rd }

func (l *baseListener) Serve(*reactor.Worker) {
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
func (s *BaselineServer) upgradeLoop() {
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

func (s *BaselineServer) upgrade(fd int) {
	unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	if _, err := ws.Upgrade(&reactor.Conn{FD: fd, Deadline: time.Now().Add(s.cfg.UpgradeWait)}); err != nil {
		unix.Close(fd)
		return
	}
	c := &baseConn{s: s, fd: fd}
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
func (s *BaselineServer) tickLoop() {
	defer s.wg.Done()
	period := time.Second / time.Duration(s.cfg.TickRate)
	start := time.Now()
	timer := time.NewTimer(period)
	defer timer.Stop()
	var (
		msg, frame, out []byte
		list            []*baseConn
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

func (s *BaselineServer) joined(dst []*baseConn) []*baseConn {
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
func (s *BaselineServer) Stats() (skipped, rejected int64) {
	return s.skipped.Load(), s.rejected.Load()
}

// Close stops every goroutine and closes every socket.
func (s *BaselineServer) Close() {
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
		s.conns = map[*baseConn]struct{}{}
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

// baseConn is one client of the baseline server.
type baseConn struct {
	rd     reactor.Readiness
	s      *BaselineServer
	fd     int
	fr     reactor.FrameReader
	joined atomic.Bool
	ack    atomic.Uint32

	mu      sync.Mutex
	closed  bool
	pending []byte
}

func (c *baseConn) Readiness() *reactor.Readiness { return &c.rd }

func (c *baseConn) Serve(w *reactor.Worker) {
	bw := c.s.workers[w.ID]
	ev := c.rd.TakeEvents()
	hup := ev&(netpoll.EPOLLRDHUP|netpoll.EPOLLHUP|netpoll.EPOLLERR) != 0
	c.flush()
	for {
		if c.isClosed() {
			return
		}
		n, err := unix.Read(c.fd, w.Buf)
		if n > 0 {
			bw.cur = c
			_, _, ferr := c.fr.Feed(w.Buf[:n], ws.StateServerSide, 1<<20, bw)
			bw.cur = nil
			if ferr != nil {
				c.writeFrame(wsframe.AppendClose(nil, ws.StatusProtocolError, "", nil))
				c.drop()
				return
			}
			if n < len(w.Buf) && !hup && reactor.ShortReadDrains {
				return
			}
			continue
		}
		switch {
		case err == nil:
			c.drop()
			return
		case errors.Is(err, unix.EAGAIN):
			return
		case errors.Is(err, unix.EINTR):
		default:
			c.drop()
			return
		}
	}
}

func (c *baseConn) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// writeSnapshot writes a whole frame or nothing: if the previous frame is
// still partly unsent, this tick's is skipped (latest wins).
func (c *baseConn) writeSnapshot(frame []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return true
	}
	c.flushLocked()
	if len(c.pending) > 0 {
		return false
	}
	n, err := reactor.Write(c.fd, frame)
	if err == nil && n < len(frame) {
		c.pending = append(c.pending[:0], frame[n:]...)
	}
	return true
}

// writeFrame queues a reply behind anything pending.
func (c *baseConn) writeFrame(frame []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || len(c.pending)+len(frame) > 1<<20 {
		return
	}
	c.pending = append(c.pending, frame...)
	c.flushLocked()
}

func (c *baseConn) flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.flushLocked()
	}
}

func (c *baseConn) flushLocked() {
	if len(c.pending) == 0 {
		return
	}
	n, _ := reactor.Write(c.fd, c.pending)
	rest := copy(c.pending, c.pending[n:])
	c.pending = c.pending[:rest]
}

// drop forgets and closes the connection (worker context).
func (c *baseConn) drop() {
	c.s.mu.Lock()
	delete(c.s.conns, c)
	c.s.mu.Unlock()
	c.close()
}

func (c *baseConn) close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	c.pending = nil
	c.mu.Unlock()
	c.joined.Store(false)
	if err := c.s.r.Del(c.fd); err != nil {
		diag.Logf("baseline: %v", err)
	}
	unix.Close(c.fd)
}

// baseWorker decodes client messages and answers them.
type baseWorker struct {
	s   *BaselineServer
	cur *baseConn
	in  skirmishv1.ClientMessage
	buf []byte
}

func (w *baseWorker) OnMessage(op ws.OpCode, p []byte) {
	c := w.cur
	switch op {
	case ws.OpBinary:
	case ws.OpPing:
		c.writeFrame(wsframe.AppendFrame(w.buf[:0], ws.OpPong, p, nil))
		return
	case ws.OpClose:
		c.writeFrame(wsframe.AppendFrame(w.buf[:0], ws.OpClose, p, nil))
		c.drop()
		return
	default:
		return
	}
	if err := proto.Unmarshal(p, &w.in); err != nil {
		return
	}
	var reply *skirmishv1.ServerMessage
	switch m := w.in.Msg.(type) {
	case *skirmishv1.ClientMessage_Input:
		if seq := m.Input.GetSeq(); seq > c.ack.Load() {
			c.ack.Store(seq)
		}
	case *skirmishv1.ClientMessage_Hello:
		reply = &skirmishv1.ServerMessage{Msg: &skirmishv1.ServerMessage_Hello{Hello: &skirmishv1.ServerHello{
			ProtocolVersion: wire.ProtocolVersion, Server: "skirmish-bots-baseline", MaxMessageBytes: 1 << 20}}}
	case *skirmishv1.ClientMessage_Join:
		c.joined.Store(true)
		reply = &skirmishv1.ServerMessage{Msg: &skirmishv1.ServerMessage_Welcome{Welcome: &skirmishv1.Welcome{
			PlayerId: w.s.ids.Add(1), Room: m.Join.GetRoom(), Mode: m.Join.GetMode(),
			TickRate: uint32(w.s.cfg.TickRate), WorldWidth: 1000, WorldHeight: 1000, PositionScale: 4}}}
	case *skirmishv1.ClientMessage_Leave:
		c.joined.Store(false)
	case *skirmishv1.ClientMessage_Ping:
		reply = &skirmishv1.ServerMessage{Msg: &skirmishv1.ServerMessage_Pong{Pong: &skirmishv1.Pong{
			ClientTimeUs: m.Ping.GetClientTimeUs(), ServerTimeUs: uint64(time.Now().UnixMicro())}}}
	}
	if reply != nil {
		frame, err := reactor.AppendMessageFrame(w.buf[:0], reply, nil)
		if err != nil {
			diag.Logf("baseline: %v", err)
			return
		}
		w.buf = frame
		c.writeFrame(frame)
	}
}
