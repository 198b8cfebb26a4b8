package server

import (
	"errors"
	"time"

	"github.com/gobwas/ws"
	"golang.org/x/sys/unix"

	"github.com/skirmishgg/skirmish/server/wsframe"
)

// readFrames reads until EAGAIN (or the wakeup budget) and handles every
// complete frame. An incomplete frame is kept, bounded by MaxMessageBytes,
// until the rest arrives or FrameTimeout passes.
func (c *Conn) readFrames(buf []byte) (more bool) {
	for range maxReadsPerWakeup {
		k := copy(buf, c.partial)
		c.partial = nil
		n, err := c.read(buf[k:])
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
			// later arrival raises a new edge-triggered event: no need to
			// spend a read on EAGAIN. After a hang-up we read on to EOF.
			return false
		}
	}
	return true
}

// keepPartial keeps the bytes of an incomplete frame for the next read and
// watches its deadline.
func (c *Conn) keepPartial(p []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != stateOpen {
		return
	}
	if len(p) == 0 {
		if !c.partialSince.IsZero() {
			c.partialSince = time.Time{}
			c.stopTimerLocked()
		}
		return
	}
	c.partial = append([]byte(nil), p...)
	if c.partialSince.IsZero() {
		c.partialSince = time.Now()
		c.armTimer(c.srv.cfg.FrameTimeout)
	}
}

func (c *Conn) isOpen() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state == stateOpen
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
		c.writeFrame(wsframe.AppendFrame(nil, ws.OpPong, payload, nil))
		return true
	case ws.OpPong:
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
		c.closeWith(code, "")
		return false
	}
	c.closeWith(ws.StatusProtocolError, "unknown opcode")
	return false
}
