package arena

import "github.com/skirmishgg/skirmish/game"

// movePlayers brings back players whose respawn time is up and moves the
// living ones by their input. Dead players stay where they fell.
func (w *world) movePlayers(dt float64) {
	for i := range w.players {
		p := &w.players[i]
		if !p.alive() {
			p.respawnIn -= dt
			if p.respawnIn > timeEpsilon {
				continue
			}
			w.respawn(p)
		}
		p.x, p.y, p.vx, p.vy = movement.Move(p.x, p.y, p.dx, p.dy, dt, worldWidth, worldHeight)
	}
}

// movement is how arena players move: diagonals no faster than straight
// moves, walls a player's radius inside the world's edge.
var movement = game.Movement{Speed: playerSpeed, Radius: playerRadius, NormalizeDiagonal: true}

// Movement returns the arena's movement rule, for Welcome.
func (w *world) Movement() game.Movement { return movement }

// respawn brings a dead player back with full health at a free spot. The
// new life starts this tick: shots judged before it do not see it.
func (w *world) respawn(p *player) {
	p.x, p.y = w.spawnPoint()
	p.hp = maxHP
	p.respawnIn = 0
	p.cooldown = 0
	p.lifeStart = w.tick
}

// kill makes p dead; it keeps its position and score until it respawns.
func (p *player) kill() {
	p.hp = 0
	p.vx, p.vy = 0, 0
	p.respawnIn = respawnDelay
}
