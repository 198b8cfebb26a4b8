package server

import (
	"encoding/binary"
	"time"

	"github.com/gobwas/ws"

	"github.com/skirmishgg/skirmish/server/wsframe"
)

// onDeadline runs on the wheel's goroutine when c's deadline comes. It
// enforces whichever limit c's state has reached and arms the next one:
// every time limit of a connection lives here, measured from fields that
// the other paths only stamp (since, partialSince, lastRead, lastMessage,
// pingSent), so activity never has to move a deadline.
func (c *Conn) onDeadline(now int64) {
	cfg := &c.srv.cfg
	c.mu.Lock()
	switch c.state {
	case stateHandshake:
		if at := c.since + int64(cfg.HandshakeTimeout); now < at {
			c.srv.wheel.arm(c, at)
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		c.srv.stats.handshakeTimeouts.Add(1)
		c.finalClose()
	case stateClosing:
		if at := c.since + int64(cfg.CloseTimeout); now < at {
			c.srv.wheel.arm(c, at)
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		c.finalClose()
	case stateOpen:
		c.openDeadlineLocked(now)
	default:
		c.mu.Unlock()
	}
}

// openDeadlineLocked enforces the limits of an open connection: an
// incomplete frame, the Hello, lobby idleness and the keepalive ping. It
// unlocks c.mu.
func (c *Conn) openDeadlineLocked(now int64) {
	cfg := &c.srv.cfg
	lastRead := c.lastRead.Load()
	var code ws.StatusCode
	var reason string
	switch {
	case c.partialSince != 0 && now >= c.partialSince+int64(cfg.FrameTimeout):
		c.srv.stats.frameTimeouts.Add(1)
		code, reason = ws.StatusPolicyViolation, "incomplete frame timed out"
	case !c.hello && now >= c.since+int64(cfg.HelloTimeout):
		c.srv.stats.helloTimeouts.Add(1)
		code, reason = ws.StatusPolicyViolation, "no Hello in time"
	case c.hello && c.room == nil && now >= c.lastMessage.Load()+int64(cfg.LobbyTimeout):
		c.srv.stats.lobbyTimeouts.Add(1)
		code, reason = ws.StatusPolicyViolation, "idle in the lobby too long"
	case c.pingSent != 0 && lastRead < c.pingSent && now >= c.pingSent+int64(cfg.PongTimeout):
		c.srv.stats.pingTimeouts.Add(1)
		code, reason = ws.StatusGoingAway, "no answer to ping"
	}
	if code != 0 {
		c.mu.Unlock()
		c.closeWith(code, reason)
		return
	}
	if c.pingSent != 0 && lastRead >= c.pingSent {
		c.pingSent = 0 // answered, or the peer spoke: alive
	}
	pingAt := c.nextPingLocked(lastRead)
	if c.pingSent == 0 && now >= pingAt {
		c.pingLocked(now)
	}
	next := pingAt
	if c.pingSent != 0 {
		next = c.pingSent + int64(cfg.PongTimeout)
	}
	if c.partialSince != 0 {
		next = min(next, c.partialSince+int64(cfg.FrameTimeout))
	}
	if !c.hello {
		next = min(next, c.since+int64(cfg.HelloTimeout))
	} else if c.room == nil {
		next = min(next, c.lastMessage.Load()+int64(cfg.LobbyTimeout))
	}
	c.srv.wheel.arm(c, next)
	c.mu.Unlock()
}

// nextPingLocked is when c is next pinged: after PingInterval of silence,
// and every RTTInterval while in a room, where the round trip the pong
// measures caps lag compensation.
func (c *Conn) nextPingLocked(lastRead int64) int64 {
	at := lastRead + int64(c.srv.cfg.PingInterval)
	if c.room != nil && !c.spectator {
		at = min(at, c.lastPing+int64(c.srv.cfg.RTTInterval))
	}
	return at
}

// pingPayloadSize is the size of our ping payload: the wheel time it was
// sent, which the pong echoes.
const pingPayloadSize = 8

// pingLocked sends a keepalive ping carrying the time it was sent.
func (c *Conn) pingLocked(now int64) {
	var p [pingPayloadSize]byte
	binary.BigEndian.PutUint64(p[:], uint64(now))
	c.pingSent, c.lastPing = now, now
	c.srv.stats.pingsSent.Add(1)
	c.writeFrameLocked(wsframe.AppendFrame(make([]byte, 0, 2+pingPayloadSize), ws.OpPing, p[:], nil))
}

// onPong takes the round trip from a pong that echoes our ping.
func (c *Conn) onPong(payload []byte) {
	if len(payload) != pingPayloadSize {
		return // not ours: unsolicited pongs are allowed and ignored
	}
	sent := int64(binary.BigEndian.Uint64(payload))
	now := c.srv.wheel.now()
	if sent <= 0 || sent > now {
		return
	}
	rtt := time.Duration(now - sent)
	c.mu.Lock()
	c.rtt = rtt
	room, player, spectator := c.room, c.player, c.spectator
	c.mu.Unlock()
	if room != nil && !spectator {
		// Caps how far back the room judges this player's shots.
		room.SetRTT(player, rtt)
	}
}
