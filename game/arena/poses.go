package arena

import "github.com/skirmishgg/skirmish/game"

// poseHistory is how many ticks of poses each player keeps: the present one
// and maxRewind before it at the fastest tick rate a room runs, rounded up.
// Sizing it for game.MaxTickRate rather than the room's actual rate (which
// the mode is not told) lets the trail be a fixed array: no allocation,
// ever, and nothing to resize when dt changes.
const poseHistory = 1 + (maxRewindMillis*game.MaxTickRate+999)/1000

// pose is where a player was at the end of one tick.
type pose struct{ x, y float64 }

// poseTrail is a player's poses over its last poseHistory ticks, the pose
// of tick t at index t % poseHistory.
type poseTrail [poseHistory]pose

// record stores the pose of tick.
func (tr *poseTrail) record(tick uint32, x, y float64) {
	tr[tick%poseHistory] = pose{x, y}
}

// at returns the pose of tick, which must be among the last poseHistory
// recorded.
func (tr *poseTrail) at(tick uint32) pose {
	return tr[tick%poseHistory]
}

// recordPoses stores every player's position as of this tick, dead or not,
// so that shots fired from an older view of the world can be judged
// against it (see rewindTicks).
func (w *world) recordPoses() {
	for i := range w.players {
		p := &w.players[i]
		p.trail.record(w.tick, p.x, p.y)
	}
}
