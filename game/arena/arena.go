// Package arena is the demo game played in the browser: a top-down
// free-for-all where players run around, shoot each other and pick up
// health. It is kept small on purpose; the server, not the game, is the
// point of the project.
package arena

import (
	"math/rand/v2"

	"github.com/skirmishgg/skirmish/game"
)

// Name is the mode's name as clients ask for it.
const Name = "arena"

// world is the arena Mode. Each entity kind lives in its own slice, sorted
// by id, and AppendEntities merges them.
type world struct {
	rng         *rand.Rand
	ids         *game.IDs
	players     []player
	projectiles []projectile
	pickups     []pickup
	// pickupTimers are the seconds until each collected pickup comes back.
	pickupTimers []float64
	// tick counts Step calls. The room's tick starts at 1 and advances once
	// per Step, so during and after a Step this is the room's tick number,
	// the one clients acknowledge in Input.AckTick.
	tick uint32
}

// New creates an arena with its health pickups placed. It panics if cfg.IDs
// is nil: projectiles and pickups need ids that never collide with players'.
func New(cfg game.ModeConfig) game.Mode {
	if cfg.IDs == nil {
		panic("arena: ModeConfig.IDs is nil")
	}
	w := &world{
		rng:          rand.New(rand.NewPCG(cfg.Seed, pcgStream)),
		ids:          cfg.IDs,
		pickups:      make([]pickup, 0, pickupCount),
		pickupTimers: make([]float64, 0, pickupCount),
	}
	for range pickupCount {
		w.spawnPickup()
	}
	return w
}

// Name returns Name.
func (w *world) Name() string { return Name }

// WorldSize returns the fixed 1600×1000 world.
func (w *world) WorldSize() (width, height float64) { return worldWidth, worldHeight }
