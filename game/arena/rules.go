package arena

// The rules of the game, in world units, seconds and hit points.
const (
	worldWidth  = 1600
	worldHeight = 1000

	playerRadius = 20
	playerSpeed  = 220 // units per second at full input
	maxHP        = 100
	respawnDelay = 2.0
	killScore    = 1

	fireInterval       = 0.25
	projectileSpeed    = 600
	projectileLifetime = 1.2
	projectileRadius   = 5
	projectileDamage   = 20

	// maxRewindMillis is how far into the past, at most, a shot is judged
	// (see rewindTicks): enough for a typical ping, and a bound on how long
	// after moving away a player can still be hit where it stood.
	maxRewindMillis = 200
	maxRewind       = maxRewindMillis / 1000.0 // seconds

	pickupCount        = 4
	pickupRadius       = 12
	pickupHeal         = 30
	pickupRespawnDelay = 5.0

	// spawnCandidates is how many random points a respawn considers; it
	// takes the one farthest from living players so that nobody respawns
	// in front of a gun.
	spawnCandidates = 8
)

const (
	// timeEpsilon absorbs float error in timers: 15 ticks of 1/60 s do not
	// add up to exactly 0.25 s, and a shot or respawn must not slip a tick.
	timeEpsilon = 1e-9
	// pcgStream is the second PCG word. It is fixed so that a seed always
	// gives the same game, and differs from other modes' so that equal
	// seeds do not give correlated worlds.
	pcgStream = 0x6172656e61 // "arena"
)
