package game

import "time"

// catchUpTicks is how many ticks a late room runs back to back before it
// gives up on the backlog and skips ahead.
const catchUpTicks = 3

// schedule decides when a room's ticks are due. Tick n is due at
// start + n·period, so the time spent working inside a tick never stretches
// the period. A loop that falls behind runs up to maxCatchUp due ticks at
// once; past that it skips the rest, since simulating stale ticks only
// delays the fresh ones further.
type schedule struct {
	start      time.Time
	period     time.Duration
	maxCatchUp int
	next       uint64 // index of the next tick to run
}

// due reports, at time now, how many ticks to run now and how many were
// skipped because the loop is too far behind.
func (s *schedule) due(now time.Time) (run, skipped int) {
	elapsed := now.Sub(s.start)
	if elapsed < 0 {
		return 0, 0
	}
	// Ticks 0..reached-1 are due by now.
	reached := uint64(elapsed/s.period) + 1
	if reached <= s.next {
		return 0, 0
	}
	behind := reached - s.next
	if behind > uint64(s.maxCatchUp) {
		skipped = int(behind) - s.maxCatchUp
		behind = uint64(s.maxCatchUp)
	}
	s.next = reached
	return int(behind), skipped
}

// wakeAt is when the next tick is due.
func (s *schedule) wakeAt() time.Time {
	return s.start.Add(time.Duration(s.next) * s.period)
}
