package movers

import (
	"cmp"
	"slices"
)

// player is one mover.
type player struct {
	id     uint32
	x, y   float64
	vx, vy float64 // velocity of the last tick, for snapshots: 0 against a wall
	// cx, cy is the commanded velocity of the last tick (input times
	// speed), which the score rule compares against.
	cx, cy float64
	dx, dy float32 // latest input, in force until replaced
	seq    uint32  // Seq of the latest input
	score  int32
}

// AddPlayer spawns a player at a uniformly random position, at rest. Adding
// an id that is already present does nothing.
func (w *world) AddPlayer(id uint32, _ string) {
	i, found := w.search(id)
	if found {
		return
	}
	// Insert rather than append: ids only increase, but a player's id is
	// allocated at join time and the room may add players in another order.
	w.players = slices.Insert(w.players, i, player{
		id: id,
		x:  w.rng.Float64() * w.size,
		y:  w.rng.Float64() * w.size,
	})
}

// RemovePlayer takes the player out, keeping the others in id order.
// Unknown ids are ignored.
func (w *world) RemovePlayer(id uint32) {
	if i, found := w.search(id); found {
		w.players = slices.Delete(w.players, i, i+1)
	}
}

// search finds id in the sorted players, or where it would be inserted.
func (w *world) search(id uint32) (int, bool) {
	return slices.BinarySearchFunc(w.players, id, func(p player, id uint32) int {
		return cmp.Compare(p.id, id)
	})
}

// find returns the player with id, or nil.
func (w *world) find(id uint32) *player {
	if i, found := w.search(id); found {
		return &w.players[i]
	}
	return nil
}
