// Package wsframe encodes and incrementally decodes RFC 6455 WebSocket
// frames on byte slices. The server and the bots read non-blocking into
// buffers that may end anywhere inside a frame, so they cannot use the
// io.Reader-based ws.ReadHeader; this package gives the same header
// semantics on bytes, reporting "not enough yet" instead of blocking, and
// uses gobwas/ws's types and checks for everything else. It is the one
// frame codec of the project: server, bots and the baseline server use it.
package wsframe

import (
	"encoding/binary"

	"github.com/gobwas/ws"
)

// MaxHeaderSize is the longest frame header: 2 + 8 (length) + 4 (mask).
const MaxHeaderSize = ws.MaxHeaderSize

// ParseHeader parses the frame header at the start of b with the semantics
// of ws.ReadHeader. ok is false while b holds only part of the header; n is
// the header's size. A 64-bit length with its most significant bit set
// (forbidden by RFC 6455) parses as the largest int64, so every size limit
// refuses it.
func ParseHeader(b []byte) (h ws.Header, n int, ok bool) {
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

// AppendHeader appends h as it is, valid or not (the abuse bots send
// invalid ones on purpose): Fin, Rsv, OpCode, Length and, when Masked,
// Mask.
func AppendHeader(dst []byte, h ws.Header) []byte {
	b0 := byte(h.OpCode)&0x0f | (h.Rsv&0x7)<<4
	if h.Fin {
		b0 |= 0x80
	}
	var mb byte
	if h.Masked {
		mb = 0x80
	}
	switch n := h.Length; {
	case n < 126:
		dst = append(dst, b0, mb|byte(n))
	case n <= 0xffff:
		dst = append(dst, b0, mb|126)
		dst = binary.BigEndian.AppendUint16(dst, uint16(n))
	default:
		dst = append(dst, b0, mb|127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	if h.Masked {
		dst = append(dst, h.Mask[:]...)
	}
	return dst
}

// AppendFrame appends one whole final frame of op carrying payload. A
// client frame passes its masking key (RFC 6455 asks for a fresh random
// one per frame); a server frame passes nil and goes unmasked.
func AppendFrame(dst []byte, op ws.OpCode, payload []byte, mask *[4]byte) []byte {
	h := ws.Header{Fin: true, OpCode: op, Length: int64(len(payload))}
	if mask != nil {
		h.Masked, h.Mask = true, *mask
	}
	dst = AppendHeader(dst, h)
	start := len(dst)
	dst = append(dst, payload...)
	if mask != nil {
		ws.Cipher(dst[start:], h.Mask, 0)
	}
	return dst
}

// MaxCloseReason is the longest close reason that fits a control frame
// (125 bytes less the 2-byte code).
const MaxCloseReason = ws.MaxControlFramePayloadSize - 2

// AppendClose appends a close frame with code and reason, the reason cut
// to MaxCloseReason bytes.
func AppendClose(dst []byte, code ws.StatusCode, reason string, mask *[4]byte) []byte {
	if len(reason) > MaxCloseReason {
		reason = reason[:MaxCloseReason]
	}
	return AppendFrame(dst, ws.OpClose, ws.NewCloseFrameBody(code, reason), mask)
}
