package movers

import "math"

// Step moves every player by its input velocity for dt seconds. A player
// scores a point on every tick whose velocity differs from the previous
// tick's, which gives the benchmark a score column that changes sometimes
// but not always, like a real game.
//
// Step ignores a dt that is not a positive finite number: a broken clock
// must not turn positions into NaN.
func (w *world) Step(dt float64) {
	if !(dt > 0) || math.IsInf(dt, 1) {
		return
	}
	for i := range w.players {
		p := &w.players[i]
		vx := float64(p.dx) * speed
		vy := float64(p.dy) * speed
		if vx != p.vx || vy != p.vy {
			p.score++
		}
		p.vx, p.vy = vx, vy
		p.x = min(max(p.x+vx*dt, 0), w.size)
		p.y = min(max(p.y+vy*dt, 0), w.size)
	}
}
