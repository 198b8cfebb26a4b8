package arena

import "math"

// Step advances the game by dt seconds. The phases run in a fixed order so
// that a tick is reproducible: players respawn and move, flying projectiles
// hit, living players fire, and pickups come back and get collected.
// Projectiles fired this tick start moving next tick, so that clients see
// them leave the muzzle.
//
// Every tick's player positions are recorded once players have moved, for
// the hit tests of shots fired from an older view (see rewindTicks).
//
// Step ignores a dt that is not a positive finite number: a broken clock
// must not turn positions into NaN or timers into forever. It still counts
// the tick, so that w.tick stays the room's, and records the unchanged poses.
func (w *world) Step(dt float64) {
	w.tick++
	if !(dt > 0) || math.IsInf(dt, 1) {
		w.recordPoses()
		return
	}
	w.movePlayers(dt)
	w.recordPoses()
	w.moveProjectiles(dt)
	w.fire(dt)
	w.updatePickups(dt)
}
