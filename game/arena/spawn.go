package arena

import "math"

// randomPoint returns a uniformly random point at least margin from every
// wall.
func (w *world) randomPoint(margin float64) (x, y float64) {
	x = margin + w.rng.Float64()*(worldWidth-2*margin)
	y = margin + w.rng.Float64()*(worldHeight-2*margin)
	return x, y
}

// spawnPoint returns where a player should (re)appear: the candidate
// farthest from every living player. It always draws spawnCandidates points
// so that the rng advances the same way however many players there are.
func (w *world) spawnPoint() (x, y float64) {
	best := -1.0
	for range spawnCandidates {
		cx, cy := w.randomPoint(playerRadius)
		d := math.Inf(1)
		for i := range w.players {
			if p := &w.players[i]; p.alive() {
				d = min(d, dist2(cx, cy, p.x, p.y))
			}
		}
		if d > best {
			best, x, y = d, cx, cy
		}
	}
	return x, y
}
