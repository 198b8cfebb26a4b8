package wire

import (
	"slices"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	skirmishv1 "github.com/skirmishgg/skirmish/proto/skirmish/v1"
)

func testSnapshot() *skirmishv1.Snapshot {
	s := &skirmishv1.Snapshot{Tick: 123456, BaseTick: 120000}
	for i := range 40 {
		s.Id = append(s.Id, uint32(1+i%3))
		s.Kind = append(s.Kind, 1)
		s.X = append(s.X, int32(7*i-100))
		s.Score = append(s.Score, int32(i%5-2))
	}
	s.Removed = []uint32{3, 9, 1000}
	return s
}

func TestScanServerMessageAgreesWithGenerated(t *testing.T) {
	msgs := []*skirmishv1.ServerMessage{
		{Msg: &skirmishv1.ServerMessage_Snapshot{Snapshot: testSnapshot()}, InputAck: 77},
		{Msg: &skirmishv1.ServerMessage_Snapshot{Snapshot: &skirmishv1.Snapshot{}}},
		{Msg: &skirmishv1.ServerMessage_Hello{Hello: &skirmishv1.ServerHello{ProtocolVersion: 1, Server: "x"}}},
		{Msg: &skirmishv1.ServerMessage_Welcome{Welcome: &skirmishv1.Welcome{PlayerId: 5, TickRate: 30}}},
		{Msg: &skirmishv1.ServerMessage_Error{Error: &skirmishv1.Error{Code: skirmishv1.ErrorCode_ERROR_CODE_ROOM_FULL}}},
		{Msg: &skirmishv1.ServerMessage_Roster{Roster: &skirmishv1.Roster{Players: []*skirmishv1.RosterEntry{{Id: 1, Name: "a"}}}}},
		{Msg: &skirmishv1.ServerMessage_Pong{Pong: &skirmishv1.Pong{ClientTimeUs: 9}}},
		{Msg: &skirmishv1.ServerMessage_RosterUpdate{RosterUpdate: &skirmishv1.RosterUpdate{Joined: []*skirmishv1.RosterEntry{{Id: 2, Name: "b"}}, Left: []uint32{1}}}},
	}
	kinds := []protowire.Number{FieldServerSnapshot, FieldServerSnapshot, FieldServerHello, FieldServerWelcome, FieldServerError, FieldServerRoster, FieldServerPong, FieldServerRosterUpdate}
	for i, m := range msgs {
		b, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		s, err := ScanServerMessage(b)
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if s.Kind != kinds[i] || s.Tick != m.GetSnapshot().GetTick() || s.Base != m.GetSnapshot().GetBaseTick() || s.Ack != m.GetInputAck() {
			t.Fatalf("message %d: scan %+v, want kind %d tick %d base %d ack %d", i, s, kinds[i], m.GetSnapshot().GetTick(), m.GetSnapshot().GetBaseTick(), m.GetInputAck())
		}
	}
	// The server appends input_ack after the framed message: same result.
	snap := testSnapshot()
	b, _ := proto.Marshal(&skirmishv1.ServerMessage{Msg: &skirmishv1.ServerMessage_Snapshot{Snapshot: snap}})
	b = AppendInputAck(b, 4242)
	var back skirmishv1.ServerMessage
	if err := proto.Unmarshal(b, &back); err != nil || back.GetInputAck() != 4242 {
		t.Fatalf("appended input_ack: %v, %d", err, back.GetInputAck())
	}
	s, err := ScanServerMessage(b)
	if err != nil || !s.HasAck || s.Ack != 4242 || s.Tick != snap.Tick {
		t.Fatalf("scan with appended ack: %+v, %v", s, err)
	}

	var cols SnapshotColumns
	if err := ScanSnapshotColumns(s.Body, &cols); err != nil {
		t.Fatal(err)
	}
	var ids []uint32
	var sum uint32
	for _, d := range snap.Id {
		sum += d
		ids = append(ids, sum)
	}
	if cols.Tick != snap.Tick || cols.Base != snap.BaseTick || !slices.Equal(cols.IDs, ids) ||
		!slices.Equal(cols.Score, snap.Score) || !slices.Equal(cols.Removed, snap.Removed) {
		t.Fatalf("columns %+v disagree with %v", cols, snap)
	}
}

func TestScanServerMessageRejectsGarbage(t *testing.T) {
	for _, b := range [][]byte{{0x1a, 0x05, 0x08}, {0xff}, {0x7d, 1, 2}} {
		if _, err := ScanServerMessage(b); err == nil {
			t.Errorf("%x accepted", b)
		}
	}
}
