package arena

import (
	"slices"

	"github.com/skirmishgg/skirmish/proto/wire"
)

// AppendEntities appends players, projectiles and pickups to dst in
// ascending id order by merging the three sorted slices. It does not
// allocate when dst has room, so the room can reuse one buffer.
func (w *world) AppendEntities(dst []wire.Entity) []wire.Entity {
	dst = slices.Grow(dst, len(w.players)+len(w.projectiles)+len(w.pickups))
	pl, pr, pk := w.players, w.projectiles, w.pickups
	for len(pl)+len(pr)+len(pk) > 0 {
		// Pick the kind whose next entity has the lowest id.
		next, id := 0, uint32(0)
		if len(pl) > 0 {
			next, id = 1, pl[0].id
		}
		if len(pr) > 0 && (next == 0 || pr[0].id < id) {
			next, id = 2, pr[0].id
		}
		if len(pk) > 0 && (next == 0 || pk[0].id < id) {
			next = 3
		}
		switch next {
		case 1:
			dst = append(dst, pl[0].entity())
			pl = pl[1:]
		case 2:
			dst = append(dst, pr[0].entity())
			pr = pr[1:]
		default:
			dst = append(dst, pk[0].entity())
			pk = pk[1:]
		}
	}
	return dst
}
