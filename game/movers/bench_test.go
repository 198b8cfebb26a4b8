package movers_test

import (
	"testing"

	"github.com/skirmishgg/skirmish/game"
	"github.com/skirmishgg/skirmish/proto/wire"
)

const benchPlayers = 50

// benchWorld returns a world of benchPlayers players, all moving.
func benchWorld() game.Mode {
	m := newWorld(1)
	for id := uint32(1); id <= benchPlayers; id++ {
		m.AddPlayer(id, "p")
		m.ApplyInput(id, wire.Input{Seq: 1, DX: 1, DY: -0.5})
	}
	return m
}

// BenchmarkStep measures one 30 Hz tick. One player per tick turns around,
// so the score rule takes both branches as it does under real clients.
func BenchmarkStep(b *testing.B) {
	m := benchWorld()
	seq := uint32(1)
	var tick uint32
	for b.Loop() {
		seq++
		dir := float32(1 - 2*int(seq%2))
		m.ApplyInput(tick%benchPlayers+1, wire.Input{Seq: seq, DX: dir, DY: -dir})
		m.Step(1.0 / 30)
		tick++
	}
}

// BenchmarkAppendEntities measures one snapshot into a reused buffer, as
// the room does every tick.
func BenchmarkAppendEntities(b *testing.B) {
	m := benchWorld()
	m.Step(1.0 / 30)
	buf := make([]wire.Entity, 0, benchPlayers)
	for b.Loop() {
		buf = m.AppendEntities(buf[:0])
	}
	if len(buf) != benchPlayers {
		b.Fatalf("%d entities, want %d", len(buf), benchPlayers)
	}
}
