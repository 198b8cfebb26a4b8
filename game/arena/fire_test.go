package arena

import (
	"math"
	"slices"
	"testing"

	"github.com/skirmishgg/skirmish/game"
	"github.com/skirmishgg/skirmish/proto/wire"
)

// fireTicks holds fire for n steps of dt and returns the 1-based steps in
// which a shot was fired.
func fireTicks(t *testing.T, w *world, id uint32, seq uint32, n int, dt float64) []int {
	t.Helper()
	w.ApplyInput(id, wire.Input{Seq: seq, Buttons: wire.ButtonFire})
	var fired []int
	last := uint32(0)
	for i := 1; i <= n; i++ {
		w.Step(dt)
		for _, pr := range w.projectiles {
			if pr.owner == id && pr.id > last {
				fired = append(fired, i)
				last = pr.id
			}
		}
	}
	return fired
}

func TestFireCooldown(t *testing.T) {
	tests := []struct {
		name string
		dt   float64
		n    int
		want []int
	}{
		// 15 ticks apart exactly, despite 15×(1/60) not summing to 0.25.
		{"60 Hz", 1.0 / 60, 60, []int{1, 16, 31, 46}},
		// 7.5 ticks per shot: gaps of 8 and 7 keep the rate at 4/s.
		{"30 Hz", 1.0 / 30, 60, []int{1, 9, 16, 24, 31, 39, 46, 54}},
		// Slower ticks than the cooldown: one shot per tick, no more.
		{"2 Hz", 0.5, 3, []int{1, 2, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newTestWorld(t)
			id := addAt(t, w, 800, 500)
			if got := fireTicks(t, w, id, 1, tt.n, tt.dt); !slices.Equal(got, tt.want) {
				t.Errorf("shots in steps %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFireDoesNotBankShots(t *testing.T) {
	w := newTestWorld(t)
	id := addAt(t, w, 800, 500)
	steps(w, 120, tick) // idle: the cooldown must not build up credit
	if got, want := fireTicks(t, w, id, 1, 20, tick), []int{1, 16}; !slices.Equal(got, want) {
		t.Errorf("after idling: shots in steps %v, want %v", got, want)
	}
}

func TestFireTapBetweenTicks(t *testing.T) {
	w := newTestWorld(t)
	id := addAt(t, w, 800, 500)
	w.ApplyInput(id, wire.Input{Seq: 1, Buttons: wire.ButtonFire})
	w.ApplyInput(id, wire.Input{Seq: 2})
	w.Step(tick)
	w.Step(tick)
	if got := shotsFrom(w, id); got != 1 {
		t.Errorf("a press released before the tick fired %d shots, want 1", got)
	}
	steps(w, 30, tick)
	if got := shotsFrom(w, id); got != 1 {
		t.Errorf("after release: %d shots, want still 1", got)
	}
}

func TestProjectileLaunch(t *testing.T) {
	w := newTestWorld(t)
	id := addAt(t, w, 800, 500)
	w.ApplyInput(id, wire.Input{Seq: 1, Aim: math.Pi / 2, Buttons: wire.ButtonFire})
	w.Step(tick)
	if len(w.projectiles) != 1 {
		t.Fatalf("%d projectiles, want 1", len(w.projectiles))
	}
	got := w.projectiles[0].entity()
	want := wire.Entity{
		ID:   got.ID,
		Kind: wire.KindProjectile,
		X:    game.Quantize(800),
		Y:    game.Quantize(500),
		VX:   0,
		VY:   game.Quantize(projectileSpeed),
	}
	if got != want || got.ID <= id {
		t.Errorf("projectile = %+v, want %+v with an id after the player's", got, want)
	}

	w.Step(tick)
	if pr := w.projectiles[0]; !near(pr.y, 510) || !near(pr.x, 800) {
		t.Errorf("after one tick of flight: (%v, %v), want (800, 510)", pr.x, pr.y)
	}
}

func TestProjectileExpires(t *testing.T) {
	w := newTestWorld(t)
	id := addAt(t, w, 200, 500)
	w.ApplyInput(id, wire.Input{Seq: 1, Buttons: wire.ButtonFire})
	w.Step(tick)
	w.ApplyInput(id, wire.Input{Seq: 2})
	steps(w, 71, tick) // 71 of the 72 ticks of a 1.2 s flight
	if len(w.projectiles) != 1 {
		t.Fatalf("before its lifetime: %d projectiles, want 1", len(w.projectiles))
	}
	w.Step(tick)
	if len(w.projectiles) != 0 {
		t.Errorf("after 1.2 s: %d projectiles at x=%v, want none", len(w.projectiles), w.projectiles[0].x)
	}
}

func TestProjectileLeavesWorld(t *testing.T) {
	w := newTestWorld(t)
	id := addAt(t, w, 100, 500)
	w.ApplyInput(id, wire.Input{Seq: 1, Aim: math.Pi, Buttons: wire.ButtonFire})
	w.Step(tick)
	w.ApplyInput(id, wire.Input{Seq: 2, Aim: math.Pi})
	steps(w, 10, tick) // exactly at x = 0: still inside
	if len(w.projectiles) != 1 {
		t.Fatalf("at the wall: %d projectiles, want 1", len(w.projectiles))
	}
	w.Step(tick)
	if len(w.projectiles) != 0 {
		t.Errorf("past the wall: %d projectiles, want none", len(w.projectiles))
	}
}
