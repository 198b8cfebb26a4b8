package wire

import (
	"fmt"
	"slices"

	skirmishv1 "github.com/skirmishgg/skirmish/proto/skirmish/v1"
)

// ApplySnapshot reconstructs the world a snapshot describes, as a client
// does: base is the world of s.BaseTick (ignored for a full snapshot) and
// tickRate the room's (from Welcome). It appends the result to dst in
// ascending id order. It is the reference for the rules documented in the
// .proto: the tests check every encoding against it, and it refuses what
// the rules forbid (a baseline not older than the snapshot, columns of the
// wrong length, ids or removed ids that do not ascend, an id both listed
// and removed). Ids in removed that the baseline does not hold are
// ignored.
func ApplySnapshot(dst, base []Entity, s *skirmishv1.Snapshot, tickRate int) ([]Entity, error) {
	if s.BaseTick == 0 {
		base = nil
	}
	if s.BaseTick >= s.Tick && s.BaseTick != 0 {
		return dst, fmt.Errorf("snapshot %d: baseline %d is not older", s.Tick, s.BaseTick)
	}
	if tickRate <= 0 {
		return dst, fmt.Errorf("snapshot %d: tick rate %d", s.Tick, tickRate)
	}
	ticks := s.Tick - s.BaseTick
	n := len(s.Id)
	cols := [][]int32{s.Kind, s.X, s.Y, s.Vx, s.Vy, s.Angle, s.Hp, s.Score}
	for i, c := range cols {
		if len(c) != 0 && len(c) != n {
			return dst, fmt.Errorf("snapshot %d: column %d has %d values for %d ids", s.Tick, columns[i].field, len(c), n)
		}
	}
	removed := s.Removed // a full snapshot is the whole truth: removed means nothing
	if s.BaseTick == 0 {
		removed = nil
	}
	for i := 1; i < len(removed); i++ {
		if removed[i] <= removed[i-1] {
			return dst, fmt.Errorf("snapshot %d: removed ids not ascending at %d", s.Tick, i)
		}
	}
	listedRemoved := removed
	start := len(dst)
	bi, ri := 0, 0
	var id uint32
	for k := 0; k < n; k++ {
		id += s.Id[k]
		if k > 0 && s.Id[k] == 0 {
			return dst, fmt.Errorf("snapshot %d: ids not ascending at %d", s.Tick, k)
		}
		for ri < len(listedRemoved) && listedRemoved[ri] < id {
			ri++
		}
		if ri < len(listedRemoved) && listedRemoved[ri] == id {
			return dst, fmt.Errorf("snapshot %d: id %d both listed and removed", s.Tick, id)
		}
		// Carry over unchanged base entities that come before id.
		for bi < len(base) && base[bi].ID < id {
			dst, removed = keep(dst, Predict(base[bi], ticks, tickRate), removed)
			bi++
		}
		var e Entity
		if bi < len(base) && base[bi].ID == id {
			e = Predict(base[bi], ticks, tickRate)
			bi++
		}
		e.ID = id
		at := func(c []int32) int32 {
			if len(c) == 0 {
				return 0
			}
			return c[k]
		}
		e.Kind += at(s.Kind)
		e.X += at(s.X)
		e.Y += at(s.Y)
		e.VX += at(s.Vx)
		e.VY += at(s.Vy)
		e.Angle += at(s.Angle)
		e.HP += at(s.Hp)
		e.Score += at(s.Score)
		dst = append(dst, e)
	}
	for ; bi < len(base); bi++ {
		dst, removed = keep(dst, Predict(base[bi], ticks, tickRate), removed)
	}
	if !slices.IsSortedFunc(dst[start:], func(a, b Entity) int { return int(a.ID) - int(b.ID) }) {
		return dst, fmt.Errorf("snapshot %d: entities out of order", s.Tick)
	}
	return dst, nil
}

// keep appends e unless its id is the next one in removed (ascending).
func keep(dst []Entity, e Entity, removed []uint32) ([]Entity, []uint32) {
	for len(removed) > 0 && removed[0] < e.ID {
		removed = removed[1:]
	}
	if len(removed) > 0 && removed[0] == e.ID {
		return dst, removed[1:]
	}
	return append(dst, e), removed
}
