package arena

import "math"

// movePlayers brings back players whose respawn time is up and moves the
// living ones by their input. Dead players stay where they fell.
func (w *world) movePlayers(dt float64) {
	for i := range w.players {
		p := &w.players[i]
		if !p.alive() {
			p.respawnIn -= dt
			if p.respawnIn > timeEpsilon {
				continue
			}
			w.respawn(p)
		}
		dx, dy := p.dx, p.dy
		// Diagonals would otherwise be √2 faster than straight moves.
		if l2 := dx*dx + dy*dy; l2 > 1 {
			l := math.Sqrt(l2)
			dx, dy = dx/l, dy/l
		}
		p.vx, p.vy = dx*playerSpeed, dy*playerSpeed
		p.x, p.vx = clampMove(p.x, p.vx, dt, playerRadius, worldWidth-playerRadius)
		p.y, p.vy = clampMove(p.y, p.vy, dt, playerRadius, worldHeight-playerRadius)
	}
}

// clampMove moves pos by v·dt within [lo, hi]. A move stopped by a wall
// reports zero velocity, so that clients do not extrapolate into the wall.
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

// respawn brings a dead player back with full health at a free spot. The
// new life starts this tick: shots judged before it do not see it.
func (w *world) respawn(p *player) {
	p.x, p.y = w.spawnPoint()
	p.hp = maxHP
	p.respawnIn = 0
	p.cooldown = 0
	p.lifeStart = w.tick
}

// kill makes p dead; it keeps its position and score until it respawns.
func (p *player) kill() {
	p.hp = 0
	p.vx, p.vy = 0, 0
	p.respawnIn = respawnDelay
}
