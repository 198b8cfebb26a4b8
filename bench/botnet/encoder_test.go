package botnet

import (
	"bytes"
	"testing"

	"github.com/gobwas/ws"
	"google.golang.org/protobuf/proto"

	skirmishv1 "github.com/skirmishgg/skirmish/proto/skirmish/v1"
)

func TestEncoderFramesDecode(t *testing.T) {
	var e Encoder
	check := func(frame []byte, err error, want *skirmishv1.ClientMessage) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		f, rerr := ws.ReadFrame(bytes.NewReader(frame))
		if rerr != nil {
			t.Fatal(rerr)
		}
		if !f.Header.Masked || !f.Header.Fin || f.Header.OpCode != ws.OpBinary {
			t.Fatalf("header %+v: client frames must be masked binary", f.Header)
		}
		f = ws.UnmaskFrameInPlace(f)
		var got skirmishv1.ClientMessage
		if err := proto.Unmarshal(f.Payload, &got); err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(&got, want) {
			t.Fatalf("got %v, want %v", &got, want)
		}
	}
	f, err := e.Hello()
	check(f, err, &skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Hello{Hello: &skirmishv1.Hello{ProtocolVersion: 1, Client: ClientName}}})
	f, err = e.Join("bot1", "movers", "bench-0")
	check(f, err, &skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Join{Join: &skirmishv1.Join{Name: "bot1", Mode: "movers", Room: "bench-0"}}})
	f, err = e.Input(31, 0.5, -1, 900)
	check(f, err, &skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Input{Input: &skirmishv1.Input{Seq: 31, Dx: 0.5, Dy: -1, AckTick: 900}}})
	f, err = e.Leave()
	check(f, err, &skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Leave{Leave: &skirmishv1.Leave{}}})
	if n := testing.AllocsPerRun(100, func() { e.Input(1, 0.1, 0.2, 3) }); n > 0 {
		t.Errorf("Input allocates %v times per frame", n)
	}
}
