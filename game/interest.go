package game

import (
	"math"
	"slices"

	"github.com/skirmishgg/skirmish/proto/wire"
)

// grid is a room's interest management: the world is cut into square cells
// of the room's view range, and a player receives only the entities in the
// 3×3 block of cells around its own. Players in the same cell see the same
// entities, so a snapshot is encoded once per (cell, baseline), never per
// player. The zero grid is off: everyone sees the whole world.
type grid struct {
	cell int32 // cell side in snapshot units; 0 when off
	cols int32 // cells per row and column
}

func newGrid(viewRange, worldWidth, worldHeight float64) grid {
	if viewRange <= 0 {
		return grid{}
	}
	side := max(worldWidth, worldHeight)
	return grid{cell: Quantize(viewRange), cols: int32(math.Ceil(side / viewRange))}
}

func (g grid) on() bool { return g.cell > 0 }

// cell is a grid cell's column and row.
type cell struct{ x, y int16 }

// cellOf returns the cell an entity is in.
func (g grid) cellOf(e *wire.Entity) cell {
	return cell{
		x: int16(min(max(e.X/g.cell, 0), g.cols-1)),
		y: int16(min(max(e.Y/g.cell, 0), g.cols-1)),
	}
}

// sees reports whether a player in cell from sees an entity in cell to.
func sees(from, to cell) bool {
	dx, dy := from.x-to.x, from.y-to.y
	return dx >= -1 && dx <= 1 && dy >= -1 && dy <= 1
}

// cells appends the cell of every entity of world to dst.
func (g grid) cells(dst []cell, world []wire.Entity) []cell {
	for i := range world {
		dst = append(dst, g.cellOf(&world[i]))
	}
	return dst
}

// view appends to dst the entities of world (whose cells are cells) that a
// player in from sees.
func view(dst, world []wire.Entity, cells []cell, from cell) []wire.Entity {
	for i, c := range cells {
		if sees(from, c) {
			dst = append(dst, world[i])
		}
	}
	return dst
}

// viewKey names one filtered world: a tick's world as seen from a cell.
type viewKey struct {
	tick uint32
	from cell
}

// viewCache holds the views built during one tick. Entries and their
// slices are reused from tick to tick, so it does not allocate once warm.
type viewCache struct {
	keys  []viewKey
	views [][]wire.Entity
}

func (c *viewCache) reset() { c.keys = c.keys[:0] }

// get returns the view of key, building it from world and its cells on
// first use.
func (c *viewCache) get(key viewKey, world []wire.Entity, cells []cell) []wire.Entity {
	if i := slices.Index(c.keys, key); i >= 0 {
		return c.views[i]
	}
	n := len(c.keys)
	c.keys = append(c.keys, key)
	if n == len(c.views) {
		c.views = append(c.views, nil)
	}
	c.views[n] = view(c.views[n][:0], world, cells, key.from)
	return c.views[n]
}
