package bench

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/gobwas/ws"
	"google.golang.org/protobuf/proto"
)

// Frame encoding and incremental decoding on byte slices. The bots and the
// baseline server read non-blocking into buffers, so they cannot use the
// io.Reader-based ws.ReadHeader: parseFrameHeader does the same on bytes and
// reports "not enough yet" instead of blocking.

// maxHeaderLen is the longest frame header: 2 + 8 (length) + 4 (mask).
const maxHeaderLen = 14

var errFrameTooLong = errors.New("frame length has the most significant bit set")

// parseFrameHeader decodes the frame header at the start of b. It returns
// n == 0 (and no error) when b does not yet hold the whole header.
func parseFrameHeader(b []byte) (h ws.Header, n int, err error) {
	if len(b) < 2 {
		return h, 0, nil
	}
	h.Fin = b[0]&0x80 != 0
	h.Rsv = (b[0] >> 4) & 0x7
	h.OpCode = ws.OpCode(b[0] & 0x0f)
	h.Masked = b[1]&0x80 != 0
	n = 2
	switch l := b[1] & 0x7f; l {
	case 126:
		if len(b) < 4 {
			return h, 0, nil
		}
		h.Length = int64(binary.BigEndian.Uint16(b[2:4]))
		n = 4
	case 127:
		if len(b) < 10 {
			return h, 0, nil
		}
		u := binary.BigEndian.Uint64(b[2:10])
		if u>>63 != 0 {
			return h, 0, errFrameTooLong
		}
		h.Length = int64(u)
		n = 10
	default:
		h.Length = int64(l)
	}
	if h.Masked {
		if len(b) < n+4 {
			return h, 0, nil
		}
		copy(h.Mask[:], b[n:n+4])
		n += 4
	}
	return h, n, nil
}

// appendFrameHeader appends a frame header (FIN set) for a payload of
// length n, masked with key when masked is true.
func appendFrameHeader(dst []byte, op ws.OpCode, n int, masked bool, key [4]byte) []byte {
	return appendRawHeader(dst, true, 0, op, int64(n), masked, key)
}

