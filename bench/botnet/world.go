package botnet

import (
	"github.com/skirmishgg/skirmish/proto/wire"
)

// Snapshot columns, for the bots that look inside snapshots: the entity
// count of a snapshot (interest management) and the score of their own
// entity (resume). Bots do not reconstruct worlds: a delta lists only the
// entities that differ from their prediction, so the entities of a tick are
// the baseline's ids, plus the ids listed, minus the removed ones. That is
// all a bot keeps per tick (and, for resume, its own score), in a ring as
// deep as the baselines a client must keep.

// trackDepth is how many ticks a tracker remembers: the protocol asks
// clients to keep 64 (the server bases deltas on at most 32 ticks back).
const trackDepth = 64

// trackedTick is what a tracker keeps of one tick it has seen.
type trackedTick struct {
	tick  uint32 // 0: empty slot, or a tick that could not be resolved
	ids   []uint32
	own   bool  // the bot's own entity is in the world of this tick
	score int32 // its score then
}

// worldTracker follows, through full and delta snapshots, the ids of the
// entities a bot sees (when ids is set) and its own entity's score (when
// own != 0). Owned by the worker serving the bot.
type worldTracker struct {
	ids   bool
	own   uint32
	ticks [trackDepth]trackedTick
}

// trackResult is what apply learned about one snapshot.
type trackResult struct {
	ok       bool // the baseline was known (always for a full snapshot)
	entities int  // entities in the world of this tick (when ok and ids)
	own      bool // the own entity is in it (when ok and own != 0)
	score    int32
}

// reset forgets every tick (a new connection has no baselines).
func (t *worldTracker) reset() {
	for i := range t.ticks {
		t.ticks[i].tick = 0
	}
}

// latest returns the newest resolved tick, if any.
func (t *worldTracker) latest() (trackedTick, bool) {
	var best trackedTick
	for _, tt := range t.ticks {
		if tt.tick > best.tick {
			best = tt
		}
	}
	return best, best.tick != 0
}

// apply records the world of snapshot c and describes it.
func (t *worldTracker) apply(c *wire.SnapshotColumns) trackResult {
	slot := &t.ticks[c.Tick%trackDepth]
	slot.tick = 0
	var base *trackedTick
	if c.Base != 0 {
		b := &t.ticks[c.Base%trackDepth]
		if b.tick != c.Base || c.Base >= c.Tick {
			return trackResult{}
		}
		base = b
	}
	if t.ids {
		var baseIDs []uint32
		if base != nil {
			baseIDs = base.ids
		}
		slot.ids = mergeIDs(slot.ids[:0], baseIDs, c.IDs, c.Removed)
	}
	if t.own != 0 {
		slot.own, slot.score = false, 0
		if base != nil && base.own {
			slot.own, slot.score = true, base.score
		}
		if i, ok := indexID(c.IDs, t.own); ok {
			if !slot.own {
				slot.score = 0 // a new entity is predicted as all zero
			}
			slot.own = true
			if len(c.Score) > 0 {
				slot.score += c.Score[i]
			}
		} else if _, gone := indexID(c.Removed, t.own); gone {
			slot.own, slot.score = false, 0
		}
	}
	slot.tick = c.Tick
	return trackResult{ok: true, entities: len(slot.ids), own: slot.own, score: slot.score}
}

// mergeIDs appends to dst the ascending union of base and listed without
// the ids in removed (all three ascending).
func mergeIDs(dst, base, listed, removed []uint32) []uint32 {
	i, j, k := 0, 0, 0
	for i < len(base) || j < len(listed) {
		var id uint32
		switch {
		case j == len(listed) || (i < len(base) && base[i] < listed[j]):
			id = base[i]
			i++
		case i == len(base) || listed[j] < base[i]:
			id = listed[j]
			j++
		default:
			id = listed[j]
			i++
			j++
		}
		for k < len(removed) && removed[k] < id {
			k++
		}
		if k < len(removed) && removed[k] == id {
			continue
		}
		dst = append(dst, id)
	}
	return dst
}

// indexID finds id in the ascending ids.
func indexID(ids []uint32, id uint32) (int, bool) {
	lo, hi := 0, len(ids)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if ids[m] < id {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(ids) && ids[lo] == id
}
