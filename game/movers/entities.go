package movers

import (
	"slices"

	"github.com/skirmishgg/skirmish/game"
)

// AppendEntities appends every player to dst in ascending id order. It does
// not allocate when dst has room, so the room can reuse one buffer.
func (w *world) AppendEntities(dst []game.Entity) []game.Entity {
	dst = slices.Grow(dst, len(w.players))
	for i := range w.players {
		p := &w.players[i]
		dst = append(dst, game.Entity{
			ID:    p.id,
			Kind:  game.KindPlayer,
			X:     game.Quantize(p.x),
			Y:     game.Quantize(p.y),
			VX:    game.Quantize(p.vx),
			VY:    game.Quantize(p.vy),
			HP:    playerHP,
			Score: p.score,
		})
	}
	return dst
}
