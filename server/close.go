package server

import (
	"errors"

	"github.com/gobwas/ws"
	"golang.org/x/sys/unix"
)

var errConnClosed = errors.New("connection closed")

// closeWith starts the WebSocket closing handshake: it queues a close
// frame with code and reason after anything already pending, half-closes
// the socket once that is out, and waits CloseTimeout for the peer to
// close its side. The player leaves its room at once.
func (c *Conn) closeWith(code ws.StatusCode, reason string) {
	c.mu.Lock()
	if state := c.state; state != stateOpen {
		c.mu.Unlock()
		if state == stateHandshake {
			c.finalClose()
		}
		return
	}
	c.state = stateClosing
	c.closeCode = uint16(code)
	// A pending snapshot is dropped: the peer is leaving. A partly sent
	// frame in rest must still be finished, or the close frame would land
	// inside it.
	c.next = nil
	c.rest = append(c.rest, closeFrame(code, reason)...)
	c.flushLocked()
	c.armTimer(c.srv.cfg.CloseTimeout)
	c.mu.Unlock()

	c.srv.stats.closed(code)
	c.srv.log.Debug("closing connection", "remote", c.remote, "code", int(code), "reason", reason)
	c.leaveRoom()
}

// finalClose unregisters and closes the fd. It is idempotent.
func (c *Conn) finalClose() {
	c.mu.Lock()
	if c.state == stateClosed {
		c.mu.Unlock()
		return
	}
	wasOpen := c.state == stateOpen
	c.state = stateClosed
	c.srv.poller.del(c.fd)
	_ = unix.Close(c.fd)
	c.stopTimerLocked()
	c.rest, c.next = nil, nil
	c.mu.Unlock()

	if wasOpen {
		// Closed without a close frame from us: the peer went away.
		c.srv.stats.closed(1006)
	}
	c.leaveRoom()
	c.srv.forget(c)
}

// leaveRoom ends the session's room membership, if any.
func (c *Conn) leaveRoom() {
	c.mu.Lock()
	room, player := c.room, c.player
	c.room, c.player = nil, 0
	c.mu.Unlock()
	if room != nil {
		room.Leave(player)
	}
}
