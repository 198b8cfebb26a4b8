package bench

import (
	"bytes"
	"errors"
	"testing"

	"github.com/gobwas/ws"
)

type msgRec struct {
	op ws.OpCode
	p  []byte
}

type recSink struct{ got []msgRec }

func (s *recSink) onMessage(op ws.OpCode, p []byte) {
	s.got = append(s.got, msgRec{op, bytes.Clone(p)})
}

func TestParseFrameHeaderMatchesGobwas(t *testing.T) {
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
			for cut := 0; cut < len(b); cut++ {
				if _, m, err := parseFrameHeader(b[:cut]); m != 0 || err != nil {
					t.Fatalf("len %d masked %v: %d of %d bytes parsed as a header", n, masked, cut, len(b))
				}
			}
			got, m, err := parseFrameHeader(b)
			if err != nil || m != len(b) || got != h {
				t.Fatalf("parse(%+v) = %+v, %d, %v (header %d bytes)", h, got, m, err, len(b))
			}
			// And our writer agrees with gobwas's.
			if mine := appendFrameHeader(nil, ws.OpBinary, int(n), masked, h.Mask); n < 1<<31 && !bytes.Equal(mine, b) {
				t.Fatalf("appendFrameHeader(%d, %v) = %x, gobwas %x", n, masked, mine, b)
			}
		}
	}
	if _, _, err := parseFrameHeader([]byte{0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0}); err == nil {
		t.Fatal("length with the top bit set accepted")
	}
}

func TestFrameReaderAnySplit(t *testing.T) {
	var stream []byte
	stream = appendFrame(stream, ws.OpBinary, []byte("hello"), false, [4]byte{})
	stream = appendFrame(stream, ws.OpPing, []byte("p"), true, [4]byte{9, 8, 7, 6})
	stream = appendFrame(stream, ws.OpBinary, bytes.Repeat([]byte{7}, 70000), true, [4]byte{1, 2, 3, 4})
	// A fragmented message with a ping in the middle.
	stream = appendRawHeader(stream, false, 0, ws.OpBinary, 3, false, [4]byte{})
	stream = append(stream, "abc"...)
	stream = appendFrame(stream, ws.OpPing, nil, false, [4]byte{})
	stream = appendRawHeader(stream, true, 0, ws.OpContinuation, 2, false, [4]byte{})
	stream = append(stream, "de"...)
	want := []msgRec{
		{ws.OpBinary, []byte("hello")},
		{ws.OpPing, []byte("p")},
		{ws.OpBinary, bytes.Repeat([]byte{7}, 70000)},
		{ws.OpPing, []byte{}},
		{ws.OpBinary, []byte("abcde")},
	}
	for _, chunk := range []int{1, 2, 3, 7, 100, 4096, len(stream)} {
		var r frameReader
		var s recSink
		wire := 0
		for off := 0; off < len(stream); off += chunk {
			data := bytes.Clone(stream[off:min(off+chunk, len(stream))])
			w, _, err := r.feed(data, 1<<20, &s)
			if err != nil {
				t.Fatalf("chunk %d: %v", chunk, err)
			}
			wire += w
		}
		if wire != len(stream) || r.buffered() != 0 {
			t.Fatalf("chunk %d: %d wire bytes counted, %d left buffered, stream %d", chunk, wire, r.buffered(), len(stream))
		}
		if len(s.got) != len(want) {
			t.Fatalf("chunk %d: %d messages, want %d", chunk, len(s.got), len(want))
		}
		for i := range want {
			if s.got[i].op != want[i].op || !bytes.Equal(s.got[i].p, want[i].p) {
				t.Fatalf("chunk %d: message %d = %v %q..., want %v", chunk, i, s.got[i].op, s.got[i].p[:min(8, len(s.got[i].p))], want[i].op)
			}
		}
	}
}

func TestFrameReaderErrors(t *testing.T) {
	cases := map[string][]byte{
		"too big":          appendRawHeader(nil, true, 0, ws.OpBinary, 2<<20, false, [4]byte{}),
		"reserved opcode":  appendFrame(nil, ws.OpCode(3), nil, false, [4]byte{}),
		"rsv bits":         appendRawHeader(nil, true, 4, ws.OpBinary, 0, false, [4]byte{}),
		"long control":     appendFrame(nil, ws.OpPing, make([]byte, 126), false, [4]byte{}),
		"orphan continue":  appendFrame(nil, ws.OpContinuation, []byte{1}, false, [4]byte{}),
		"fragmented close": appendRawHeader(nil, false, 0, ws.OpClose, 0, false, [4]byte{}),
	}
	for name, data := range cases {
		var r frameReader
		_, _, err := r.feed(data, 1<<20, &recSink{})
		if !errors.Is(err, errFrameBig) && !errors.Is(err, errFrameProtocol) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestFrameReaderReleasesBuffer(t *testing.T) {
	var r frameReader
	big := appendFrame(nil, ws.OpBinary, make([]byte, 100000), false, [4]byte{})
	if _, _, err := r.feed(bytes.Clone(big[:50000]), 1<<20, &recSink{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.feed(bytes.Clone(big[50000:]), 1<<20, &recSink{}); err != nil {
		t.Fatal(err)
	}
	if r.partial != nil {
		t.Fatalf("a %d-byte buffer kept after the frame completed", cap(r.partial))
	}
}
