package baseline

import (
	"errors"
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

// maxPending bounds the bytes kept for a client whose socket is full:
// replies queue behind a snapshot the socket did not take whole.
const maxPending = 1 << 20

// conn is one client of the baseline server.
type conn struct {
	rd     reactor.Readiness
	s      *Server
	fd     int
	fr     reactor.FrameReader
	joined atomic.Bool
	ack    atomic.Uint32

	mu      sync.Mutex
	closed  bool
	pending reactor.Backlog
}

func (c *conn) Readiness() *reactor.Readiness { return &c.rd }

func (c *conn) Serve(w *reactor.Worker) {
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

func (c *conn) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// writeSnapshot writes a whole frame or nothing: if the previous frame is
// still partly unsent, this tick's is skipped (latest wins).
func (c *conn) writeSnapshot(frame []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return true
	}
	c.pending.Flush(c.fd)
	if c.pending.Len() > 0 {
		return false
	}
	c.pending.Write(c.fd, frame, maxPending)
	return true
}

// writeFrame queues a reply behind anything pending.
func (c *conn) writeFrame(frame []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.pending.Write(c.fd, frame, maxPending)
	}
}

func (c *conn) flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.pending.Flush(c.fd)
	}
}

// drop forgets and closes the connection (worker context).
func (c *conn) drop() {
	c.s.mu.Lock()
	delete(c.s.conns, c)
	c.s.mu.Unlock()
	c.close()
}

func (c *conn) close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	c.pending.Reset()
	c.mu.Unlock()
	c.joined.Store(false)
	if err := c.s.r.Del(c.fd); err != nil {
		diag.Logf("baseline: %v", err)
	}
	unix.Close(c.fd)
}

// worker decodes client messages and answers them.
type worker struct {
	s   *Server
	cur *conn
	in  skirmishv1.ClientMessage
	buf []byte
}

func (w *worker) OnMessage(op ws.OpCode, p []byte) {
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
