package bench

import (
	"bytes"
	"testing"

	"github.com/gobwas/ws"
	skirmishv1 "github.com/skirmishgg/skirmish/proto/skirmish/v1"
	"google.golang.org/protobuf/proto"
)

func TestScanServerMessageAgreesWithGenerated(t *testing.T) {
	snap := syntheticSnapshot(40, 3)
	snap.Tick = 123456
	snap.BaseTick = 120000
	msgs := []*skirmishv1.ServerMessage{
		{Msg: &skirmishv1.ServerMessage_Snapshot{Snapshot: snap}, InputAck: 77},
		{Msg: &skirmishv1.ServerMessage_Snapshot{Snapshot: &skirmishv1.Snapshot{}}},
		{Msg: &skirmishv1.ServerMessage_Hello{Hello: &skirmishv1.ServerHello{ProtocolVersion: 1, Server: "x"}}},
		{Msg: &skirmishv1.ServerMessage_Welcome{Welcome: &skirmishv1.Welcome{PlayerId: 5, TickRate: 30}}},
		{Msg: &skirmishv1.ServerMessage_Error{Error: &skirmishv1.Error{Code: skirmishv1.ErrorCode_ERROR_CODE_ROOM_FULL}}},
		{Msg: &skirmishv1.ServerMessage_Roster{Roster: &skirmishv1.Roster{Players: []*skirmishv1.RosterEntry{{Id: 1, Name: "a"}}}}},
		{Msg: &skirmishv1.ServerMessage_Pong{Pong: &skirmishv1.Pong{ClientTimeUs: 9}}},
	}
	kinds := []int32{3, 3, 1, 2, 5, 6, 4}
	for i, m := range msgs {
		b, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		s, err := scanServerMessage(b)
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if int32(s.kind) != kinds[i] || s.tick != m.GetSnapshot().GetTick() || s.base != m.GetSnapshot().GetBaseTick() || s.ack != m.GetInputAck() {
			t.Fatalf("message %d: scan %+v, want kind %d tick %d base %d ack %d", i, s, kinds[i], m.GetSnapshot().GetTick(), m.GetSnapshot().GetBaseTick(), m.GetInputAck())
		}
	}
	// The server appends input_ack after the framed message: same result.
	m := &skirmishv1.ServerMessage{Msg: &skirmishv1.ServerMessage_Snapshot{Snapshot: snap}}
	b, _ := proto.Marshal(m)
	b = appendInputAck(b, 4242)
	var back skirmishv1.ServerMessage
	if err := proto.Unmarshal(b, &back); err != nil || back.GetInputAck() != 4242 {
		t.Fatalf("appended input_ack: %v, %d", err, back.GetInputAck())
	}
	s, err := scanServerMessage(b)
	if err != nil || !s.hasAck || s.ack != 4242 || s.tick != snap.Tick {
		t.Fatalf("scan with appended ack: %+v, %v", s, err)
	}
}

func TestScanServerMessageRejectsGarbage(t *testing.T) {
	for _, b := range [][]byte{{0x1a, 0x05, 0x08}, {0xff}, {0x7d, 1, 2}} {
		if _, err := scanServerMessage(b); err == nil {
			t.Errorf("%x accepted", b)
		}
	}
}

func TestEncoderFramesDecode(t *testing.T) {
	var e encoder
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
	f, err = e.Ping(12345)
	check(f, err, &skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Ping{Ping: &skirmishv1.Ping{ClientTimeUs: 12345}}})
	f, err = e.Leave()
	check(f, err, &skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Leave{Leave: &skirmishv1.Leave{}}})
	if n := testing.AllocsPerRun(100, func() { e.Input(1, 0.1, 0.2, 3) }); n > 0 {
		t.Errorf("Input allocates %v times per frame", n)
	}
}
