package game_test

import (
	"testing"

	"github.com/skirmishgg/skirmish/game"
	"github.com/skirmishgg/skirmish/game/movers"
	"github.com/skirmishgg/skirmish/proto/wire"
)

// TestRoomStepDoesNotAllocate pins the steady state of the benchmark below:
// a tick with one input per player and no joins or leaves allocates nothing.
func TestRoomStepDoesNotAllocate(t *testing.T) {
	r, ids := benchRoom(t, 50)
	seq := uint32(10)
	allocs := testing.AllocsPerRun(200, func() {
		seq++
		queueBenchInputs(r, ids, seq)
		r.Step()
	})
	if allocs != 0 {
		t.Errorf("steady-state tick allocates %v times, want 0", allocs)
	}
}

// benchRoom returns a movers room of n joined players past their join
// tick, broadcasting to nowhere.
func benchRoom(tb testing.TB, n int) (*game.Room, []uint32) {
	tb.Helper()
	r := game.NewRoom(game.RoomConfig{
		ID: "bench", Mode: movers.New, Capacity: n, Seed: 1, Link: discard{}, Logger: quietLogger(),
	})
	ids := make([]uint32, n)
	for i := range ids {
		id, err := r.Join(nopPeer{}, "p")
		if err != nil {
			tb.Fatal(err)
		}
		ids[i] = id
	}
	// Warm up: apply the joins and grow every reused buffer.
	for seq := uint32(1); seq <= 10; seq++ {
		queueBenchInputs(r, ids, seq)
		r.Step()
	}
	return r, ids
}

// queueBenchInputs queues one input per player; directions alternate so
// that movers' score column changes for some players every tick.
func queueBenchInputs(r *game.Room, ids []uint32, seq uint32) {
	for i, id := range ids {
		dir := float32(1 - 2*int((seq+uint32(i))%2))
		r.Input(id, nopPeer{}, wire.Input{Seq: seq, DX: dir, DY: -dir / 2})
	}
}

func BenchmarkRoomStepMovers50(b *testing.B) {
	r, ids := benchRoom(b, 50)
	seq := uint32(10)
	b.ReportAllocs()
	for b.Loop() {
		seq++
		queueBenchInputs(r, ids, seq)
		r.Step()
	}
}
