// Package movers is the standard benchmark workload: players glide in the
// direction of their latest input and score a point whenever their velocity
// changes. The rules are fixed so that benchmark results stay comparable
// between server versions; change them only together with the benchmarks.
package movers

import (
	"math/rand/v2"

	"github.com/skirmishgg/skirmish/game"
)

// Name is the mode's name as clients ask for it.
const Name = "movers"

// LargeName is the same workload in a LargeSize world, for interest
// management: a room of hundreds of players of whom each sees a few dozen.
const LargeName = "movers-large"

// LargeSize is the side of the LargeName world.
const LargeSize = 8000

const (
	// worldSize is the side of the standard square world.
	worldSize = 1000
	// speed is the velocity, in world units per second, of a full input axis.
	speed = 100
	// playerHP is constant: nothing in movers hurts, but snapshots still
	// carry the column so that the benchmark encodes a realistic entity.
	playerHP = 100
	// pcgStream is the second PCG word. It is fixed so that a seed always
	// gives the same spawns, and differs from other modes' so that equal
	// seeds do not give correlated worlds.
	pcgStream = 0x6d6f76657273 // "movers"
)

// world is the movers Mode.
type world struct {
	name    string
	size    float64 // side of the square world
	rng     *rand.Rand
	players []player // ascending id, so AppendEntities needs no sort
}

// New creates a movers world. It uses only cfg.Seed: movers has no entities
// other than players, so it never allocates ids.
func New(cfg game.ModeConfig) game.Mode {
	return &world{name: Name, size: worldSize, rng: rand.New(rand.NewPCG(cfg.Seed, pcgStream))}
}

// NewLarge creates a movers world of LargeSize×LargeSize: the same rules,
// the mode named LargeName.
func NewLarge(cfg game.ModeConfig) game.Mode {
	return &world{name: LargeName, size: LargeSize, rng: rand.New(rand.NewPCG(cfg.Seed, pcgStream))}
}

// Name returns Name or LargeName.
func (w *world) Name() string { return w.name }

// WorldSize returns the square world's size.
func (w *world) WorldSize() (width, height float64) { return w.size, w.size }
