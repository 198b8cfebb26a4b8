package arena

import "math"

// Step advances the game by dt seconds. The phases run in a fixed order so
// that a tick is reproducible: players respawn and move, flying projectiles
// hit, living players fire, and pickups come back and get collected.
// Projectiles fired this tick start moving next tick, so that clients see
// them leave the muzzle.
//
// Step ignores a dt that is not a positive finite number: a broken clock
// must not turn positions into NaN or timers into forever.
func (w *world) Step(dt float64) {
	if !(dt > 0) || math.IsInf(dt, 1) {
		return
	}
	w.movePlayers(dt)
	w.moveProjectiles(dt)
	w.fire(dt)
	w.updatePickups(dt)
}
