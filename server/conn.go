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
//   - The accept loop creates it and registers its fd with the poller.
//   - Readiness events queue it for a worker; exactly one worker at a time
//     serves it (the ready counter guarantees that), reading what is there
//     until EAGAIN and flushing pending writes. Fields marked "worker" are
//     touched only by that worker.
//   - Anyone may write: the room's loop broadcasts snapshots and sends
//     messages, the worker answers pings. Writes never block; what the
//     socket does not take waits in rest/next under mu.
//   - Anyone may close. The fd is only used under mu while the state is not
//     closed, so a closed fd number that the kernel reuses for a new
//     connection can never be read or written through this Conn.
//
// An idle open connection holds no buffer and no goroutine.
type Conn struct {
	srv    *Server
	fd     int
	remote netip.AddrPort
	ready  atomic.Int32 // readiness events not yet served
	hup    atomic.Bool  // the peer hung up or the socket failed: read to EOF

	// worker
	head    []byte          // HTTP request head, during the handshake only
	partial []byte          // an incomplete frame carried to the next read
	dec     wsframe.Decoder // joins fragments; holds none between messages

	mu    sync.Mutex
	state connState
	timer *time.Timer // handshake, frame and close deadlines
	// partialSince is when the current incomplete frame started (0: none).
	partialSince time.Time
	// rest must go out, in order, before anything else: the remainder of
	// a frame the socket took only part of, and messages that may not be
	// dropped. next is the newest unsent snapshot, which a newer one
	// replaces. stallSince is when bytes started waiting.
	rest       []byte
	next       []byte
	nextAck    [wire.InputAckSize]byte
	ackBuf     [wire.InputAckSize]byte // the suffix being written
	stallSince time.Time
	closeCode  uint16 // close code we sent, for stats

	// session, under mu
	hello       bool
	room        *game.Room
	player      uint32
	spectator   bool
	warnedInput bool
}

func newConn(s *Server, fd int, remote netip.AddrPort) *Conn {
	c := &Conn{srv: s, fd: fd, remote: remote}
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

// serve is run by a worker for a queued connection.
func (c *Conn) serve(buf []byte) {
	for {
		n := c.ready.Load()
		if more := c.handle(buf); more {
			// Budget used up with data still waiting: back of the queue,
			// ready counter left non-zero so no event queues it twice.
			c.srv.poller.schedule(c)
			return
		}
		if c.ready.CompareAndSwap(n, 0) {
			return
		}
	}
}

// handle flushes pending writes and reads what has arrived. It reports
// whether the connection has more to read than this wakeup's budget.
func (c *Conn) handle(buf []byte) bool {
	c.mu.Lock()
	c.flushLocked()
	state := c.state
	c.mu.Unlock()
	switch state {
	case stateHandshake:
		return c.readHead(buf)
	case stateOpen:
		more := c.readFrames(buf)
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
// and unix.EAGAIN when nothing is there.
func (c *Conn) read(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == stateClosed {
		return 0, errConnClosed
	}
	for {
		n, err := unix.Read(c.fd, p)
		if err == unix.EINTR {
			continue
		}
		if n < 0 {
			n = 0
		}
		if n > 0 {
			c.srv.stats.bytesIn.Add(uint64(n))
		}
		return n, err
	}
}

// drain discards what a closing peer still sends until it closes.
func (c *Conn) drain(buf []byte) bool {
	for range maxReadsPerWakeup {
		n, err := c.read(buf)
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

// armTimer starts or moves the connection's single deadline timer. c.mu
// must be held.
func (c *Conn) armTimer(d time.Duration) {
	if c.timer == nil {
		c.timer = time.AfterFunc(d, c.onTimer)
		return
	}
	c.timer.Reset(d)
}

// stopTimerLocked stops and drops the timer so that an idle connection
// holds none. c.mu must be held.
func (c *Conn) stopTimerLocked() {
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
}

// onTimer enforces whichever deadline applies to the current state.
func (c *Conn) onTimer() {
	c.mu.Lock()
	state := c.state
	since := c.partialSince
	c.mu.Unlock()
	switch state {
	case stateHandshake:
		c.srv.stats.handshakeTimeouts.Add(1)
		c.finalClose()
	case stateOpen:
		if !since.IsZero() && time.Since(since) >= c.srv.cfg.FrameTimeout {
			c.srv.stats.frameTimeouts.Add(1)
			c.closeWith(1008, "incomplete frame timed out")
		}
	case stateClosing:
		c.finalClose()
	}
}
