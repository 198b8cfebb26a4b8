package arena

import (
	"math"
	"testing"

	"github.com/skirmishgg/skirmish/game"
)

// tick is the step length most tests use: 60 Hz.
const tick = 1.0 / 60

// newTestWorld returns an arena without pickups, so that random health
// packs cannot heal players in tests about damage.
func newTestWorld(t *testing.T) *world {
	t.Helper()
	w := New(game.ModeConfig{Seed: 1, IDs: &game.IDs{}}).(*world)
	w.pickups = w.pickups[:0]
	return w
}

// addAt adds a player with a fresh id and puts it at (x, y).
func addAt(t *testing.T, w *world, x, y float64) uint32 {
	t.Helper()
	id := w.ids.Next()
	w.AddPlayer(id, "p")
	p := w.findPlayer(id)
	p.x, p.y = x, y
	return id
}

// mustPlayer returns the player with id, failing the test if it is gone.
func mustPlayer(t *testing.T, w *world, id uint32) *player {
	t.Helper()
	p := w.findPlayer(id)
	if p == nil {
		t.Fatalf("player %d not found", id)
	}
	return p
}

// steps calls Step n times.
func steps(w *world, n int, dt float64) {
	for range n {
		w.Step(dt)
	}
}

// near reports whether a and b differ by less than a rounding error.
func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

// shotsFrom counts the projectiles of owner now in flight.
func shotsFrom(w *world, owner uint32) int {
	n := 0
	for _, pr := range w.projectiles {
		if pr.owner == owner {
			n++
		}
	}
	return n
}
