package server

import (
	"github.com/gobwas/ws"
	"golang.org/x/sys/unix"

	"github.com/skirmishgg/skirmish/proto/wire"
	"github.com/skirmishgg/skirmish/server/wsframe"
)

// Send implements game.Peer: it frames msg and queues it behind anything
// pending. Such messages (welcome, roster, errors, pongs) are never
// dropped; only snapshots are replaced by newer ones.
func (c *Conn) Send(msg []byte) {
	c.writeFrame(wsframe.AppendFrame(make([]byte, 0, wsframe.MaxHeaderSize+len(msg)), ws.OpBinary, msg, nil))
}

// writeFrame writes a complete frame, or queues what the socket does not
// take.
func (c *Conn) writeFrame(f []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writeFrameLocked(f)
}

func (c *Conn) writeFrameLocked(f []byte) {
	if c.state != stateOpen {
		return
	}
	c.srv.stats.framesOut.Add(1)
	if len(c.rest) == 0 && c.next == nil {
		n := c.writeLocked(f)
		if n < 0 {
			return
		}
		f = f[n:]
		if len(f) == 0 {
			return
		}
	}
	if len(c.rest)+len(f) > c.srv.cfg.MaxPendingBytes {
		c.srv.stats.slowClosed.Add(1)
		c.abortLocked()
		return
	}
	c.queueLocked(f)
}

// writeSnapshot writes a shared snapshot frame followed by this receiver's
// input_ack field. If earlier bytes are still waiting, the snapshot
// replaces any older unsent one instead: a client only needs the newest.
func (c *Conn) writeSnapshot(frame []byte, ack [wire.InputAckSize]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != stateOpen {
		return
	}
	if len(c.rest) > 0 || c.next != nil {
		if c.next != nil {
			c.srv.stats.snapshotsReplaced.Add(1)
		}
		c.next, c.nextAck = frame, ack
		if c.srv.wheel.now()-c.stallSince > int64(c.srv.cfg.WriteStall) {
			c.srv.stats.slowClosed.Add(1)
			c.abortLocked()
		}
		return
	}
	// The suffix is written from the Conn's own array: slicing the
	// argument would move it to the heap on every call.
	c.ackBuf = ack
	iov := [2][]byte{frame, c.ackBuf[:]}
	n := c.writevLocked(iov[:])
	if n < 0 {
		return
	}
	c.srv.stats.snapshotsSent.Add(1)
	if n == len(frame)+len(ack) {
		return
	}
	// Short write: keep only the rest of this frame.
	if n < len(frame) {
		c.queueLocked(frame[n:])
		c.rest = append(c.rest, c.ackBuf[:]...)
	} else {
		c.queueLocked(c.ackBuf[n-len(frame):])
	}
}

// queueLocked appends to rest, copying, and starts the stall clock.
func (c *Conn) queueLocked(p []byte) {
	if len(c.rest) == 0 && c.next == nil {
		c.stallSince = c.srv.wheel.now()
	}
	c.rest = append(c.rest, p...)
}

// flushLocked writes what is pending: rest first, then the newest
// snapshot. In the closing state, once everything is out, it half-closes
// the socket so the peer sees our close frame and then end of stream.
func (c *Conn) flushLocked() {
	if c.state != stateOpen && c.state != stateClosing {
		return
	}
	if len(c.rest) > 0 {
		n := c.writeLocked(c.rest)
		if n < 0 {
			return
		}
		if n < len(c.rest) {
			c.rest = c.rest[:copy(c.rest, c.rest[n:])]
			return
		}
		c.rest = nil // release the buffer: most connections never need one
	}
	if c.next != nil {
		frame := c.next
		c.next, c.ackBuf = nil, c.nextAck
		ack := c.ackBuf[:]
		iov := [2][]byte{frame, ack}
		n := c.writevLocked(iov[:])
		if n < 0 {
			return
		}
		c.srv.stats.snapshotsSent.Add(1)
		switch {
		case n < len(frame):
			c.rest = append(append(c.rest, frame[n:]...), ack...)
			return
		case n < len(frame)+len(ack):
			c.rest = append(c.rest, ack[n-len(frame):]...)
			return
		}
	}
	c.stallSince = 0
	if c.state == stateClosing {
		_ = unix.Shutdown(c.fd, unix.SHUT_WR)
	}
}

// writeLocked writes p without blocking and returns how much the socket
// took, or -1 if the connection failed (it is then being closed).
func (c *Conn) writeLocked(p []byte) int {
	iov := [1][]byte{p}
	return c.writevLocked(iov[:])
}

// writevLocked is writeLocked for several buffers in one system call.
func (c *Conn) writevLocked(iov [][]byte) int {
	for {
		n, err := unix.Writev(c.fd, iov)
		switch err {
		case nil:
			c.srv.stats.bytesOut.Add(uint64(n))
			return n
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return 0
		}
		if c.state == stateOpen {
			// The peer reset the connection, or it broke: it went away.
			c.srv.stats.closed(closeAbnormal)
			c.srv.logClose(c.logArgsLocked(), closeAbnormal, "write failed: "+err.Error(), false)
		}
		c.failLocked()
		return -1
	}
}

// failLocked handles a write error (the peer is gone): the fd is closed
// by a worker once its readiness event reports it; here writes just stop.
func (c *Conn) failLocked() {
	c.rest, c.next = nil, nil
	if c.state == stateOpen {
		// Closing with its deadline already passed: the wheel closes the
		// fd at its next walk, off this (possibly the room's) goroutine.
		c.state = stateClosing
		c.since = c.srv.wheel.now() - int64(c.srv.cfg.CloseTimeout)
		c.srv.wheel.arm(c, c.since)
	}
}

// abortLocked gives up on a peer that does not read: no close frame can
// reach it through a full socket buffer, so the socket is closed soon.
func (c *Conn) abortLocked() {
	c.srv.logClose(c.logArgsLocked("pending", len(c.rest)), ws.StatusPolicyViolation, "too slow: not reading its snapshots", false)
	c.failLocked()
	c.closeCode = uint16(ws.StatusPolicyViolation)
	c.srv.stats.closed(ws.StatusPolicyViolation)
}

// wsHeaderBinary is the header of a final, unmasked binary frame of n
// bytes: what the server sends.
func wsHeaderBinary(n int) ws.Header {
	return ws.Header{Fin: true, OpCode: ws.OpBinary, Length: int64(n)}
}
