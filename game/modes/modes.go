// Package modes is the registry of the game modes Skirmish ships. The
// server binary, the tests and the bots take the modes, their capacities
// and view ranges from here, so a mode's shape is written once.
package modes

import (
	"github.com/skirmishgg/skirmish/game"
	"github.com/skirmishgg/skirmish/game/arena"
	"github.com/skirmishgg/skirmish/game/movers"
)

// Default is the mode of a Join that names none: the demo game.
const Default = arena.Name

// Capacities of the shipped modes: the most players one room holds.
const (
	// ArenaCapacity keeps an arena readable on one screen.
	ArenaCapacity = 16
	// MoversCapacity is the benchmark workload's room: large enough that a
	// room's broadcast, not the hub, dominates the cost.
	MoversCapacity = 512
	// MoversLargeCapacity fills the 8000×8000 world of movers-large.
	MoversLargeCapacity = 1000
	// MoversLargeViewRange is the interest-management cell side of
	// movers-large: each player sees the 3×3 cells around its own.
	MoversLargeViewRange = 1000
)

// Shipped returns the shipped modes by name, ready for game.HubConfig.
func Shipped() map[string]game.ModeSpec {
	return map[string]game.ModeSpec{
		arena.Name:       {New: arena.New, Capacity: ArenaCapacity},
		movers.Name:      {New: movers.New, Capacity: MoversCapacity},
		movers.LargeName: {New: movers.NewLarge, Capacity: MoversLargeCapacity, ViewRange: MoversLargeViewRange},
	}
}
