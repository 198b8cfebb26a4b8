package server

import (
	"encoding/binary"

	"github.com/gobwas/ws"
)

// parseHeader parses a WebSocket frame header at the start of b, with the
// semantics of ws.ReadHeader but without a reader: ok is false when b holds
// only part of the header. n is the header's size.
func parseHeader(b []byte) (h ws.Header, n int, ok bool) {
	if len(b) < 2 {
		return h, 0, false
	}
	h.Fin = b[0]&0x80 != 0
	h.Rsv = (b[0] & 0x70) >> 4
	h.OpCode = ws.OpCode(b[0] & 0x0f)
	h.Masked = b[1]&0x80 != 0
	n = 2
	switch l := b[1] & 0x7f; l {
	case 126:
		n += 2
	case 127:
		n += 8
	default:
		h.Length = int64(l)
	}
	if h.Masked {
		n += 4
	}
	if len(b) < n {
		return h, 0, false
	}
	switch b[1] & 0x7f {
	case 126:
		h.Length = int64(binary.BigEndian.Uint16(b[2:]))
	case 127:
		// The most significant bit must be 0; a negative length makes the
		// frame "too big" for every limit, which is how it is refused.
		h.Length = int64(binary.BigEndian.Uint64(b[2:]) & (1<<63 - 1))
		if b[2]&0x80 != 0 {
			h.Length = 1<<63 - 1
		}
	}
	if h.Masked {
		copy(h.Mask[:], b[n-4:n])
	}
	return h, n, true
}

// appendFrameHeader appends an unmasked (server) frame header.
func appendFrameHeader(dst []byte, op ws.OpCode, length int) []byte {
	dst = append(dst, 0x80|byte(op))
	switch {
	case length < 126:
		dst = append(dst, byte(length))
	case length <= 0xffff:
		dst = append(dst, 126, byte(length>>8), byte(length))
	default:
		dst = append(dst, 127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(length))
	}
	return dst
}

// binaryFrame returns a new complete binary frame carrying payload.
func binaryFrame(payload []byte) []byte {
	f := make([]byte, 0, ws.MaxHeaderSize+len(payload))
	f = appendFrameHeader(f, ws.OpBinary, len(payload))
	return append(f, payload...)
}

// controlFrame returns a new complete control frame.
func controlFrame(op ws.OpCode, payload []byte) []byte {
	f := make([]byte, 0, 2+len(payload))
	f = appendFrameHeader(f, op, len(payload))
	return append(f, payload...)
}

// closeFrame returns a close frame with code and reason.
func closeFrame(code ws.StatusCode, reason string) []byte {
	if len(reason) > 123 {
		reason = reason[:123]
	}
	return controlFrame(ws.OpClose, ws.NewCloseFrameBody(code, reason))
}
