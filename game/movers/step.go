package movers

import (
	"math"

	"github.com/skirmishgg/skirmish/game"
)

// Step moves every player by its input velocity for dt seconds (see
// movement). A player scores a point on every tick whose commanded
// velocity (input times speed) differs from the previous tick's, which
// gives the benchmark a score column that changes sometimes but not
// always, like a real game.
//
// Step ignores a dt that is not a positive finite number: a broken clock
// must not turn positions into NaN.
func (w *world) Step(dt float64) {
	if !(dt > 0) || math.IsInf(dt, 1) {
		return
	}
	for i := range w.players {
		p := &w.players[i]
		// The score rule compares the commanded velocity, whether or not
		// a wall stops the player, so that benchmark results stay
		// comparable with earlier versions.
		cx, cy := float64(p.dx)*speed, float64(p.dy)*speed
		if cx != p.cx || cy != p.cy {
			p.score++
		}
		p.cx, p.cy = cx, cy
		p.x, p.y, p.vx, p.vy = movement.Move(p.x, p.y, float64(p.dx), float64(p.dy), dt, w.size, w.size)
	}
}

// movement is how movers move: each axis on its own (a diagonal is √2
// faster), stopped by the world's edge.
var movement = game.Movement{Speed: speed}

// Movement returns the movers' movement rule, for Welcome.
func (w *world) Movement() game.Movement { return movement }
