package reactor

import (
	"bytes"
	"testing"

	"github.com/gobwas/ws"

	"github.com/skirmishgg/skirmish/server/wsframe"
)

type msgRec struct {
	op ws.OpCode
	p  []byte
}

type recSink struct{ got []msgRec }

func (s *recSink) OnMessage(op ws.OpCode, p []byte) {
	s.got = append(s.got, msgRec{op, bytes.Clone(p)})
}

// TestFrameReaderAnySplit checks the partial-frame keeping around
// wsframe.Decoder: whatever the read sizes, the same messages come out and
// nothing stays buffered.
func TestFrameReaderAnySplit(t *testing.T) {
	var stream []byte
	stream = wsframe.AppendFrame(stream, ws.OpBinary, []byte("hello"), nil)
	stream = wsframe.AppendFrame(stream, ws.OpPing, []byte("p"), nil)
	stream = wsframe.AppendFrame(stream, ws.OpBinary, bytes.Repeat([]byte{7}, 70000), nil)
	stream = wsframe.AppendHeader(stream, ws.Header{OpCode: ws.OpBinary, Length: 3})
	stream = append(stream, "abc"...)
	stream = wsframe.AppendHeader(stream, ws.Header{Fin: true, OpCode: ws.OpContinuation, Length: 2})
	stream = append(stream, "de"...)
	want := []msgRec{
		{ws.OpBinary, []byte("hello")},
		{ws.OpPing, []byte("p")},
		{ws.OpBinary, bytes.Repeat([]byte{7}, 70000)},
		{ws.OpBinary, []byte("abcde")},
	}
	for _, chunk := range []int{1, 2, 3, 7, 100, 4096, len(stream)} {
		var r FrameReader
		var s recSink
		wire := 0
		for off := 0; off < len(stream); off += chunk {
			data := bytes.Clone(stream[off:min(off+chunk, len(stream))])
			w, _, err := r.Feed(data, ws.StateClientSide, 1<<20, &s)
			if err != nil {
				t.Fatalf("chunk %d: %v", chunk, err)
			}
			wire += w
		}
		if wire != len(stream) || r.Buffered() != 0 {
			t.Fatalf("chunk %d: %d wire bytes counted, %d left buffered, stream %d", chunk, wire, r.Buffered(), len(stream))
		}
		if len(s.got) != len(want) {
			t.Fatalf("chunk %d: %d messages, want %d", chunk, len(s.got), len(want))
		}
		for i := range want {
			if s.got[i].op != want[i].op || !bytes.Equal(s.got[i].p, want[i].p) {
				t.Fatalf("chunk %d: message %d = %v, want %v", chunk, i, s.got[i].op, want[i].op)
			}
		}
	}
}

func TestFrameReaderReleasesBuffer(t *testing.T) {
	var r FrameReader
	big := wsframe.AppendFrame(nil, ws.OpBinary, make([]byte, 100000), nil)
	if _, _, err := r.Feed(bytes.Clone(big[:50000]), ws.StateClientSide, 1<<20, &recSink{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.Feed(bytes.Clone(big[50000:]), ws.StateClientSide, 1<<20, &recSink{}); err != nil {
		t.Fatal(err)
	}
	if r.partial != nil {
		t.Fatalf("a %d-byte buffer kept after the frame completed", cap(r.partial))
	}
}
