package arena

import "math"

// fire lets every living player holding fire shoot if its cooldown is over.
func (w *world) fire(dt float64) {
	for i := range w.players {
		p := &w.players[i]
		trigger := p.alive() && (p.firing || p.fireTapped)
		p.fireTapped = false
		if trigger && p.cooldown <= timeEpsilon {
			w.shoot(p, rewindTicks(w.tick, p.ackTick, dt))
			// Keep how late this shot was (cooldown < 0) so that holding
			// fire averages exactly one shot per fireInterval whatever the
			// tick rate; but never bank more than one shot.
			p.cooldown = max(p.cooldown+fireInterval, 0)
		}
		p.cooldown -= dt
		if !trigger && p.cooldown < 0 {
			p.cooldown = 0
		}
	}
}

// shoot launches a projectile from p's centre along its aim, to be judged
// rewind ticks in the past.
func (w *world) shoot(p *player, rewind uint32) {
	sin, cos := math.Sincos(p.aim)
	w.projectiles = append(w.projectiles, projectile{
		id:     w.ids.Next(), // ids only increase, so appending keeps order
		owner:  p.id,
		x:      p.x,
		y:      p.y,
		vx:     cos * projectileSpeed,
		vy:     sin * projectileSpeed,
		rewind: rewind,
	})
}
