package arena

import (
	"cmp"
	"slices"

	"github.com/skirmishgg/skirmish/game"
	"github.com/skirmishgg/skirmish/proto/wire"
)

// player is one player's body and the controls that drive it.
type player struct {
	id     uint32
	x, y   float64
	vx, vy float64 // velocity of the last tick, for snapshots
	hp     int32
	score  int32

	// Latest input, in force until replaced.
	seq    uint32
	dx, dy float64
	aim    float64 // radians in [-π, π]
	firing bool
	// fireTapped remembers a fire press since the last tick: the room may
	// apply several inputs per tick, and a quick click must not be lost to
	// a release that arrived in the same tick.
	fireTapped bool

	cooldown  float64 // seconds until the next shot
	respawnIn float64 // seconds until a dead player comes back

	// ackTick is the snapshot tick the latest input acknowledged: the world
	// this player was looking at, which its shots are judged against.
	ackTick uint32
	// lifeStart is the first tick of the current life (join or respawn): a
	// shot judged at an earlier tick did not see this life, so cannot hit it.
	lifeStart uint32
	// trail is where the player was over the last ticks, for those shots.
	trail poseTrail
}

// alive reports whether p can move, shoot and be hit.
func (p *player) alive() bool { return p.hp > 0 }

// AddPlayer puts a player with full health at a free spot. Adding an id that
// is already present does nothing.
func (w *world) AddPlayer(id uint32, _ string) {
	i, found := w.searchPlayer(id)
	if found {
		return
	}
	x, y := w.spawnPoint()
	// Insert rather than append: a player's id is allocated at join time,
	// and projectiles may have taken later ids before the room adds it.
	// The player's first pose is recorded by the next Step.
	w.players = slices.Insert(w.players, i, player{id: id, x: x, y: y, hp: maxHP, lifeStart: w.tick + 1})
}

// RemovePlayer takes the player out. Its projectiles keep flying, but a
// kill by them scores for nobody.
func (w *world) RemovePlayer(id uint32) {
	if i, found := w.searchPlayer(id); found {
		w.players = slices.Delete(w.players, i, i+1)
	}
}

// searchPlayer finds id in the sorted players, or where it would go.
func (w *world) searchPlayer(id uint32) (int, bool) {
	return slices.BinarySearchFunc(w.players, id, func(p player, id uint32) int {
		return cmp.Compare(p.id, id)
	})
}

// findPlayer returns the player with id, or nil.
func (w *world) findPlayer(id uint32) *player {
	if i, found := w.searchPlayer(id); found {
		return &w.players[i]
	}
	return nil
}

// entity is p as snapshots carry it.
func (p *player) entity() wire.Entity {
	return wire.Entity{
		ID:    p.id,
		Kind:  wire.KindPlayer,
		X:     game.Quantize(p.x),
		Y:     game.Quantize(p.y),
		VX:    game.Quantize(p.vx),
		VY:    game.Quantize(p.vy),
		Angle: game.QuantizeAngle(p.aim),
		HP:    p.hp,
		Score: p.score,
	}
}
