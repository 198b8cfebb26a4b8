package server

import (
	"errors"

	"github.com/gobwas/ws"
	"golang.org/x/sys/unix"

	"github.com/skirmishgg/skirmish/game"
	skirmishv1 "github.com/skirmishgg/skirmish/proto/skirmish/v1"
	"github.com/skirmishgg/skirmish/server/wsframe"
)

var errConnClosed = errors.New("connection closed")

// closeWith starts the WebSocket closing handshake: it queues a close
// frame with code and reason after anything already pending, half-closes
// the socket once that is out, and waits CloseTimeout for the peer to
// close its side. The player leaves its room at once.
func (c *Conn) closeWith(code ws.StatusCode, reason string) {
	c.startClose(code, reason, false)
}

// echoClose answers the peer's close frame with its code: the peer
// closed, which is never worth more than a Debug line.
func (c *Conn) echoClose(code ws.StatusCode) {
	c.startClose(code, "", true)
}

func (c *Conn) startClose(code ws.StatusCode, reason string, byPeer bool) {
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
	c.rest = wsframe.AppendClose(c.rest, code, reason, nil)
	c.srv.stats.framesOut.Add(1)
	c.flushLocked()
	c.since = c.srv.wheel.now()
	c.srv.wheel.arm(c, c.since+int64(c.srv.cfg.CloseTimeout))
	args := c.logArgsLocked()
	c.mu.Unlock()

	c.srv.stats.closed(code)
	c.srv.logClose(args, code, reason, byPeer)
	c.disconnect()
}

// finalClose unregisters and closes the fd. It is idempotent.
func (c *Conn) finalClose() {
	c.mu.Lock()
	if c.state == stateClosed {
		c.mu.Unlock()
		return
	}
	wasOpen := c.state == stateOpen
	var args []any
	if wasOpen {
		args = c.logArgsLocked()
	}
	c.state = stateClosed
	c.leaveLinkLocked()
	c.srv.poller.del(c.fd)
	_ = unix.Close(c.fd)
	c.srv.wheel.disarm(c)
	c.rest, c.next = nil, nil
	c.mu.Unlock()

	if wasOpen {
		// Closed without a close frame from us: the peer went away.
		c.srv.stats.closed(closeAbnormal)
		c.srv.logClose(args, closeAbnormal, "the peer went away without a close frame", false)
	}
	c.disconnect()
	c.srv.forget(c)
}

// leaveRoom ends the session's room membership, if any: the player is
// gone for good (a Leave message, or a Join of another room).
func (c *Conn) leaveRoom() {
	if room, player := c.detach(); room != nil {
		room.Leave(player, c)
	}
}

// disconnect tells the room the connection is gone: the player waits
// there for a resume during the room's grace period.
func (c *Conn) disconnect() {
	if room, player := c.detach(); room != nil {
		room.Disconnect(player, c)
	}
}

// detach forgets the session's room and returns what it was. Back in the
// lobby, the lobby's idle deadline applies again.
func (c *Conn) detach() (*game.Room, uint32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	room, player := c.room, c.player
	// Back in the lobby: the first refused Input there gets its Error.
	c.room, c.player, c.spectator, c.warnedInput = nil, 0, false, false
	c.leaveLinkLocked()
	if room != nil && c.state == stateOpen {
		c.srv.wheel.armEarlier(c, c.lastMessage.Load()+int64(c.srv.cfg.LobbyTimeout))
	}
	return room, player
}

// Drop implements game.Peer: the room ends this connection's membership.
// The connection is told why and closed; the room is not told back.
func (c *Conn) Drop(reason game.DropReason) {
	c.detach()
	switch reason {
	case game.DropTakenOver:
		c.sendError(skirmishv1.ErrorCode_ERROR_CODE_SESSION_TAKEN_OVER, "session resumed on another connection")
		c.closeWith(CloseSessionTakenOver, "session resumed elsewhere")
	default:
		c.sendError(skirmishv1.ErrorCode_ERROR_CODE_ROOM_FAILED, "the room ended on an internal error")
		c.closeWith(ws.StatusInternalServerError, "room failed")
	}
}

// closeAbnormal is what RFC 6455 calls a connection that ended without a
// close frame: never sent, only counted and logged.
const closeAbnormal ws.StatusCode = 1006

// CloseSessionTakenOver is the close code (application range) of a
// connection whose session was resumed on another connection.
const CloseSessionTakenOver ws.StatusCode = 4001
