package movers_test

import (
	"testing"

	"github.com/skirmishgg/skirmish/game"
	"github.com/skirmishgg/skirmish/game/movers"
	"github.com/skirmishgg/skirmish/proto/wire"
)

// newWorld returns a movers world with the given seed.
func newWorld(seed uint64) game.Mode {
	return movers.New(game.ModeConfig{Seed: seed, IDs: &game.IDs{}})
}

// entity returns the entity with id, failing the test if it is missing.
func entity(t *testing.T, m game.Mode, id uint32) wire.Entity {
	t.Helper()
	for _, e := range m.AppendEntities(nil) {
		if e.ID == id {
			return e
		}
	}
	t.Fatalf("entity %d not found", id)
	return wire.Entity{}
}

// parkAtOrigin drives player id into the (0, 0) corner with input seq and
// leaves it there at rest, so tests can start from a known position.
func parkAtOrigin(t *testing.T, m game.Mode, id, seq uint32) {
	t.Helper()
	m.ApplyInput(id, wire.Input{Seq: seq, DX: -1, DY: -1})
	m.Step(20) // 2000 units at 100 units/s: more than the world is wide
	m.ApplyInput(id, wire.Input{Seq: seq + 1})
	m.Step(1)
	if e := entity(t, m, id); e.X != 0 || e.Y != 0 || e.VX != 0 || e.VY != 0 {
		t.Fatalf("parked entity = %+v, want at rest at the origin", e)
	}
}

// q is game.Quantize, short for tables of expected values.
func q(v float64) int32 { return game.Quantize(v) }
