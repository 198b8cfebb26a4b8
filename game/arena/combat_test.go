package arena

import (
	"testing"

	"github.com/skirmishgg/skirmish/proto/wire"
)

// shootOnce fires one shot from shooter along its current aim and steps
// until no projectile is left, at most 2 s.
func shootOnce(t *testing.T, w *world, shooter uint32, seq uint32, dt float64) {
	t.Helper()
	w.ApplyInput(shooter, wire.Input{Seq: seq, Buttons: wire.ButtonFire})
	w.Step(dt)
	w.ApplyInput(shooter, wire.Input{Seq: seq + 1})
	for range int(2 / dt) {
		if len(w.projectiles) == 0 {
			return
		}
		w.Step(dt)
	}
	t.Fatal("projectile still flying after 2 s")
}

func TestHitReducesHP(t *testing.T) {
	for _, dt := range []float64{1.0 / 60, 0.25} { // 0.25 s: 150 units a tick, more than a player is wide
		w := newTestWorld(t)
		shooter := addAt(t, w, 400, 500)
		target := addAt(t, w, 600, 500)
		bystander := addAt(t, w, 900, 500) // behind the target: the shot stops at the first
		shootOnce(t, w, shooter, 1, dt)
		if got := mustPlayer(t, w, target).hp; got != maxHP-projectileDamage {
			t.Errorf("dt %v: target HP = %d, want %d", dt, got, maxHP-projectileDamage)
		}
		if got := mustPlayer(t, w, shooter).hp; got != maxHP {
			t.Errorf("dt %v: shooter HP = %d, want %d: own shots do not hurt", dt, got, maxHP)
		}
		if got := mustPlayer(t, w, bystander).hp; got != maxHP {
			t.Errorf("dt %v: bystander HP = %d, want %d", dt, got, maxHP)
		}
	}
}

func TestMissDoesNoDamage(t *testing.T) {
	w := newTestWorld(t)
	shooter := addAt(t, w, 400, 500)
	target := addAt(t, w, 600, 526) // 26 units off the line: just beyond 20 + 5
	shootOnce(t, w, shooter, 1, tick)
	if got := mustPlayer(t, w, target).hp; got != maxHP {
		t.Errorf("target HP = %d, want %d", got, maxHP)
	}
}

func TestKillScoresAndRespawns(t *testing.T) {
	w := newTestWorld(t)
	shooter := addAt(t, w, 400, 500)
	target := addAt(t, w, 600, 500)
	s, p := mustPlayer(t, w, shooter), mustPlayer(t, w, target)

	w.ApplyInput(shooter, wire.Input{Seq: 1, Buttons: wire.ButtonFire})
	for range 5 * 60 {
		w.Step(tick)
		if !p.alive() {
			break
		}
	}
	w.ApplyInput(shooter, wire.Input{Seq: 2})
	if e := p.entity(); e.HP != 0 || p.alive() || e.VX != 0 || e.VY != 0 {
		t.Fatalf("target after being shot for 5 s: %+v, want dead with HP 0 and at rest", e)
	}
	if s.score != killScore {
		t.Errorf("shooter score = %d, want %d", s.score, killScore)
	}

	// Dead for 2 s less one tick: it neither moves nor shoots.
	w.ApplyInput(target, wire.Input{Seq: 1, DX: 1, Buttons: wire.ButtonFire})
	steps(w, int(respawnDelay/tick)-1, tick)
	if p.alive() || p.x != 600 || p.y != 500 || shotsFrom(w, target) != 0 {
		t.Fatalf("dead target: HP %d at (%v, %v) with %d shots, want HP 0 at (600, 500) with none",
			p.hp, p.x, p.y, shotsFrom(w, target))
	}

	// The 2 s are up: back with full health, elsewhere, and shooting.
	w.Step(tick)
	if p.hp != maxHP {
		t.Fatalf("2 s after the kill: HP = %d, want %d", p.hp, maxHP)
	}
	if p.x == 600 && p.y == 500 {
		t.Error("respawned where it died, want a random spot")
	}
	if shotsFrom(w, target) != 1 {
		t.Errorf("respawned target holding fire: %d shots, want 1", shotsFrom(w, target))
	}
	if s.score != killScore {
		t.Errorf("shooter score = %d, want still %d", s.score, killScore)
	}
}

func TestDeadPlayersAreNotHit(t *testing.T) {
	w := newTestWorld(t)
	shooter := addAt(t, w, 400, 500)
	dead := addAt(t, w, 600, 500)
	behind := addAt(t, w, 800, 500)
	mustPlayer(t, w, dead).kill()
	shootOnce(t, w, shooter, 1, tick)
	if got := mustPlayer(t, w, behind).hp; got != maxHP-projectileDamage {
		t.Errorf("player behind the dead one: HP = %d, want %d: the shot passes the dead",
			got, maxHP-projectileDamage)
	}
}

func TestKillByRemovedShooter(t *testing.T) {
	w := newTestWorld(t)
	shooter := addAt(t, w, 400, 500)
	target := addAt(t, w, 600, 500)
	p := mustPlayer(t, w, target)
	p.hp = projectileDamage
	w.ApplyInput(shooter, wire.Input{Seq: 1, Buttons: wire.ButtonFire})
	w.Step(tick)
	w.RemovePlayer(shooter)
	steps(w, 30, tick)
	if p.alive() {
		t.Errorf("target HP = %d, want killed by the shot of a player who left", p.hp)
	}
}
