package arena

import (
	"math"
	"testing"

	"github.com/skirmishgg/skirmish/game"
)

const benchPlayers = 50

// benchWorld returns an arena of benchPlayers players running in circles
// and firing, warmed up until projectiles, deaths and pickups are in a
// steady state.
func benchWorld() (*world, func()) {
	w := New(game.ModeConfig{Seed: 1, IDs: &game.IDs{}}).(*world)
	for range benchPlayers {
		w.AddPlayer(w.ids.Next(), "p")
	}
	var seq uint32
	turn := func() {
		seq++
		for i, p := range w.players {
			a := float64(seq)/30 + float64(i)
			w.ApplyInput(p.id, game.Input{
				Seq:     seq,
				DX:      float32(math.Cos(a)),
				DY:      float32(math.Sin(a)),
				Aim:     float32(a * 3),
				Buttons: game.ButtonFire,
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

// BenchmarkAppendEntities measures one snapshot into a reused buffer.
func BenchmarkAppendEntities(b *testing.B) {
	w, _ := benchWorld()
	buf := w.AppendEntities(nil)
	for b.Loop() {
		buf = w.AppendEntities(buf[:0])
	}
	b.ReportMetric(float64(len(buf)), "entities")
}
