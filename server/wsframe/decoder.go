package wsframe

import (
	"fmt"

	"github.com/gobwas/ws"
)

// Message is what a Decoder delivers: a whole data message (its fragments
// joined) or one control frame, unmasked.
type Message struct {
	OpCode  ws.OpCode // OpBinary, OpText or a control opcode
	Payload []byte
}

// Error is a violation that fails the connection, with the close code
// RFC 6455 gives it.
type Error struct {
	Code   ws.StatusCode // 1002 protocol error or 1009 message too big
	Reason string
}

func (e *Error) Error() string { return fmt.Sprintf("websocket %d: %s", e.Code, e.Reason) }

// Decoder turns frames into messages for one side of one connection. It
// checks every header (ws.CheckHeader), bounds messages, unmasks payloads
// in place and joins fragments. It keeps no buffer between frames except
// the fragments of a message being joined; keeping the bytes of an
// incomplete frame is the caller's job, because the caller knows when that
// memory can be dropped. The zero Decoder is a server-side decoder with no
// size limit; owned by one goroutine at a time.
type Decoder struct {
	// Side is ws.StateServerSide (frames must be masked) or
	// ws.StateClientSide (frames must not be).
	Side ws.State
	// MaxMessage bounds a message, all fragments together; 0 means no
	// bound.
	MaxMessage int64

	msg        []byte // fragments joined so far
	op         ws.OpCode
	fragmented bool
}

// Next decodes the frame at the start of b. n is the bytes it took: 0 when
// b holds no complete frame yet (wait for more). ok reports that the frame
// completed a message or was a control frame, which m then holds; its
// payload aliases b or the decoder's fragment buffer and is valid until the
// next call. A violation returns an *Error; the connection is then done.
func (d *Decoder) Next(b []byte) (m Message, n int, ok bool, err error) {
	h, hn, complete := ParseHeader(b)
	if !complete {
		return m, 0, false, nil
	}
	side := d.Side
	if side == 0 {
		side = ws.StateServerSide
	}
	if d.fragmented {
		side |= ws.StateFragmented
	}
	if cerr := ws.CheckHeader(h, side); cerr != nil {
		return m, 0, false, &Error{Code: ws.StatusProtocolError, Reason: cerr.Error()}
	}
	if limit := d.MaxMessage; limit > 0 && (h.Length > limit || h.OpCode == ws.OpContinuation && int64(len(d.msg))+h.Length > limit) {
		return m, 0, false, &Error{Code: ws.StatusMessageTooBig, Reason: fmt.Sprintf("message larger than %d bytes", limit)}
	}
	if int64(len(b)-hn) < h.Length {
		return m, 0, false, nil
	}
	n = hn + int(h.Length)
	payload := b[hn:n]
	if h.Masked {
		ws.Cipher(payload, h.Mask, 0)
	}
	switch {
	case h.OpCode.IsControl():
		return Message{OpCode: h.OpCode, Payload: payload}, n, true, nil
	case h.OpCode != ws.OpContinuation && h.Fin:
		return Message{OpCode: h.OpCode, Payload: payload}, n, true, nil
	case h.OpCode != ws.OpContinuation:
		d.fragmented, d.op = true, h.OpCode
		d.msg = append(d.msg[:0], payload...)
		return m, n, false, nil
	}
	d.msg = append(d.msg, payload...)
	if !h.Fin {
		return m, n, false, nil
	}
	m = Message{OpCode: d.op, Payload: d.msg}
	d.msg, d.fragmented = nil, false
	return m, n, true, nil
}

// Fragmented reports whether a fragmented message is being joined.
func (d *Decoder) Fragmented() bool { return d.fragmented }

// Buffered is the bytes of fragments held for the message being joined.
func (d *Decoder) Buffered() int { return len(d.msg) }
