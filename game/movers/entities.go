package movers

import (
	"slices"

	"github.com/skirmishgg/skirmish/game"
	"github.com/skirmishgg/skirmish/proto/wire"
)

// AppendEntities appends every player to dst in ascending id order. It does
// not allocate when dst has room, so the room can reuse one buffer.
func (w *world) AppendEntities(dst []wire.Entity) []wire.Entity {
	dst = slices.Grow(dst, len(w.players))
	for i := range w.players {
		p := &w.players[i]
		dst = append(dst, wire.Entity{
			ID:    p.id,
			Kind:  wire.KindPlayer,
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
