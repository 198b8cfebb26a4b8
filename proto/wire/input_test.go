package wire

import (
	"math"
	"testing"

	"google.golang.org/protobuf/proto"

	skirmishv1 "github.com/skirmishgg/skirmish/proto/skirmish/v1"
)

func marshal(tb testing.TB, m proto.Message) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// FuzzDecodeInput checks the input fast path against proto.Unmarshal: when
// the fast path accepts bytes, the reference must decode them to the same
// lone Input.
func FuzzDecodeInput(f *testing.F) {
	f.Add(marshal(f, &skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Input{Input: &skirmishv1.Input{Seq: 7, Dx: 1, Dy: -0.5, Aim: 3.1, Buttons: 1, AckTick: 99}}}))
	f.Add(marshal(f, &skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Input{Input: &skirmishv1.Input{}}}))
	f.Add(marshal(f, &skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Hello{Hello: &skirmishv1.Hello{ProtocolVersion: 1}}}))
	f.Add(marshal(f, &skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Join{Join: &skirmishv1.Join{Name: "x", Room: "r"}}}))
	f.Add([]byte{0x1a, 0x02, 0x08})
	f.Add([]byte{0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		in, err := DecodeInput(b)
		if err != nil {
			return // the reference path handles it
		}
		var m skirmishv1.ClientMessage
		if err := proto.Unmarshal(b, &m); err != nil {
			t.Fatalf("fast path accepted %x, proto.Unmarshal: %v", b, err)
		}
		ref := m.GetInput()
		if ref == nil {
			t.Fatalf("fast path accepted %x, reference holds %v", b, &m)
		}
		same := func(a, b float32) bool {
			return math.Float32bits(a) == math.Float32bits(b)
		}
		if in.Seq != ref.Seq || in.Buttons != ref.Buttons || in.AckTick != ref.AckTick ||
			!same(in.DX, ref.Dx) || !same(in.DY, ref.Dy) || !same(in.Aim, ref.Aim) {
			t.Fatalf("fast path %+v, reference %v", in, ref)
		}
	})
}

func BenchmarkDecodeInput(b *testing.B) {
	msg := marshal(b, &skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Input{Input: &skirmishv1.Input{Seq: 1234, Dx: 1, Dy: -1, Aim: 1.5, AckTick: 4000}}})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeInput(msg); err != nil {
			b.Fatal(err)
		}
	}
}
