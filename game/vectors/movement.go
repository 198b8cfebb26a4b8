package vectors

import (
	"github.com/skirmishgg/skirmish/game"
	"github.com/skirmishgg/skirmish/game/arena"
	"github.com/skirmishgg/skirmish/game/movers"
)

// movements are players moved by each shipped mode's rule, through
// diagonals, partial and out-of-range inputs and into walls and corners.
func movements() []Movement {
	type in struct{ dx, dy float32 }
	run := func(name, about, mode string, newMode game.NewModeFunc, tickRate uint32, start Point, inputs []in) Movement {
		m := newMode(game.ModeConfig{IDs: &game.IDs{}})
		rule := m.Movement()
		w, h := m.WorldSize()
		period := uint32(1_000_000_000 / tickRate)
		dt := float64(period) / 1e9
		v := Movement{
			Name: name, About: about, Mode: mode,
			WorldWidth: uint32(w), WorldHeight: uint32(h), TickPeriodNs: period,
			Rule:  Rule{Speed: rule.Speed, Radius: rule.Radius, NormalizeDiagonal: rule.NormalizeDiagonal},
			Start: start,
		}
		x, y := start.X, start.Y
		for _, i := range inputs {
			var vx, vy float64
			x, y, vx, vy = rule.Move(x, y, float64(game.ClampAxis(i.dx)), float64(game.ClampAxis(i.dy)), dt, w, h)
			v.Ticks = append(v.Ticks, Motion{DX: i.dx, DY: i.dy, X: x, Y: y, VX: vx, VY: vy})
		}
		return v
	}
	repeat := func(n int, i in) []in {
		out := make([]in, n)
		for k := range out {
			out[k] = i
		}
		return out
	}
	var arenaInputs []in
	arenaInputs = append(arenaInputs, repeat(3, in{1, -1})...)     // diagonal: normalized
	arenaInputs = append(arenaInputs, repeat(3, in{1, 0.5})...)    // longer than 1: normalized
	arenaInputs = append(arenaInputs, repeat(3, in{0.6, 0.6})...)  // shorter than 1: as is
	arenaInputs = append(arenaInputs, repeat(3, in{5, 0})...)      // clamped to 1
	arenaInputs = append(arenaInputs, repeat(4, in{-1, 0})...)     // into the left wall
	arenaInputs = append(arenaInputs, repeat(30, in{-0.3, -1})...) // along it, into the corner
	arenaInputs = append(arenaInputs, in{0, 0}, in{0.25, 0})
	var moversInputs []in
	moversInputs = append(moversInputs, repeat(3, in{1, 1})...)    // diagonal: sqrt(2) faster
	moversInputs = append(moversInputs, repeat(3, in{-1, 0.5})...) // into x = 0
	moversInputs = append(moversInputs, repeat(10, in{0.7, 1})...) // into y = 1000, along it
	moversInputs = append(moversInputs, repeat(2, in{-7, -0.1})...)
	return []Movement{
		run("arena-30hz", "The arena's rule at 30 Hz: diagonals normalized, inputs clamped, walls 20 units inside the edge stop the player and zero its velocity on that axis.",
			arena.Name, arena.New, 30, Point{X: 30, Y: 500}, arenaInputs),
		run("movers-20hz", "The movers' rule at 20 Hz: each axis on its own (a diagonal is faster), walls at the world's edge.",
			movers.Name, movers.New, 20, Point{X: 5, Y: 990}, moversInputs),
	}
}
