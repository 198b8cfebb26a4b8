package game

import "github.com/skirmishgg/skirmish/proto/wire"

// historyTicks is how many past worlds a room keeps as delta baselines.
// A client whose acknowledged tick is older (about 1 s at 30 Hz) gets a
// full snapshot.
const historyTicks = 32

// history is a ring of the room's last historyTicks worlds. Its slices are
// reused, so recording a tick does not allocate once the ring is warm.
type history struct {
	ticks  [historyTicks]uint32
	worlds [historyTicks][]wire.Entity
	cells  [historyTicks][]cell // with interest management: each entity's cell
}

// record stores the mode's entities as the world of tick and returns them.
func (h *history) record(tick uint32, m Mode) []wire.Entity {
	i := tick % historyTicks
	h.worlds[i] = m.AppendEntities(h.worlds[i][:0])
	h.ticks[i] = tick
	return h.worlds[i]
}

// baseline returns the tick to encode against for a client that
// acknowledged ack, at tick now: ack itself while it is kept, else 0
// (full snapshot).
func (h *history) baseline(ack, now uint32) uint32 {
	if ack == 0 || ack >= now || now-ack >= historyTicks || h.ticks[ack%historyTicks] != ack {
		return 0
	}
	return ack
}

// world returns the recorded world of tick (nil for 0).
func (h *history) world(tick uint32) []wire.Entity {
	if tick == 0 {
		return nil
	}
	return h.worlds[tick%historyTicks]
}

// recordCells stores the grid cell of every entity of tick's world (just
// recorded) and returns them.
func (h *history) recordCells(tick uint32, g grid, world []wire.Entity) []cell {
	i := tick % historyTicks
	h.cells[i] = g.cells(h.cells[i][:0], world)
	return h.cells[i]
}

// cellsOf returns the cells recorded with tick's world.
func (h *history) cellsOf(tick uint32) []cell {
	return h.cells[tick%historyTicks]
}
