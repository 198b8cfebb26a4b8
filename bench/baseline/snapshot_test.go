package baseline

import (
	"testing"

	"google.golang.org/protobuf/proto"

	skirmishv1 "github.com/skirmishgg/skirmish/proto/skirmish/v1"
	"github.com/skirmishgg/skirmish/proto/wire"
)

func TestBaselineSnapshotExactSizeAndValid(t *testing.T) {
	for _, total := range []int{20, 21, 22, 23, 50, 127, 128, 129, 130, 700, 709, 2000, 16383, 16384, 16390, 40000} {
		cols, err := baselineColumns(50, total)
		if err != nil {
			t.Fatalf("%d bytes: %v", total, err)
		}
		msg := wire.AppendInputAck(appendBaselineSnapshot(nil, baselineTickBase+12345, cols), 99)
		if len(msg) != total {
			t.Fatalf("asked %d bytes, got %d", total, len(msg))
		}
		var m skirmishv1.ServerMessage
		if err := proto.Unmarshal(msg, &m); err != nil {
			t.Fatalf("%d bytes: does not decode: %v", total, err)
		}
		if m.GetSnapshot().GetTick() != baselineTickBase+12345 || m.GetInputAck() != 99 {
			t.Fatalf("%d bytes: tick %d ack %d", total, m.GetSnapshot().GetTick(), m.GetInputAck())
		}
		if n := len(m.GetSnapshot().GetId()); n > 50 {
			t.Fatalf("%d entities for 50 players", n)
		}
	}
	if _, err := baselineColumns(50, 5); err == nil {
		t.Fatal("impossibly small snapshot accepted")
	}
}

func TestComputedSnapshotBytesMatchesFullSnapshot(t *testing.T) {
	for _, p := range []int{1, 50, 512} {
		size := ComputedSnapshotBytes(p)
		cols, err := baselineColumns(p, 0)
		if err != nil {
			t.Fatal(err)
		}
		msg := wire.AppendInputAck(appendBaselineSnapshot(nil, baselineTickBase, cols), 0)
		if len(msg) != size {
			t.Fatalf("%d players: computed %d bytes, built %d", p, size, len(msg))
		}
		var m skirmishv1.ServerMessage
		if err := proto.Unmarshal(msg, &m); err != nil || len(m.GetSnapshot().GetId()) != p {
			t.Fatalf("%d players: %v, %d entities", p, err, len(m.GetSnapshot().GetId()))
		}
	}
}
