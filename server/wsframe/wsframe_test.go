package wsframe

import (
	"bytes"
	"errors"
	"strings"
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
		h, n, ok := ParseHeader(b)
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

// TestHeaderMatchesGobwas holds ParseHeader and AppendHeader to
// ws.WriteHeader for every length class, masked and not, and checks that
// no prefix of a header parses.
func TestHeaderMatchesGobwas(t *testing.T) {
	for _, n := range []int64{0, 1, 125, 126, 127, 65535, 65536, 1 << 40} {
		for _, masked := range []bool{false, true} {
			h := ws.Header{Fin: true, OpCode: ws.OpBinary, Length: n, Masked: masked}
			if masked {
				h.Mask = [4]byte{1, 2, 3, 4}
			}
			var buf bytes.Buffer
			if err := ws.WriteHeader(&buf, h); err != nil {
				t.Fatal(err)
			}
			b := buf.Bytes()
			for cut := range len(b) {
				if _, _, ok := ParseHeader(b[:cut]); ok {
					t.Fatalf("len %d masked %v: %d of %d bytes parsed as a header", n, masked, cut, len(b))
				}
			}
			got, size, ok := ParseHeader(b)
			if !ok || size != len(b) || got != h {
				t.Fatalf("parse(%+v) = %+v, %d, %v (header %d bytes)", h, got, size, ok, len(b))
			}
			if mine := AppendHeader(nil, h); !bytes.Equal(mine, b) {
				t.Fatalf("AppendHeader(%+v) = %x, gobwas %x", h, mine, b)
			}
		}
	}
}

func TestAppendFrameMasksForClients(t *testing.T) {
	key := [4]byte{9, 8, 7, 6}
	f := AppendFrame(nil, ws.OpBinary, []byte("hello"), &key)
	frame, err := ws.ReadFrame(bytes.NewReader(f))
	if err != nil {
		t.Fatal(err)
	}
	if !frame.Header.Masked || frame.Header.Mask != key || string(ws.UnmaskFrame(frame).Payload) != "hello" {
		t.Fatalf("masked frame %+v", frame.Header)
	}
	c := AppendClose(nil, ws.StatusGoingAway, strings.Repeat("x", 200), nil)
	frame, err = ws.ReadFrame(bytes.NewReader(c))
	if err != nil {
		t.Fatal(err)
	}
	code, reason := ws.ParseCloseFrameData(frame.Payload)
	if frame.Header.Masked || code != ws.StatusGoingAway || len(reason) != MaxCloseReason {
		t.Fatalf("close frame %+v: code %d, reason of %d bytes", frame.Header, code, len(reason))
	}
}

// feedAll runs a Decoder over stream cut into chunks, keeping the bytes of
// an incomplete frame between chunks as its callers do.
func feedAll(t *testing.T, d *Decoder, stream []byte, chunk int) ([]Message, error) {
	t.Helper()
	var got []Message
	var partial []byte
	for off := 0; off < len(stream); off += chunk {
		buf := append(partial, stream[off:min(off+chunk, len(stream))]...)
		used := 0
		for {
			m, n, ok, err := d.Next(buf[used:])
			if err != nil {
				return got, err
			}
			if n == 0 {
				break
			}
			used += n
			if ok {
				got = append(got, Message{m.OpCode, bytes.Clone(m.Payload)})
			}
		}
		partial = bytes.Clone(buf[used:])
	}
	if len(partial) != 0 {
		t.Fatalf("chunk %d: %d bytes left over", chunk, len(partial))
	}
	return got, nil
}

func TestDecoderAnySplit(t *testing.T) {
	key := &[4]byte{1, 2, 3, 4}
	var stream []byte
	stream = AppendFrame(stream, ws.OpBinary, []byte("hello"), key)
	stream = AppendFrame(stream, ws.OpPing, []byte("p"), key)
	stream = AppendFrame(stream, ws.OpBinary, bytes.Repeat([]byte{7}, 70000), key)
	// A fragmented message with a ping in the middle.
	stream = AppendHeader(stream, ws.Header{OpCode: ws.OpBinary, Length: 3, Masked: true})
	stream = append(stream, "abc"...)
	stream = AppendFrame(stream, ws.OpPing, nil, key)
	stream = AppendHeader(stream, ws.Header{Fin: true, OpCode: ws.OpContinuation, Length: 2, Masked: true})
	stream = append(stream, "de"...)
	want := []Message{
		{ws.OpBinary, []byte("hello")},
		{ws.OpPing, []byte("p")},
		{ws.OpBinary, bytes.Repeat([]byte{7}, 70000)},
		{ws.OpPing, []byte{}},
		{ws.OpBinary, []byte("abcde")},
	}
	for _, chunk := range []int{1, 2, 3, 7, 100, 4096, len(stream)} {
		d := Decoder{MaxMessage: 1 << 20}
		got, err := feedAll(t, &d, bytes.Clone(stream), chunk)
		if err != nil {
			t.Fatalf("chunk %d: %v", chunk, err)
		}
		if len(got) != len(want) {
			t.Fatalf("chunk %d: %d messages, want %d", chunk, len(got), len(want))
		}
		for i := range want {
			if got[i].OpCode != want[i].OpCode || !bytes.Equal(got[i].Payload, want[i].Payload) {
				t.Fatalf("chunk %d: message %d = %v %q..., want %v", chunk, i, got[i].OpCode, got[i].Payload[:min(8, len(got[i].Payload))], want[i].OpCode)
			}
		}
		if d.Fragmented() || d.Buffered() != 0 {
			t.Fatalf("chunk %d: decoder still holds a message", chunk)
		}
	}
}

func TestDecoderErrors(t *testing.T) {
	key := &[4]byte{5, 6, 7, 8}
	masked := func(h ws.Header) []byte {
		h.Masked, h.Mask = true, *key
		return AppendHeader(nil, h)
	}
	// Two fragments each within the limit, together over it.
	fragments := append(masked(ws.Header{OpCode: ws.OpBinary, Length: 300}), make([]byte, 300)...)
	fragments = append(fragments, masked(ws.Header{Fin: true, OpCode: ws.OpContinuation, Length: 300})...)
	fragments = append(fragments, make([]byte, 300)...)
	cases := []struct {
		name   string
		side   ws.State
		stream []byte
		code   ws.StatusCode
	}{
		{"too big", ws.StateServerSide, masked(ws.Header{Fin: true, OpCode: ws.OpBinary, Length: 2000}), ws.StatusMessageTooBig},
		{"too big in fragments", ws.StateServerSide, fragments, ws.StatusMessageTooBig},
		{"2^63 length", ws.StateServerSide, []byte{0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4}, ws.StatusMessageTooBig},
		{"reserved opcode", ws.StateServerSide, AppendFrame(nil, ws.OpCode(3), nil, key), ws.StatusProtocolError},
		{"rsv bits", ws.StateServerSide, masked(ws.Header{Fin: true, Rsv: 4, OpCode: ws.OpBinary}), ws.StatusProtocolError},
		{"long control", ws.StateServerSide, AppendFrame(nil, ws.OpPing, make([]byte, 126), key), ws.StatusProtocolError},
		{"orphan continuation", ws.StateServerSide, AppendFrame(nil, ws.OpContinuation, []byte{1}, key), ws.StatusProtocolError},
		{"fragmented close", ws.StateServerSide, masked(ws.Header{OpCode: ws.OpClose}), ws.StatusProtocolError},
		{"new message inside a fragmented one", ws.StateServerSide, append(masked(ws.Header{OpCode: ws.OpBinary}), masked(ws.Header{Fin: true, OpCode: ws.OpBinary})...), ws.StatusProtocolError},
		{"unmasked to a server", ws.StateServerSide, AppendFrame(nil, ws.OpBinary, []byte{1}, nil), ws.StatusProtocolError},
		{"masked to a client", ws.StateClientSide, AppendFrame(nil, ws.OpBinary, []byte{1}, key), ws.StatusProtocolError},
	}
	for _, c := range cases {
		d := Decoder{Side: c.side, MaxMessage: 512}
		_, err := feedAll(t, &d, c.stream, len(c.stream))
		var e *Error
		if !errors.As(err, &e) || e.Code != c.code {
			t.Errorf("%s: err = %v, want close code %d", c.name, err, c.code)
		}
	}
}
