package movers_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/skirmishgg/skirmish/game"
	"github.com/skirmishgg/skirmish/game/movers"
	"github.com/skirmishgg/skirmish/proto/wire"
)

func TestNameAndWorldSize(t *testing.T) {
	m := newWorld(1)
	if m.Name() != movers.Name || movers.Name != "movers" {
		t.Errorf("Name() = %q, want %q", m.Name(), "movers")
	}
	if w, h := m.WorldSize(); w != 1000 || h != 1000 {
		t.Errorf("WorldSize() = %v×%v, want 1000×1000", w, h)
	}
}

func TestAddPlayerSpawnsInsideAtRest(t *testing.T) {
	m := newWorld(7)
	const n = 200
	for id := uint32(1); id <= n; id++ {
		m.AddPlayer(id, "p")
	}
	w, h := m.WorldSize()
	positions := make(map[[2]int32]bool)
	for _, e := range m.AppendEntities(nil) {
		want := wire.Entity{ID: e.ID, Kind: wire.KindPlayer, X: e.X, Y: e.Y, HP: 100}
		if e != want {
			t.Errorf("entity = %+v, want %+v", e, want)
		}
		if e.X < 0 || e.X > q(w) || e.Y < 0 || e.Y > q(h) {
			t.Errorf("entity %d spawned outside the world at (%d, %d)", e.ID, e.X, e.Y)
		}
		positions[[2]int32{e.X, e.Y}] = true
	}
	// Uniform random spawns practically never coincide; equal positions
	// would mean the rng is not used per player.
	if len(positions) < n-2 {
		t.Errorf("%d distinct spawn positions for %d players", len(positions), n)
	}
}

func TestEntitiesAscendingAndRemove(t *testing.T) {
	m := newWorld(1)
	for _, id := range []uint32{5, 2, 9, 7, 2} { // 2 twice: added once
		m.AddPlayer(id, "p")
	}
	if got, want := ids(m), []uint32{2, 5, 7, 9}; !slices.Equal(got, want) {
		t.Fatalf("ids = %v, want %v", got, want)
	}

	m.RemovePlayer(5)
	m.RemovePlayer(42) // unknown: ignored
	if got, want := ids(m), []uint32{2, 7, 9}; !slices.Equal(got, want) {
		t.Fatalf("after removing 5: ids = %v, want %v", got, want)
	}

	// A removed player's late input must not bring it back.
	m.ApplyInput(5, wire.Input{Seq: 1, DX: 1})
	m.Step(0.1)
	if got, want := ids(m), []uint32{2, 7, 9}; !slices.Equal(got, want) {
		t.Fatalf("after input for removed 5: ids = %v, want %v", got, want)
	}
}

func TestAppendEntitiesKeepsPrefix(t *testing.T) {
	m := newWorld(1)
	m.AddPlayer(1, "a")
	prefix := wire.Entity{ID: 99}
	got := m.AppendEntities([]wire.Entity{prefix})
	if len(got) != 2 || got[0] != prefix || got[1].ID != 1 {
		t.Errorf("AppendEntities(prefix) = %+v, want the prefix then player 1", got)
	}
}

func TestDeterministic(t *testing.T) {
	a, b := newWorld(42), newWorld(42)
	runScript(a, 300)
	runScript(b, 300)
	ea, eb := a.AppendEntities(nil), b.AppendEntities(nil)
	if !slices.Equal(ea, eb) {
		t.Fatalf("same seed and calls gave different worlds:\n%+v\n%+v", ea, eb)
	}
	if len(ea) == 0 {
		t.Fatal("script left no players to compare")
	}

	c := newWorld(43)
	runScript(c, 300)
	if slices.Equal(ea, c.AppendEntities(nil)) {
		t.Error("different seeds gave identical worlds: the seed is not used")
	}
}

// runScript drives m through players joining, steering and leaving. Its own
// rng is fixed, so only m's seed can make two runs differ.
func runScript(m game.Mode, ticks int) {
	script := rand.New(rand.NewPCG(1, 2))
	var seq uint32
	next := uint32(1)
	for tick := range ticks {
		if tick%10 == 0 {
			m.AddPlayer(next, "p")
			next++
		}
		if tick%45 == 0 {
			m.RemovePlayer(uint32(script.IntN(int(next))))
		}
		seq++
		m.ApplyInput(uint32(script.IntN(int(next))), wire.Input{
			Seq: seq,
			DX:  float32(script.Float64()*2 - 1),
			DY:  float32(script.Float64()*2 - 1),
		})
		m.Step(1.0 / 30)
	}
}

// ids lists the ids of m's entities in the order AppendEntities gives them.
func ids(m game.Mode) []uint32 {
	var out []uint32
	for _, e := range m.AppendEntities(nil) {
		out = append(out, e.ID)
	}
	return out
}

func TestLargeWorld(t *testing.T) {
	m := movers.NewLarge(game.ModeConfig{Seed: 5})
	if m.Name() != movers.LargeName {
		t.Fatalf("Name() = %q, want %q", m.Name(), movers.LargeName)
	}
	if w, h := m.WorldSize(); w != movers.LargeSize || h != movers.LargeSize {
		t.Fatalf("WorldSize() = %v×%v, want %v", w, h, movers.LargeSize)
	}
	beyond := false
	for id := uint32(1); id <= 200; id++ {
		m.AddPlayer(id, "p")
	}
	for _, e := range m.AppendEntities(nil) {
		if e.X < 0 || e.Y < 0 || e.X > game.Quantize(movers.LargeSize) || e.Y > game.Quantize(movers.LargeSize) {
			t.Fatalf("entity %d spawned outside the world at %d,%d", e.ID, e.X, e.Y)
		}
		beyond = beyond || e.X > game.Quantize(1000) || e.Y > game.Quantize(1000)
	}
	if !beyond {
		t.Fatal("200 spawns all fell inside the standard 1000×1000 corner: the large size is not used")
	}
}
