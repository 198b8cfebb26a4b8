package botnet

import (
	"github.com/gobwas/ws"

	"github.com/skirmishgg/skirmish/bench/diag"
	"github.com/skirmishgg/skirmish/bench/reactor"

	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/mailru/easygo/netpoll"
	"golang.org/x/sys/unix"
)

// botState is where a bot is in the session.
type botState int32

const (
	stDialing   botState = iota
	stHandshake          // Hello sent
	stLobby              // ServerHello received, not in a room
	stJoining            // Join sent
	stJoined             // Welcome received
	stClosed
)

// rttRingSize is how many inputs a bot remembers the send time of (4 s at
// 30 Hz); an ack older than that counts as lost.
const rttRingSize = 128

// maxPending bounds the bytes a bot keeps when its socket is full.
const maxPending = 16 << 10

// bot is one simulated client: a socket and a little state; no goroutine.
// Readers (one worker at a time, see readiness) own the read side; the
// write side is under mu because the sender and the workers both write.
type bot struct {
	rd reactor.Readiness
	e  *engine
	g  int // global index
	fd int

	state     atomic.Int32 // botState
	slow      atomic.Bool  // stopped reading (slow scenario)
	slowSince atomic.Int64
	closeReq  atomic.Bool // someone asked a worker to close it
	dropReq   atomic.Bool // resume: drop the socket and reconnect
	lastTick  atomic.Uint32
	helloAt   atomic.Int64
	joinAt    atomic.Int64
	joinedAt  atomic.Int64 // 0 while not in a room
	closedAt  atomic.Int64
	settled   atomic.Bool // counted as ok or failed already
	failedWhy atomic.Pointer[string]
	joins     atomic.Int32 // churn: joins done on this connection

	// Read side: one worker at a time.
	fr        reactor.FrameReader
	inPending bool // fr holds bytes from the upgrade: parse before reading
	lastSnap  int64
	lastAck   uint32
	// expectRoster: a Welcome arrived and the Roster that follows it is
	// the bot's own, not a change in the room.
	expectRoster bool
	// track follows the entities and the own score through snapshots
	// (nil unless the run needs it); res is the session (resume runs).
	// Both belong to whoever owns the bot: its dialer until it is
	// registered, then the worker serving it.
	track *worldTracker
	res   *resumeInfo

	// Write side.
	mu       sync.Mutex
	closed   bool
	pending  reactor.Backlog
	ring     []uint64 // seq<<32 | send time in µs (mod 2^32), by seq % size
	writeErr error

	// Sender-owned.
	seq    uint32
	dx, dy float32
}

func (b *bot) Readiness() *reactor.Readiness { return &b.rd }

func (b *bot) getState() botState { return botState(b.state.Load()) }

// serve is called by one worker at a time after an epoll event (or a wake).
func (b *bot) Serve(w *reactor.Worker) {
	bw := b.e.workers[w.ID]
	ev := b.rd.TakeEvents()
	if b.getState() == stClosed {
		return
	}
	if b.closeReq.Load() {
		b.close(bw, closeLocal, nil)
		return
	}
	if b.dropReq.Load() {
		b.dropReq.Store(false)
		b.drop(bw)
		return
	}
	if ev&netpoll.EPOLLOUT != 0 {
		b.flush()
	}
	if err := b.takeWriteErr(); err != nil {
		b.close(bw, closeLost, fmt.Errorf("write: %w", err))
		return
	}
	if b.slow.Load() {
		// A slow bot never reads; it only notices that the server gave up.
		if ev&(netpoll.EPOLLHUP|netpoll.EPOLLERR|netpoll.EPOLLRDHUP) != 0 {
			b.close(bw, closeSlow, nil)
		}
		return
	}
	if b.inPending {
		b.inPending = false
		if !b.feed(bw, nil, b.e.now()) {
			return
		}
	}
	hup := ev&(netpoll.EPOLLRDHUP|netpoll.EPOLLHUP|netpoll.EPOLLERR) != 0
	for {
		n, err := unix.Read(b.fd, w.Buf)
		if n > 0 {
			if !b.feed(bw, w.Buf[:n], b.e.now()) {
				return
			}
			if n < len(w.Buf) && !hup && reactor.ShortReadDrains {
				return // drained: see reactor.ShortReadDrains
			}
			continue
		}
		switch {
		case err == nil:
			b.close(bw, closeLost, errors.New("connection closed by the server (EOF)"))
			return
		case errors.Is(err, unix.EAGAIN):
			return
		case errors.Is(err, unix.EINTR):
		default:
			b.close(bw, closeLost, fmt.Errorf("read: %w", err))
			return
		}
	}
}

