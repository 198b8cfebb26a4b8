package arena

import (
	"github.com/skirmishgg/skirmish/game"
	"github.com/skirmishgg/skirmish/proto/wire"
)

// projectile is a shot in flight.
type projectile struct {
	id     uint32
	owner  uint32 // the shooter's player id, which scores the kill
	x, y   float64
	vx, vy float64
	age    float64 // seconds since it was fired
	// rewind is how many ticks the shooter's view lagged the server when
	// it fired; every hit test of the shot looks that far back.
	rewind uint32
}

// moveProjectiles advances every projectile, applies its hit if it meets a
// living player on the way, and removes it once it hit, expired or left the
// world. Removal compacts in place, which keeps the slice in id order.
func (w *world) moveProjectiles(dt float64) {
	kept := w.projectiles[:0]
	for _, pr := range w.projectiles {
		mx, my := pr.vx*dt, pr.vy*dt
		if target := w.hitTarget(&pr, mx, my); target != nil {
			w.hit(target, pr.owner)
			continue
		}
		pr.x += mx
		pr.y += my
		pr.age += dt
		if pr.age >= projectileLifetime-timeEpsilon || !inWorld(pr.x, pr.y) {
			continue
		}
		kept = append(kept, pr)
	}
	w.projectiles = kept
}

// hitTarget returns the first living player, other than the shooter, that
// pr touches while moving by (mx, my), or nil. Sweeping the whole move
// rather than testing the end point keeps fast shots from passing through
// players at low tick rates. Each player is tested where it was pr.rewind
// ticks ago, as the shooter saw it (see rewindTicks), and only if it was
// alive then and still is (see poseAgo).
func (w *world) hitTarget(pr *projectile, mx, my float64) *player {
	var target *player
	first := 2.0 // beyond the move, which spans [0, 1]
	for i := range w.players {
		p := &w.players[i]
		if p.id == pr.owner {
			continue
		}
		seen, ok := w.poseAgo(p, pr.rewind)
		if !ok {
			continue
		}
		t, ok := sweepCircle(pr.x, pr.y, mx, my, seen.x, seen.y, playerRadius+projectileRadius)
		if ok && t < first {
			target, first = p, t
		}
	}
	return target
}

// hit applies one projectile's damage to p and, if it kills, scores for the
// shooter if still in the game.
func (w *world) hit(p *player, shooter uint32) {
	p.hp -= projectileDamage
	if p.hp > 0 {
		return
	}
	p.kill()
	if s := w.findPlayer(shooter); s != nil {
		s.score += killScore
	}
}

// inWorld reports whether (x, y) is inside the world.
func inWorld(x, y float64) bool {
	return x >= 0 && x <= worldWidth && y >= 0 && y <= worldHeight
}

// entity is pr as snapshots carry it.
func (pr *projectile) entity() wire.Entity {
	return wire.Entity{
		ID:   pr.id,
		Kind: wire.KindProjectile,
		X:    game.Quantize(pr.x),
		Y:    game.Quantize(pr.y),
		VX:   game.Quantize(pr.vx),
		VY:   game.Quantize(pr.vy),
	}
}