// appendRawHeader appends any header, including invalid ones (the abuse
// scenario needs those).
func appendRawHeader(dst []byte, fin bool, rsv byte, op ws.OpCode, n int64, masked bool, key [4]byte) []byte {
	b0 := byte(op) & 0x0f
	if fin {
		b0 |= 0x80
	}
	b0 |= (rsv & 0x7) << 4
	var mb byte
	if masked {
		mb = 0x80
	}
	switch {
	case n < 126:
		dst = append(dst, b0, mb|byte(n))
	case n <= 0xffff:
		dst = append(dst, b0, mb|126)
		dst = binary.BigEndian.AppendUint16(dst, uint16(n))
	default:
		dst = append(dst, b0, mb|127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	if masked {
		dst = append(dst, key[:]...)
	}
	return dst
}

// appendFrame appends one whole frame carrying p.
func appendFrame(dst []byte, op ws.OpCode, p []byte, masked bool, key [4]byte) []byte {
	dst = appendFrameHeader(dst, op, len(p), masked, key)
	start := len(dst)
	dst = append(dst, p...)
	if masked {
		ws.Cipher(dst[start:], key, 0)
	}
	return dst
}

// appendMessageFrame marshals m straight into a binary frame appended to
// dst, without an intermediate payload buffer.
func appendMessageFrame(dst []byte, m proto.Message, masked bool, key [4]byte) ([]byte, error) {
	size := proto.Size(m)
	dst = appendFrameHeader(dst, ws.OpBinary, size, masked, key)
	start := len(dst)
	dst, err := proto.MarshalOptions{}.MarshalAppend(dst, m)
	if err != nil {
		return dst[:start], fmt.Errorf("marshal %T: %w", m, err)
	}
	if len(dst)-start != size {
		return dst[:start], fmt.Errorf("marshal %T: size %d, wrote %d", m, size, len(dst)-start)
	}
	if masked {
		ws.Cipher(dst[start:], key, 0)
	}
	return dst, nil
}

// frameSink receives the frames that a frameReader decodes.
type frameSink interface {
	// onMessage gets one whole message (continuations already joined,
	// unmasked). payload is only valid during the call.
	onMessage(op ws.OpCode, payload []byte)
}

// frameReader turns a byte stream into messages. It keeps only an
// incomplete frame (bounded by maxFrame) between calls, and allocates
// nothing while frames arrive whole. Owned by one goroutine at a time.
type frameReader struct {
	partial  []byte // bytes of an incomplete frame
	frag     []byte // payload of a fragmented message being joined
	fragOp   ws.OpCode
	fragging bool
}

// Frame stream errors; the caller closes the connection on any of them.
var (
	errFrameBig      = errors.New("frame larger than the limit")
	errFrameProtocol = errors.New("frame protocol violation")
)

// partialKeep is the capacity above which an emptied partial buffer is
// dropped rather than kept, so that idle connections hold no buffer.
const partialKeep = 16 << 10

// feed consumes data (which the reader may modify in place) and calls sink
// for every complete message. It returns the number of wire bytes of the
// complete frames and the payload bytes of the complete messages.
func (r *frameReader) feed(data []byte, maxFrame int64, sink frameSink) (wire, payload int, err error) {
	inPartial := len(r.partial) > 0
	if inPartial {
		r.partial = append(r.partial, data...)
		data = r.partial
	}
	off := 0
	for off < len(data) {
		h, n, herr := parseFrameHeader(data[off:])
		if herr != nil {
			return wire, payload, fmt.Errorf("%w: %v", errFrameProtocol, herr)
		}
		if n == 0 {
			break
		}
		if h.Length > maxFrame {
			return wire, payload, fmt.Errorf("%w: %d > %d bytes", errFrameBig, h.Length, maxFrame)
		}
		if int64(len(data)-off-n) < h.Length {
			break
		}
		p := data[off+n : off+n+int(h.Length)]
		if h.Masked {
			ws.Cipher(p, h.Mask, 0)
		}
		off += n + int(h.Length)
		wire += n + int(h.Length)
		if perr := r.frame(h, p, maxFrame, sink, &payload); perr != nil {
			return wire, payload, perr
		}
	}
	r.keep(data, off, inPartial)
	return wire, payload, nil
}

func (r *frameReader) frame(h ws.Header, p []byte, maxFrame int64, sink frameSink, payload *int) error {
	if h.Rsv != 0 {
		return fmt.Errorf("%w: reserved bits %03b", errFrameProtocol, h.Rsv)
	}
	switch {
	case h.OpCode.IsControl():
		if !h.Fin || h.Length > 125 {
			return fmt.Errorf("%w: control frame fragmented or longer than 125", errFrameProtocol)
		}
		*payload += len(p)
		sink.onMessage(h.OpCode, p)
	case h.OpCode == ws.OpContinuation:
		if !r.fragging {
			return fmt.Errorf("%w: continuation without a start", errFrameProtocol)
		}
		if int64(len(r.frag)+len(p)) > maxFrame {
			return fmt.Errorf("%w: fragmented message over %d bytes", errFrameBig, maxFrame)
		}
		r.frag = append(r.frag, p...)
		if h.Fin {
			*payload += len(r.frag)
			sink.onMessage(r.fragOp, r.frag)
			r.fragging = false
			r.frag = nil
		}
	case h.OpCode == ws.OpBinary || h.OpCode == ws.OpText:
		if r.fragging {
			return fmt.Errorf("%w: new message inside a fragmented one", errFrameProtocol)
		}
		if h.Fin {
			*payload += len(p)
			sink.onMessage(h.OpCode, p)
			return nil
		}
		r.fragging = true
		r.fragOp = h.OpCode
		r.frag = append(r.frag[:0], p...)
	default:
		return fmt.Errorf("%w: reserved opcode %d", errFrameProtocol, h.OpCode)
	}
	return nil
}

// keep stores data[off:] (the start of an incomplete frame) for the next
// feed; inPartial tells that data is r.partial itself.
func (r *frameReader) keep(data []byte, off int, inPartial bool) {
	rest := len(data) - off
	switch {
	case rest == 0:
		if cap(r.partial) > partialKeep {
			r.partial = nil
		} else {
			r.partial = r.partial[:0]
		}
	case inPartial:
		n := copy(r.partial, data[off:])
		r.partial = r.partial[:n]
	default:
		r.partial = append(r.partial[:0], data[off:]...)
	}
}

// buffered is how many bytes of an incomplete frame are held.
func (r *frameReader) buffered() int { return len(r.partial) + len(r.frag) }