// feed parses data; false when the bot got closed meanwhile.
func (b *bot) feed(bw *botWorker, data []byte, now int64) bool {
	bw.cur, bw.now = b, now
	wire, payload, err := b.fr.Feed(data, ws.StateClientSide, b.e.spec.MaxFrame, bw)
	bw.cur = nil
	if b.e.inWindow(now) && !b.slow.Load() {
		bw.stats.RecvWire += int64(wire)
		bw.stats.RecvPayload += int64(payload)
	}
	if b.getState() == stClosed {
		return false
	}
	if err != nil {
		bw.stats.ProtocolErrors++
		b.close(bw, closeLost, fmt.Errorf("server frames: %w", err))
		return false
	}
	return true
}

// write sends frame now (non-blocking). What the socket does not take is
// kept (bounded) and flushed on EPOLLOUT. It reports whether the frame was
// accepted; a frame is never cut, so the stream stays valid.
func (b *bot) write(frame []byte) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.writeLocked(frame)
}

func (b *bot) writeLocked(frame []byte) bool {
	if b.closed || b.writeErr != nil {
		return false
	}
	ok, err := b.pending.Write(b.fd, frame, maxPending)
	if err != nil {
		b.failWrite(err)
	}
	return ok
}

func (b *bot) flush() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.closed && b.writeErr == nil {
		if err := b.pending.Flush(b.fd); err != nil {
			b.failWrite(err)
		}
	}
}

// failWrite records a write error (mu held) and asks a worker to close.
func (b *bot) failWrite(err error) {
	b.writeErr = err
	b.pending.Reset()
	b.e.r.Wake(b)
}

func (b *bot) takeWriteErr() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.writeErr
}

// recordSend remembers when input seq was created, for the RTT.
func (b *bot) recordSend(seq uint32, nowUs uint32) {
	b.mu.Lock()
	if b.ring == nil {
		b.ring = make([]uint64, rttRingSize)
	}
	b.ring[seq%rttRingSize] = uint64(seq)<<32 | uint64(nowUs)
	b.mu.Unlock()
}

// sentAt returns when input seq was created, if still remembered.
func (b *bot) sentAt(seq uint32) (us uint32, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ring == nil {
		return 0, false
	}
	v := b.ring[seq%rttRingSize]
	if uint32(v>>32) != seq || v == 0 && seq != 0 {
		return 0, false
	}
	return uint32(v), true
}

// closeKind says who ended a connection.
type closeKind int

const (
	closeLocal  closeKind = iota // we did (end of run, churn)
	closeServer                  // the server sent a close frame
	closeLost                    // EOF, reset or a protocol error
	closeSlow                    // a slow bot noticed the server gave up on it
	closeDrop                    // we dropped it without a close frame, to resume (resume)
)

// close ends the connection: Del from the epoll, then close the fd. Only
// the worker serving b, or the engine after the workers stopped, calls it.
func (b *bot) close(bw *botWorker, kind closeKind, cause error) {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	b.pending.Reset()
	b.mu.Unlock()
	prev := b.getState()
	b.state.Store(int32(stClosed))
	now := b.e.now()
	b.closedAt.Store(now)
	if err := b.e.r.Del(b.fd); err != nil {
		diag.Logf("bot %d: %v", b.g, err)
	}
	if err := unix.Close(b.fd); err != nil {
		diag.Logf("bot %d: close fd %d: %v", b.g, b.fd, err)
	}
	b.e.open.Add(-1)
	b.e.onClosed(bw, b, prev, kind, cause, now)
}
