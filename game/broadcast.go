package game

import (
	"cmp"
	"slices"

	"github.com/skirmishgg/skirmish/proto/wire"
)

// broadcast records this tick's world in the history and sends every
// member a snapshot: a delta against the newest tick the member has
// acknowledged while that tick is still in the history, a full snapshot
// otherwise. With interest management each player sees only the cells
// around its own, so players are grouped by (baseline, cell then, cell
// now); without it every member is in the one cell {0, 0}. Spectators have
// no entity and so no cell: with interest management they see the whole
// world, grouped by baseline alone. Each group gets one encoding.
func (r *Room) broadcast() {
	world := r.history.record(r.tick, r.mode)
	if len(r.members) == 0 || r.cfg.Link == nil {
		return
	}
	var cells []cell
	if r.grid.on() {
		cells = r.history.recordCells(r.tick, r.grid, world)
	}
	r.views.reset()
	r.audience = r.audience[:0]
	for _, m := range r.members {
		if m.peer == nil {
			continue // away
		}
		if r.grid.on() && !m.spectator {
			if i, ok := slices.BinarySearchFunc(world, m.id, func(e wire.Entity, id uint32) int { return int(e.ID) - int(id) }); ok {
				m.cell = cells[i]
			}
			m.cells[r.tick%historyTicks] = m.cell
		}
		// A spectator's cell stays {0, 0}; with interest management it
		// sees the whole world instead of that cell's block.
		a := audience{cell: m.cell, whole: m.spectator && r.grid.on(), m: m}
		if !r.cfg.FullSnapshots {
			if base := r.history.baseline(m.ackTick, r.tick); base != 0 {
				a.base = base
				if !a.whole {
					a.baseCell = m.cells[base%historyTicks]
				}
			}
		}
		r.audience = append(r.audience, a)
	}
	slices.SortFunc(r.audience, compareAudience)
	for start := 0; start < len(r.audience); {
		a := r.audience[start]
		end := start + 1
		for end < len(r.audience) && compareAudience(r.audience[end], a) == 0 {
			end++
		}
		r.receivers = r.receivers[:0]
		for _, b := range r.audience[start:end] {
			r.receivers = append(r.receivers, Receiver{Peer: b.m.peer, InputAck: b.m.lastSeq})
		}
		cur, old := world, r.history.world(a.base)
		if !a.whole {
			cur = r.view(r.tick, a.cell, world, cells)
			if a.base != 0 {
				old = r.view(a.base, a.baseCell, old, r.history.cellsOf(a.base))
			}
		}
		r.msg = r.enc.Encode(r.msg[:0], r.tick, a.base, old, cur)
		r.cfg.Link.Broadcast(r.msg, r.receivers)
		var age uint32
		if a.base != 0 {
			age = r.tick - a.base
		}
		r.report.Snapshots = append(r.report.Snapshots, SnapshotReport{Bytes: len(r.msg), BaseAge: age, Receivers: end - start})
		start = end
	}
}

// view is the part of tick's world seen from cell: all of it without
// interest management.
func (r *Room) view(tick uint32, from cell, world []wire.Entity, cells []cell) []wire.Entity {
	if !r.grid.on() {
		return world
	}
	return r.views.get(viewKey{tick, from}, world, cells)
}

// audience is one member's place in this tick's broadcast: who receives
// which encoding. whole marks a spectator of a room with interest
// management: it sees the whole world, whatever its cell.
type audience struct {
	base           uint32
	cell, baseCell cell
	whole          bool
	m              *member
}

func compareAudience(a, b audience) int {
	if a.whole != b.whole {
		if a.whole {
			return 1
		}
		return -1
	}
	if c := cmp.Compare(a.base, b.base); c != 0 {
		return c
	}
	if c := cmp.Compare(a.baseCell.x, b.baseCell.x); c != 0 {
		return c
	}
	if c := cmp.Compare(a.baseCell.y, b.baseCell.y); c != 0 {
		return c
	}
	if c := cmp.Compare(a.cell.x, b.cell.x); c != 0 {
		return c
	}
	return cmp.Compare(a.cell.y, b.cell.y)
}
