package arena

import "math"

// rewindTicks is how many ticks before tick now a shot fired at now is
// judged, for a shooter whose latest input acknowledged snapshot ack, at
// ticks of dt seconds.
//
// This is lag compensation. A client draws the world as of the snapshot it
// has, so its player aims at where the target was then, not where the
// server has it now. Judged against the present, every target would sit a
// ping's worth of movement away from where the shooter saw it, and players
// would have to lead by their own latency. So a shot remembers how far
// behind the shooter's view was, now − ack, and every hit test of that shot,
// all along its flight, uses each target's pose that many ticks before the
// present (see poseAgo): the shot flies through the world as the shooter
// saw it, and hits a target that was there then.
//
// Only the ack difference is counted: the client's interpolation delay is
// unknown to the server. The ack is the room's, not the client's raw
// claim: the room hands the mode the newest ack it accepted from the
// player's current connection, no further back than the round trip the
// server measured allows (see game.Room.SetRTT), so a client close to the
// server cannot claim the rewind of a distant one. The rewind is 0 when ack is 0 (the client had no
// snapshot yet) or not in the past (it cannot have seen that tick). The cost
// of the rule falls on the target, who can be hit where it no longer is on
// its own screen; so the rewind is capped at maxRewind (rounded down, so a
// shot never reaches further back) and at the trail that players keep. A
// shooter lagging more than that has to lead again, by the excess only.
func rewindTicks(now, ack uint32, dt float64) uint32 {
	if ack == 0 || ack >= now {
		return 0
	}
	// Clamp as a float first: maxRewind/dt overflows uint32 for a tiny dt.
	limit := uint32(min(math.Floor(maxRewind/dt+timeEpsilon), poseHistory-1))
	return min(now-ack, limit)
}

// poseAgo returns where p was ago ticks before the present, for a shot with
// that rewind, or false if such a shot cannot hit p. A target is hit only
// if it was alive and in the game then and has stayed alive ever since: the
// shooter did not see a player who was dead or not yet there, and a player
// who has died since cannot be killed again by a shot it was already dead
// for. If the trail does not reach that far, the oldest pose kept is used.
func (w *world) poseAgo(p *player, ago uint32) (pose, bool) {
	ago = min(ago, poseHistory-1)
	if !p.alive() || ago >= w.tick {
		return pose{}, false
	}
	then := w.tick - ago
	// lifeStart is the first tick of the current life, so this one check
	// covers "alive then", "alive since" and "had joined".
	if then < p.lifeStart {
		return pose{}, false
	}
	return p.trail.at(then), true
}
