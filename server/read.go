package server

import (
	"errors"

	"github.com/gobwas/ws"
	"golang.org/x/sys/unix"

	"github.com/skirmishgg/skirmish/server/wsframe"
)

// readFrames reads until EAGAIN or the budget of reads and handles every
// complete frame. from is the reader: nil for a worker, the room's link
// for its loop; reading stops as soon as the connection belongs to
// another (a Join moved it into a room, a Leave out of one). An
// incomplete frame is kept, bounded by MaxMessageBytes, until the rest
// arrives or FrameTimeout passes. WebSocket pings of one turn are answered
// once, for the newest (RFC 6455 §5.5.3 allows it).
func (c *Conn) readFrames(buf []byte, from *roomLink, reads int) (more bool) {
	defer c.answerPing()
	for range reads {
		if !c.readBy(from) {
			return false
		}
		k := copy(buf, c.partial)
		c.partial = nil
		n, err := c.read(buf[k:], from != nil)
		if n > 0 && !c.allowBytes(n) {
			return false
		}
		if n > 0 || k > 0 {
			used := c.processFrames(buf[:k+n])
			c.keepPartial(buf[used : k+n])
		}
		switch {
		case err == unix.EAGAIN:
			return false
		case err != nil || n == 0:
			// End of stream or a broken socket: the peer is gone.
			c.finalClose()
			return false
		}
		if !c.isOpen() {
			return false
		}
		if k+n < len(buf) && !c.hup.Load() {
			// A short read took everything the socket had queued, and any
			// later arrival raises a new event: no need to spend a read on
			// EAGAIN. After a hang-up we read on to EOF.
			return false
		}
	}
	return true
}

// readAtTick is the room loop's read of a member's connection, from its
// link's Poll: one read, then the frames as a worker would handle them. A
// connection a worker is still busy with (it just joined) waits for the
// next tick.
func (c *Conn) readAtTick(l *roomLink, buf []byte, hup bool) {
	if !c.readMu.TryLock() {
		return
	}
	defer c.readMu.Unlock()
	if hup {
		c.hup.Store(true)
	}
	c.readFrames(buf, l, 1)
}

// readBy reports whether from (nil: the workers) is c's reader now.
func (c *Conn) readBy(from *roomLink) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.link == from
}

// keepPartial keeps the bytes of an incomplete frame for the next read and
// makes sure its deadline is armed.
func (c *Conn) keepPartial(p []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != stateOpen {
		return
	}
	if len(p) == 0 {
		c.partialSince = 0 // its deadline, if armed, finds nothing to do
		return
	}
	c.partial = append([]byte(nil), p...)
	if c.partialSince == 0 {
		c.partialSince = c.srv.wheel.now()
		c.srv.wheel.armEarlier(c, c.partialSince+int64(c.srv.cfg.FrameTimeout))
	}
}

// processFrames handles the complete frames at the start of b and returns
// how many bytes they took. It stops early when the connection closes.
func (c *Conn) processFrames(b []byte) int {
	used := 0
	for {
		m, n, ok, err := c.dec.Next(b[used:])
		if err != nil {
			ferr := &wsframe.Error{Code: ws.StatusProtocolError, Reason: err.Error()}
			errors.As(err, &ferr)
			if ferr.Code == ws.StatusProtocolError {
				c.srv.stats.protocolErrors.Add(1)
			}
			c.closeWith(ferr.Code, ferr.Reason)
			return len(b)
		}
		if n == 0 {
			return used // wait for the rest of the frame
		}
		used += n
		c.srv.stats.framesIn.Add(1)
		if ok && !c.handleMessage(m) {
			return len(b)
		}
	}
}

// handleMessage acts on one message or control frame. It reports false
// when the connection is closing and further frames must be ignored.
func (c *Conn) handleMessage(m wsframe.Message) bool {
	payload := m.Payload
	switch m.OpCode {
	case ws.OpBinary:
		return c.onMessage(payload)
	case ws.OpText:
		c.closeWith(ws.StatusUnsupportedData, "text frames are not supported: send binary protobuf")
		return false
	case ws.OpPing:
		if !c.allowControl() {
			return c.isOpen()
		}
		// Answered once per turn, after the batch: keep the newest.
		c.pings = append(c.pings[:0], payload...)
		if c.pings == nil {
			c.pings = []byte{}
		}
		return true
	case ws.OpPong:
		c.onPong(payload)
		return true
	case ws.OpClose:
		code, reason := ws.ParseCloseFrameData(payload)
		if len(payload) == 1 {
			c.closeWith(ws.StatusProtocolError, "close frame payload of 1 byte")
			return false
		}
		if !code.Empty() {
			if err := ws.CheckCloseFrameData(code, reason); err != nil {
				c.closeWith(ws.StatusProtocolError, err.Error())
				return false
			}
		}
		// Echo the peer's code, as RFC 6455 §5.5.1 asks.
		if code.Empty() {
			code = ws.StatusNormalClosure
		}
		c.echoClose(code)
		return false
	}
	c.closeWith(ws.StatusProtocolError, "unknown opcode")
	return false
}

// answerPing sends the pong of the newest ping of this turn, if any.
func (c *Conn) answerPing() {
	if c.pings == nil {
		return
	}
	c.writeFrame(wsframe.AppendFrame(make([]byte, 0, 2+len(c.pings)), ws.OpPong, c.pings, nil))
	c.pings = nil
}
