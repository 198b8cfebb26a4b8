package server

import (
	"sync"

	"github.com/mailru/easygo/netpoll"
	"golang.org/x/sys/unix"

	"github.com/skirmishgg/skirmish/game"
	"github.com/skirmishgg/skirmish/proto/wire"
	"github.com/skirmishgg/skirmish/server/wsframe"
)

// linkEvents is what a room's epoll watches: level-triggered, so that
// what one tick leaves unread is reported again at the next.
const linkEvents = unix.EPOLLIN | unix.EPOLLRDHUP

// roomLink is the server's side of one room (game.Link). The connections
// of the room's members are read by the room's own loop at the start of
// each tick, from the link's epoll instance polled with a zero timeout,
// rather than by a worker as their bytes arrive: inputs are applied at the
// tick anyway, and reading them there saves the wake-up, the hand-off to
// another goroutine and the park that each arrival costs on the event
// path. Lobby and handshake traffic stays event-driven on the workers.
//
// Lifecycle: the hub opens a link with each room (NewLink); a connection
// joins it when its player enters the room (Conn.attach) and leaves it
// when the player leaves, moves or the connection closes; the room's
// loop calls Poll and Broadcast, and Close when it ends.
type roomLink struct {
	mu     sync.Mutex
	ep     int             // the link's epoll fd; -1 before the first member and after Close
	closed bool            //
	conns  map[int32]*Conn // by fd: the connections this link reads

	events []unix.EpollEvent // loop only
}

// NewLink opens the link of a new room: give it to the hub as
// game.HubConfig.NewLink.
func NewLink() game.Link {
	return &roomLink{ep: -1, conns: make(map[int32]*Conn)}
}

// add makes the room's loop the reader of c. It reports false when the
// link is closed (the room ended meanwhile).
func (l *roomLink) add(c *Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	if l.ep < 0 {
		ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
		if err != nil {
			c.srv.limited.warn("create a room's epoll", c.logArgsLocked("err", err)...)
			return false
		}
		l.ep = ep
	}
	ev := unix.EpollEvent{Events: linkEvents, Fd: int32(c.fd)}
	if err := unix.EpollCtl(l.ep, unix.EPOLL_CTL_ADD, c.fd, &ev); err != nil {
		c.srv.limited.warn("watch a member's connection", c.logArgsLocked("err", err)...)
		return false
	}
	l.conns[int32(c.fd)] = c
	return true
}

// remove stops reading c; it must come before c's fd is closed.
func (l *roomLink) remove(c *Conn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conns[int32(c.fd)] != c {
		return
	}
	delete(l.conns, int32(c.fd))
	if l.ep >= 0 {
		_ = unix.EpollCtl(l.ep, unix.EPOLL_CTL_DEL, c.fd, nil)
	}
}

// memberEvents is what the server's epoll keeps watching of a member's
// connection, which its room's loop reads: writability (to flush what a
// slow peer left pending) and hang-ups, but not arrivals.
const memberEvents = connEvents &^ netpoll.EPOLLIN

// enterLinkLocked makes l's room loop the reader of c. c.mu is held.
func (c *Conn) enterLinkLocked(l *roomLink) {
	if c.link == l || c.state != stateOpen {
		return
	}
	c.leaveLinkLocked()
	if !l.add(c) {
		return // the room ended meanwhile: the workers keep reading c
	}
	c.link = l
	_ = c.srv.poller.ep.Mod(c.fd, memberEvents)
}

// leaveLinkLocked gives c's reading back to the workers. Changing the
// registration re-arms it, so bytes already waiting raise an event at
// once. c.mu is held.
func (c *Conn) leaveLinkLocked() {
	if c.link == nil {
		return
	}
	c.link.remove(c)
	c.link = nil
	if c.state != stateClosed {
		_ = c.srv.poller.ep.Mod(c.fd, connEvents)
	}
}

// leaveLink is leaveLinkLocked for a link that is closing.
func (c *Conn) leaveLink(l *roomLink) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.link == l {
		c.leaveLinkLocked()
	}
}

// readBuffers hold one Poll's reads; a room holds none between ticks.
var readBuffers = sync.Pool{New: func() any { b := make([]byte, readBufferSize); return &b }}

// Poll reads, on the room's loop, every member connection that has
// something: one read each per tick (a peer that sends more waits for the
// next tick, where level-triggered epoll reports it again).
func (l *roomLink) Poll() {
	l.mu.Lock()
	ep, n := l.ep, len(l.conns)
	l.mu.Unlock()
	if ep < 0 || n == 0 {
		return
	}
	if cap(l.events) < n {
		l.events = make([]unix.EpollEvent, n, 2*n)
	}
	ready, err := unix.EpollWait(ep, l.events[:n], 0)
	if err != nil || ready <= 0 {
		return // EINTR: the next tick polls again
	}
	bp := readBuffers.Get().(*[]byte)
	for _, ev := range l.events[:ready] {
		l.mu.Lock()
		c := l.conns[ev.Fd]
		l.mu.Unlock()
		if c != nil {
			c.readAtTick(l, *bp, ev.Events&(unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0)
		}
	}
	readBuffers.Put(bp)
}

// Broadcast frames msg once and writes the same bytes to every receiver,
// each followed by its own input_ack.
func (l *roomLink) Broadcast(msg []byte, to []game.Receiver) {
	// One allocation per room per tick: a receiver whose socket is full
	// keeps a reference to the frame as its newest pending snapshot.
	frame := make([]byte, 0, wsframe.MaxHeaderSize+len(msg))
	frame = wsframe.AppendHeader(frame, wsHeaderBinary(len(msg)+wire.InputAckSize))
	frame = append(frame, msg...)
	var ack [wire.InputAckSize]byte
	for _, r := range to {
		c, ok := r.Peer.(*Conn)
		if !ok {
			continue
		}
		wire.AppendInputAck(ack[:0], r.InputAck)
		c.writeSnapshot(frame, ack)
	}
}

// Close releases the link's epoll. Members still attached (the room
// ended under them) go back to being read by the workers.
func (l *roomLink) Close() {
	l.mu.Lock()
	conns := make([]*Conn, 0, len(l.conns))
	for _, c := range l.conns {
		conns = append(conns, c)
	}
	l.mu.Unlock()
	for _, c := range conns {
		c.leaveLink(l)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	if l.ep >= 0 {
		_ = unix.Close(l.ep)
		l.ep = -1
	}
}
