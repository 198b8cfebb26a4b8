package arena

import (
	"slices"

	"github.com/skirmishgg/skirmish/game"
	"github.com/skirmishgg/skirmish/proto/wire"
)

// pickup is a health pack lying in the world.
type pickup struct {
	id   uint32
	x, y float64
}

// updatePickups brings back pickups whose time is up, then lets living
// players collect the ones they touch.
func (w *world) updatePickups(dt float64) {
	timers := w.pickupTimers[:0]
	for _, t := range w.pickupTimers {
		if t -= dt; t > timeEpsilon {
			timers = append(timers, t)
			continue
		}
		w.spawnPickup()
	}
	w.pickupTimers = timers

	for i := 0; i < len(w.pickups); {
		if p := w.collector(&w.pickups[i]); p != nil {
			p.hp = min(p.hp+pickupHeal, maxHP)
			w.pickups = slices.Delete(w.pickups, i, i+1)
			w.pickupTimers = append(w.pickupTimers, pickupRespawnDelay)
			continue
		}
		i++
	}
}

// collector returns the living player, lowest id first, that touches pk and
// can use it, or nil. Players at full health leave it for someone who needs
// it, so that a pack is never wasted by walking over it.
func (w *world) collector(pk *pickup) *player {
	for i := range w.players {
		p := &w.players[i]
		if p.alive() && p.hp < maxHP && touching(p.x, p.y, pk.x, pk.y, playerRadius+pickupRadius) {
			return p
		}
	}
	return nil
}

// spawnPickup places a new pickup at a random spot. It gets a new id, so
// that clients see a pack vanish and another appear rather than one slide.
func (w *world) spawnPickup() {
	x, y := w.randomPoint(pickupRadius)
	w.pickups = append(w.pickups, pickup{id: w.ids.Next(), x: x, y: y})
}

// entity is pk as snapshots carry it.
func (pk *pickup) entity() wire.Entity {
	return wire.Entity{
		ID:   pk.id,
		Kind: wire.KindPickup,
		X:    game.Quantize(pk.x),
		Y:    game.Quantize(pk.y),
	}
}
