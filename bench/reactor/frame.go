package reactor

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"

	"github.com/gobwas/ws"
	"google.golang.org/protobuf/proto"

	"github.com/skirmishgg/skirmish/server/wsframe"
)

// MaskKey returns a fresh masking key, as RFC 6455 asks of clients.
func MaskKey() (k [4]byte) {
	binary.LittleEndian.PutUint32(k[:], rand.Uint32())
	return k
}

// AppendMessageFrame marshals m straight into a binary frame appended to
// dst, without an intermediate payload buffer; masked with mask unless it
// is nil.
func AppendMessageFrame(dst []byte, m proto.Message, mask *[4]byte) ([]byte, error) {
	size := proto.Size(m)
	h := ws.Header{Fin: true, OpCode: ws.OpBinary, Length: int64(size)}
	if mask != nil {
		h.Masked, h.Mask = true, *mask
	}
	dst = wsframe.AppendHeader(dst, h)
	start := len(dst)
	dst, err := proto.MarshalOptions{}.MarshalAppend(dst, m)
	if err != nil {
		return dst[:start], fmt.Errorf("marshal %T: %w", m, err)
	}
	if len(dst)-start != size {
		return dst[:start], fmt.Errorf("marshal %T: size %d, wrote %d", m, size, len(dst)-start)
	}
	if mask != nil {
		ws.Cipher(dst[start:], h.Mask, 0)
	}
	return dst, nil
}

// Sink receives the messages that a FrameReader decodes.
type Sink interface {
	// OnMessage gets one whole message (continuations already joined,
	// unmasked) or control frame. payload is only valid during the call.
	OnMessage(op ws.OpCode, payload []byte)
}

// FrameReader turns a byte stream into messages with a wsframe.Decoder,
// keeping only an incomplete frame (bounded by the limit) between calls.
// It allocates nothing while frames arrive whole. Owned by one goroutine
// at a time.
type FrameReader struct {
	dec     wsframe.Decoder
	partial []byte // bytes of an incomplete frame
}

// partialKeep is the capacity above which an emptied partial buffer is
// dropped rather than kept, so that idle connections hold no buffer.
const partialKeep = 16 << 10

// Feed consumes data (which the reader may modify in place), frames sent
// to side (ws.StateClientSide for a bot, ws.StateServerSide for a server)
// with messages of at most maxFrame bytes, and calls sink for every
// complete message. It returns the number of wire bytes of the complete
// frames and the payload bytes of the complete messages.
func (r *FrameReader) Feed(data []byte, side ws.State, maxFrame int64, sink Sink) (wire, payload int, err error) {
	r.dec.Side, r.dec.MaxMessage = side, maxFrame
	inPartial := len(r.partial) > 0
	if inPartial {
		r.partial = append(r.partial, data...)
		data = r.partial
	}
	off := 0
	for off < len(data) {
		m, n, ok, derr := r.dec.Next(data[off:])
		if derr != nil {
			return wire, payload, derr
		}
		if n == 0 {
			break
		}
		off += n
		wire += n
		if ok {
			payload += len(m.Payload)
			sink.OnMessage(m.OpCode, m.Payload)
		}
	}
	r.keep(data, off, inPartial)
	return wire, payload, nil
}

// keep stores data[off:] (the start of an incomplete frame) for the next
// Feed; inPartial tells that data is r.partial itself.
func (r *FrameReader) keep(data []byte, off int, inPartial bool) {
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

// Buffered is how many bytes of an incomplete frame are held.
func (r *FrameReader) Buffered() int { return len(r.partial) + r.dec.Buffered() }

// Preload keeps a copy of data, bytes that arrived before the reader
// took over (after an HTTP upgrade), to be parsed first by the next Feed.
func (r *FrameReader) Preload(data []byte) {
	r.partial = append(r.partial[:0], data...)
}
