package arena

import (
	"math"
	"testing"

	"github.com/skirmishgg/skirmish/game"
	"github.com/skirmishgg/skirmish/proto/wire"
)

const benchPlayers = 50

// benchLag is how many ticks behind the server the bench players' inputs
// acknowledge, 100 ms at 30 Hz, so that their shots are lag compensated.
const benchLag = 3

// benchWorld returns an arena of benchPlayers players running in circles
// and firing from a view benchLag ticks old, warmed up until projectiles,
// deaths and pickups are in a steady state.
func benchWorld() (*world, func()) {
	w := New(game.ModeConfig{Seed: 1, IDs: &game.IDs{}}).(*world)
	for range benchPlayers {
		w.AddPlayer(w.ids.Next(), "p")
	}
	var seq uint32
	turn := func() {
		seq++
		// The room applies inputs before the Step of tick w.tick+1.
		ack := uint32(0)
		if w.tick+1 > benchLag {
			ack = w.tick + 1 - benchLag
		}
		for i := range w.players {
			a := float64(seq)/30 + float64(i)
			w.ApplyInput(w.players[i].id, wire.Input{
				Seq:     seq,
				DX:      float32(math.Cos(a)),
				DY:      float32(math.Sin(a)),
				Aim:     float32(a * 3),
				Buttons: wire.ButtonFire,
				AckTick: ack,
			})
		}
	}
	for range 10 * 30 {
		turn()
		w.Step(1.0 / 30)
	}
	return w, turn
}

// BenchmarkStep measures one 30 Hz tick with every player moving and
// firing, including the tick's inputs, which the room applies before each
// Step.
func BenchmarkStep(b *testing.B) {
	w, turn := benchWorld()
	for b.Loop() {
		turn()
		w.Step(1.0 / 30)
	}
}

// TestStepDoesNotAllocate checks that a busy tick, with lag compensated
// shots flying, hitting and killing, allocates nothing once the world is
// warm: the pose trails are fixed arrays and every slice is reused.
func TestStepDoesNotAllocate(t *testing.T) {
	w, turn := benchWorld()
	rewinding := 0
	for _, pr := range w.projectiles {
		if pr.rewind == benchLag {
			rewinding++
		}
	}
	if rewinding == 0 {
		t.Fatalf("none of %d projectiles has rewind %d", len(w.projectiles), benchLag)
	}
	score := func() (sum int32) {
		for i := range w.players {
			sum += w.players[i].score
		}
		return sum
	}
	before := score()
	if allocs := testing.AllocsPerRun(300, func() {
		turn()
		w.Step(1.0 / 30)
	}); allocs != 0 {
		t.Errorf("%v allocations per Step, want 0", allocs)
	}
	// The measurement only counts if the ticks did the work.
	if score() == before {
		t.Error("no kills during the measured ticks")
	}
}

// BenchmarkAppendEntities measures one snapshot into a reused buffer.
func BenchmarkAppendEntities(b *testing.B) {
	w, _ := benchWorld()
	buf := w.AppendEntities(nil)
	for b.Loop() {
		buf = w.AppendEntities(buf[:0])
	}
	b.ReportMetric(float64(len(buf)), "entities")
}
