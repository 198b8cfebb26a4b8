package server

import (
	"bytes"
	"testing"

	"github.com/gobwas/ws"
)

// FuzzParseHeader checks parseHeader against gobwas/ws's ReadHeader, the
// reference: on every input both agree on the header and its size, and
// parseHeader never claims a header from fewer bytes than it needs.
func FuzzParseHeader(f *testing.F) {
	for _, seed := range [][]byte{
		ws.MustCompileFrame(ws.MaskFrame(ws.NewBinaryFrame([]byte("hello")))),
		ws.MustCompileFrame(ws.MaskFrame(ws.NewBinaryFrame(make([]byte, 300)))),
		ws.MustCompileFrame(ws.MaskFrame(ws.NewBinaryFrame(make([]byte, 70000)))),
		ws.MustCompileFrame(ws.NewTextFrame([]byte("unmasked"))),
		ws.MustCompileFrame(ws.MaskFrame(ws.NewCloseFrame(ws.NewCloseFrameBody(1000, "")))),
		{0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4},
		{0x82},
		{},
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, n, ok := parseHeader(b)
		want, err := ws.ReadHeader(bytes.NewReader(b))
		if !ok {
			if err == nil {
				t.Fatalf("parseHeader wants more bytes, ReadHeader parsed %+v from %d", want, len(b))
			}
			return
		}
		if err != nil {
			// Only the 64-bit length with its top bit set is refused by
			// ReadHeader; parseHeader turns it into "too big".
			if err != ws.ErrHeaderLengthMSB || h.Length != 1<<63-1 {
				t.Fatalf("parseHeader ok (%+v), ReadHeader: %v", h, err)
			}
			return
		}
		if h != want {
			t.Fatalf("parseHeader %+v, ReadHeader %+v", h, want)
		}
		// The size is what the encoding used, which need not be minimal.
		size := 2
		switch b[1] & 0x7f {
		case 126:
			size += 2
		case 127:
			size += 8
		}
		if want.Masked {
			size += 4
		}
		if n != size {
			t.Fatalf("size %d, want %d", n, size)
		}
	})
}

func TestAppendFrameHeaderRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 125, 126, 65535, 65536, 1 << 20} {
		b := appendFrameHeader(nil, ws.OpBinary, n)
		h, size, ok := parseHeader(b)
		if !ok || size != len(b) || h.Length != int64(n) || !h.Fin || h.OpCode != ws.OpBinary || h.Masked {
			t.Fatalf("length %d: header %+v size %d ok %v", n, h, size, ok)
		}
	}
}
