package wire

import (
	"math/rand/v2"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	skirmishv1 "github.com/skirmishgg/skirmish/proto/skirmish/v1"
)

// randomWorld evolves prev: some entities move, some leave, some appear.
func randomWorld(r *rand.Rand, prev []Entity, nextID func() uint32) []Entity {
	var next []Entity
	for _, e := range prev {
		if r.IntN(20) == 0 {
			continue // removed
		}
		if r.IntN(3) == 0 {
			e.X += int32(r.IntN(41) - 20)
			e.Y += int32(r.IntN(41) - 20)
			e.HP = int32(r.IntN(101))
		}
		next = append(next, e)
	}
	for range r.IntN(3) {
		next = append(next, Entity{
			ID: nextID(), Kind: int32(1 + r.IntN(3)),
			X: int32(r.IntN(4000)), Y: int32(r.IntN(4000)), VX: int32(r.IntN(801) - 400),
			Angle: int32(r.IntN(AngleSteps)), HP: 100, Score: int32(r.IntN(5)),
		})
	}
	return next
}

func decodeSnapshot(t *testing.T, msg []byte) (*skirmishv1.Snapshot, uint32) {
	t.Helper()
	var m skirmishv1.ServerMessage
	if err := proto.Unmarshal(msg, &m); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	s := m.GetSnapshot()
	if s == nil {
		t.Fatalf("not a snapshot: %v", &m)
	}
	return s, m.InputAck
}

// TestSnapshotRoundTrip checks that a client applying full and delta
// snapshots, against whichever older tick it holds, reconstructs exactly
// the server's world.
func TestSnapshotRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var last uint32
	nextID := func() uint32 { last++; return last }
	var enc SnapshotEncoder
	history := map[uint32][]Entity{} // the server's worlds
	client := map[uint32][]Entity{}  // what the client reconstructed
	var world []Entity
	for tick := uint32(1); tick <= 300; tick++ {
		world = randomWorld(r, world, nextID)
		history[tick] = slices.Clone(world)

		var baseTick uint32
		if tick > 1 && r.IntN(4) != 0 {
			baseTick = tick - 1 - uint32(r.IntN(min(int(tick-1), 10)))
		}
		msg := enc.Encode(nil, tick, baseTick, history[baseTick], world)
		msg = AppendInputAck(msg, tick*7)
		s, ack := decodeSnapshot(t, msg)
		if ack != tick*7 {
			t.Fatalf("tick %d: input_ack %d, want %d", tick, ack, tick*7)
		}
		if s.Tick != tick || s.BaseTick != baseTick {
			t.Fatalf("tick %d: got tick %d base %d, want base %d", tick, s.Tick, s.BaseTick, baseTick)
		}
		got, err := ApplySnapshot(nil, client[baseTick], s, DefaultTickRate)
		if err != nil {
			t.Fatalf("tick %d: %v", tick, err)
		}
		if !slices.Equal(got, world) {
			t.Fatalf("tick %d (base %d): reconstructed\n%v\nwant\n%v", tick, baseTick, got, world)
		}
		client[tick] = got
	}
}

func TestSnapshotDeltaOmitsUnchanged(t *testing.T) {
	var enc SnapshotEncoder
	base := []Entity{{ID: 1, Kind: 1, X: 10}, {ID: 2, Kind: 1, X: 20}, {ID: 3, Kind: 2}}
	cur := []Entity{{ID: 1, Kind: 1, X: 10}, {ID: 2, Kind: 1, X: 25}}
	s, _ := decodeSnapshot(t, enc.Encode(nil, 9, 8, base, cur))
	if !slices.Equal(s.Id, []uint32{2}) || !slices.Equal(s.X, []int32{5}) {
		t.Fatalf("delta lists ids %v x %v, want [2] [5]", s.Id, s.X)
	}
	if len(s.Kind) != 0 || len(s.Y) != 0 {
		t.Fatalf("all-zero columns must be empty: kind %v y %v", s.Kind, s.Y)
	}
	if !slices.Equal(s.Removed, []uint32{3}) {
		t.Fatalf("removed %v, want [3]", s.Removed)
	}
}

func BenchmarkSnapshotEncodeFull50(b *testing.B) {
	world := make([]Entity, 50)
	for i := range world {
		world[i] = Entity{ID: uint32(i + 1), Kind: KindPlayer, X: int32(37 * i), Y: int32(4000 - 61*i), VX: 400, HP: 100}
	}
	var enc SnapshotEncoder
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf = enc.Encode(buf[:0], 1, 0, nil, world)
	}
	b.ReportMetric(float64(len(buf)), "bytes/snapshot")
}
