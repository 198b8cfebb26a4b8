package game

import "math"

// Movement is the rule by which a mode moves its players, with the
// parameters that Welcome tells clients (skirmishv1.Movement) so that they
// predict their own player exactly as the room moves it. Modes call Move
// from their Step, so what Welcome says is what the room does.
type Movement struct {
	// Speed is in world units per second at full input.
	Speed float64
	// Radius keeps the player's centre this far from every wall.
	Radius float64
	// NormalizeDiagonal scales a direction longer than 1 to length 1, so
	// that diagonals are no faster than straight moves; without it each
	// axis moves on its own.
	NormalizeDiagonal bool
}

// Move moves a player at (x, y) for dt seconds under the input axes dx,
// dy (already clamped to [-1, 1]) in a world of width × height, and
// returns where it ends and the velocity it moved with: zero on an axis
// where a wall stopped it, so that dead reckoning from a snapshot does
// not run into the wall.
func (m Movement) Move(x, y, dx, dy, dt, width, height float64) (nx, ny, vx, vy float64) {
	if m.NormalizeDiagonal {
		if l2 := dx*dx + dy*dy; l2 > 1 {
			l := math.Sqrt(l2)
			dx, dy = dx/l, dy/l
		}
	}
	nx, vx = clampMove(x, dx*m.Speed, dt, m.Radius, width-m.Radius)
	ny, vy = clampMove(y, dy*m.Speed, dt, m.Radius, height-m.Radius)
	return nx, ny, vx, vy
}

// clampMove moves pos by v·dt within [lo, hi]; a move stopped by a wall
// reports zero velocity.
func clampMove(pos, v, dt, lo, hi float64) (float64, float64) {
	next := pos + v*dt
	switch {
	case next < lo:
		return lo, 0
	case next > hi:
		return hi, 0
	}
	return next, v
}
