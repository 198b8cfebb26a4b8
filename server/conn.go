package server

import (
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mailru/easygo/netpoll"
	"golang.org/x/sys/unix"

	"github.com/skirmishgg/skirmish/game"
	"github.com/skirmishgg/skirmish/proto/wire"
	"github.com/skirmishgg/skirmish/server/wsframe"
)

// connState is where a connection is in its life.
type connState uint8

const (
	// stateHandshake: reading the HTTP request head.
	stateHandshake connState = iota
	// stateOpen: WebSocket frames both ways.
	stateOpen
	// stateClosing: our close frame is queued or sent; waiting for the
	// peer to close, discarding what it still sends.
	stateClosing
	// stateClosed: the fd is closed (or handed to net/http).
	stateClosed
)

// Conn is one client connection. Its lifecycle is explicit:
//
//   - The accept loop creates it, counts it against MaxConns and its IP's
//     MaxConnsPerIP, registers its fd with the poller and arms its
//     handshake deadline.
//   - Readiness events queue it for a worker; exactly one worker at a time
//     serves it (the ready counter guarantees that), for one read budget
//     per turn: a connection with more to read goes to the back of the
//     queue.
//   - While its player is in a room, the room's loop reads it instead, at
//     the start of each tick (roomLink), and the workers only flush its
//     writes. Whoever reads holds readMu; fields marked "reader" are
//     touched only under it.
//   - Every time limit (handshake, Hello, lobby idle, ping, incomplete
//     frame, closing) is one deadline in the server's wheel; onDeadline
//     decides what was due and arms the next. No timer per connection.
//   - Anyone may write: the room's loop broadcasts snapshots and sends
//     messages, the worker answers pings. Writes never block; what the
//     socket does not take waits in rest/next under mu.
//   - Anyone may close. The fd is only used under mu while the state is not
//     closed, so a closed fd number that the kernel reuses for a new
//     connection can never be read or written through this Conn.
//
// An idle open connection holds no buffer, no timer and no goroutine.
type Conn struct {
	srv    *Server
	id     uint64 // the server's number for it, in logs
	fd     int
	remote netip.AddrPort
	ready  atomic.Int32 // readiness events not yet served
	hup    atomic.Bool  // the peer hung up or the socket failed: read to EOF
	// lastRead is the wheel time of the last bytes read: the ping and
	// lobby-idle deadlines are measured from it, lazily.
	lastRead atomic.Int64
	// lastMessage is the wheel time of the last data message (lobby idle).
	lastMessage atomic.Int64

	// Links of the run queue and the deadline wheel, owned by them.
	nextQueued           *Conn
	wheelPrev, wheelNext *Conn
	wheelAt              int64

	// reader: the worker serving the connection or, while its player is in
	// a room, that room's loop; readMu is held while reading.
	readMu  sync.Mutex
	arrived int64           // kernel time (Unix ns) the newest bytes read arrived; 0: unknown
	head    []byte          // HTTP request head, during the handshake only
	partial []byte          // an incomplete frame carried to the next read
	dec     wsframe.Decoder // joins fragments; holds none between messages
	limits  *connLimits     // made at the first message after Hello
	pings   []byte          // payload of the newest unanswered ping in a read

	mu    sync.Mutex
	state connState
	// since is the wheel time the state began (accept, upgrade, close).
	since int64
	// partialSince is when the current incomplete frame started (0: none).
	partialSince int64
	// pingSent is when our unanswered ping went out (0: none outstanding),
	// lastPing when the last one did; rtt is the newest round trip.
	pingSent, lastPing int64
	rtt                time.Duration
	// rest must go out, in order, before anything else: the remainder of
	// a frame the socket took only part of, and messages that may not be
	// dropped. next is the newest unsent snapshot, which a newer one
	// replaces. stallSince is when bytes started waiting (0: none).
	rest       []byte
	next       []byte
	nextAck    [wire.InputAckSize]byte
	ackBuf     [wire.InputAckSize]byte // the suffix being written
	stallSince int64
	closeCode  uint16 // close code we sent, for stats

	// session, under mu
	link        *roomLink // the room's link reading the connection; nil: the workers
	hello       bool
	room        *game.Room
	player      uint32
	spectator   bool
	warnedInput bool
	lookups     uint8 // failed room look-ups (spectating a room that is not there)
}

func newConn(s *Server, fd int, remote netip.AddrPort) *Conn {
	c := &Conn{srv: s, id: s.connSeq.Add(1), fd: fd, remote: remote}
	c.dec.MaxMessage = int64(s.cfg.MaxMessageBytes)
	return c
}

// onEvent is the epoll callback. It runs on the epoll goroutine, so it
// only hands the connection to a worker.
func (c *Conn) onEvent(ev netpoll.EpollEvent) {
	if ev&0x20 != 0 { // easygo's _EPOLLCLOSED: the poller is shutting down
		return
	}
	if ev&(netpoll.EPOLLRDHUP|netpoll.EPOLLHUP|netpoll.EPOLLERR) != 0 {
		c.hup.Store(true)
	}
	if c.ready.Add(1) == 1 {
		c.srv.poller.schedule(c)
	}
}

// serve is run by a worker for a queued connection: one read budget, then
// the connection leaves the worker. If events came in meanwhile or the
// budget ran out with data still waiting, it goes to the back of the
// queue (its ready counter left non-zero, so no event queues it twice).
func (c *Conn) serve(buf []byte) {
	n := c.ready.Load()
	more := true // a room's loop is reading it: try again after the others
	if c.readMu.TryLock() {
		more = c.handle(buf)
		c.readMu.Unlock()
	}
	if !more && c.ready.CompareAndSwap(n, 0) {
		return
	}
	c.srv.poller.schedule(c)
}

// handle flushes pending writes and reads what has arrived. It reports
// whether the connection has more to read than this turn's budget.
func (c *Conn) handle(buf []byte) bool {
	c.mu.Lock()
	c.flushLocked()
	state := c.state
	c.mu.Unlock()
	switch state {
	case stateHandshake:
		return c.readHead(buf)
	case stateOpen:
		more := c.readFrames(buf, nil, maxReadsPerTurn)
		if !c.isOpen() {
			// A frame made us close (the peer's close frame, say): read on
			// now, so that the peer's end of stream is seen without
			// waiting for another event that may never come.
			return c.drain(buf)
		}
		return more
	case stateClosing:
		return c.drain(buf)
	}
	return false
}

// read reads from the socket once. It returns (0, nil) at end of stream
// and unix.EAGAIN when nothing is there. With stamped, it also takes the
// kernel's receive time of the bytes into c.arrived (see stampedRead).
func (c *Conn) read(p []byte, stamped bool) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == stateClosed {
		return 0, errConnClosed
	}
	for {
		var n int
		var err error
		if stamped {
			n, c.arrived, err = stampedRead(c.fd, p)
		} else {
			n, err = unix.Read(c.fd, p)
			c.arrived = 0 // read as it arrived
		}
		if err == unix.EINTR {
			continue
		}
		if n < 0 {
			n = 0
		}
		if n > 0 {
			c.srv.stats.bytesIn.Add(uint64(n))
			c.lastRead.Store(c.srv.wheel.now())
		}
		return n, err
	}
}

// drain discards what a closing peer still sends until it closes.
func (c *Conn) drain(buf []byte) bool {
	for range maxReadsPerTurn {
		n, err := c.read(buf, false)
		switch {
		case err == unix.EAGAIN:
			return false
		case err != nil || n == 0:
			c.finalClose()
			return false
		}
	}
	return true
}

func (c *Conn) isOpen() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state == stateOpen
}
