package game

import (
	"math"

	"github.com/skirmishgg/skirmish/proto/wire"
)

// Mode is the rules of one game. A Mode is owned by one room and called
// only from that room's loop goroutine, so it needs no locking. It must be
// deterministic given its ModeConfig.Seed and the sequence of calls.
type Mode interface {
	// Name is the mode's name as clients ask for it ("arena").
	Name() string
	// WorldSize is the size of the world in world units.
	WorldSize() (width, height float64)
	// AddPlayer puts a player entity with the given id into the world.
	AddPlayer(id uint32, name string)
	// RemovePlayer takes a player entity out of the world.
	RemovePlayer(id uint32)
	// ApplyInput applies one input of a player, in the order received.
	ApplyInput(id uint32, in wire.Input)
	// Step advances the world by one tick of dt seconds.
	Step(dt float64)
	// AppendEntities appends every entity of the world to dst, in ascending
	// id order, and returns the extended slice.
	AppendEntities(dst []wire.Entity) []wire.Entity
	// Movement is the rule its Step moves players by, which Welcome tells
	// clients for their prediction; the zero Movement when its players do
	// not move by that rule.
	Movement() Movement
}

// ModeConfig is what a room gives the mode it creates.
type ModeConfig struct {
	// Seed makes the mode's randomness reproducible.
	Seed uint64
	// IDs allocates ids for entities other than players; players get theirs
	// from the same allocator so that ids never collide.
	IDs *IDs
}

// NewModeFunc creates a mode for a new room.
type NewModeFunc func(cfg ModeConfig) Mode

// Quantize converts a world coordinate or speed to snapshot units.
func Quantize(v float64) int32 {
	return int32(math.Round(v * wire.PositionScale))
}

// QuantizeAngle converts radians to 1/AngleSteps of a turn in [0, AngleSteps).
func QuantizeAngle(rad float64) int32 {
	a := int32(math.Round(rad/(2*math.Pi)*wire.AngleSteps)) % wire.AngleSteps
	if a < 0 {
		a += wire.AngleSteps
	}
	return a
}

// ClampAxis clamps one input axis to [-1, 1]; NaN becomes 0.
func ClampAxis(v float32) float32 {
	switch {
	case v != v:
		return 0
	case v < -1:
		return -1
	case v > 1:
		return 1
	}
	return v
}
