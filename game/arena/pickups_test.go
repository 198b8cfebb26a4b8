package arena

import (
	"testing"

	"github.com/skirmishgg/skirmish/game"
	"github.com/skirmishgg/skirmish/proto/wire"
)

func TestNewPlacesPickups(t *testing.T) {
	ids := &game.IDs{}
	w := New(game.ModeConfig{Seed: 3, IDs: ids})
	es := w.AppendEntities(nil)
	if len(es) != pickupCount {
		t.Fatalf("%d entities in a new arena, want %d pickups", len(es), pickupCount)
	}
	for i, e := range es {
		if e.Kind != wire.KindPickup || e.ID != uint32(i+1) {
			t.Errorf("entity %d = %+v, want pickup with id %d from cfg.IDs", i, e, i+1)
		}
		if e.X < game.Quantize(pickupRadius) || e.X > game.Quantize(worldWidth-pickupRadius) ||
			e.Y < game.Quantize(pickupRadius) || e.Y > game.Quantize(worldHeight-pickupRadius) {
			t.Errorf("pickup %d at (%d, %d) is not fully inside the world", e.ID, e.X, e.Y)
		}
	}
	if next := ids.Next(); next != pickupCount+1 {
		t.Errorf("next id = %d, want %d: pickups must take ids from cfg.IDs", next, pickupCount+1)
	}
}

func TestNewWithoutIDsPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("New without IDs did not panic")
		}
	}()
	New(game.ModeConfig{Seed: 1})
}

// withOnePickup returns an arena with one pickup at (x, y) and its id.
func withOnePickup(t *testing.T, x, y float64) (*world, uint32) {
	t.Helper()
	w := New(game.ModeConfig{Seed: 1, IDs: &game.IDs{}}).(*world)
	w.pickups = w.pickups[:1]
	w.pickups[0].x, w.pickups[0].y = x, y
	return w, w.pickups[0].id
}

func TestPickupHealsAndRespawns(t *testing.T) {
	w, first := withOnePickup(t, 830, 500) // 30 apart: touching at radii 20 + 12
	id := addAt(t, w, 800, 500)
	p := mustPlayer(t, w, id)
	p.hp = 40

	w.Step(tick)
	if p.hp != 40+pickupHeal {
		t.Errorf("HP = %d, want %d", p.hp, 40+pickupHeal)
	}
	if len(w.pickups) != 0 {
		t.Fatalf("%d pickups after collecting, want 0", len(w.pickups))
	}

	p.hp = maxHP // so that the new pack, wherever it lands, stays
	steps(w, int(pickupRespawnDelay/tick)-1, tick)
	if len(w.pickups) != 0 {
		t.Fatalf("%d pickups before 5 s, want 0", len(w.pickups))
	}
	w.Step(tick)
	if len(w.pickups) != 1 {
		t.Fatalf("%d pickups after 5 s, want 1", len(w.pickups))
	}
	if pk := w.pickups[0]; pk.id <= first || (pk.x == 830 && pk.y == 500) {
		t.Errorf("respawned pickup = %+v, want a new id after %d at a new spot", pk, first)
	}
}

func TestPickupHealCapped(t *testing.T) {
	w, _ := withOnePickup(t, 800, 500)
	id := addAt(t, w, 800, 500)
	p := mustPlayer(t, w, id)
	p.hp = maxHP - 10
	w.Step(tick)
	if p.hp != maxHP || len(w.pickups) != 0 {
		t.Errorf("HP = %d with %d pickups left, want %d and the pickup used", p.hp, len(w.pickups), maxHP)
	}
}

func TestPickupNotTaken(t *testing.T) {
	tests := []struct {
		name  string
		setup func(p *player)
		dist  float64
	}{
		{"full health", func(p *player) {}, 0},
		{"dead", func(p *player) { p.kill() }, 0},
		{"not touching", func(p *player) { p.hp = 50 }, 33},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, _ := withOnePickup(t, 800+tt.dist, 500)
			id := addAt(t, w, 800, 500)
			p := mustPlayer(t, w, id)
			tt.setup(p)
			hp := p.hp
			w.Step(tick)
			if len(w.pickups) != 1 || p.hp != hp {
				t.Errorf("%d pickups, HP %d → %d: want the pickup left alone", len(w.pickups), hp, p.hp)
			}
		})
	}
}

func TestPickupLowestIDFirst(t *testing.T) {
	w, _ := withOnePickup(t, 800, 500)
	a := addAt(t, w, 790, 500)
	b := addAt(t, w, 810, 500)
	mustPlayer(t, w, a).hp = 50
	mustPlayer(t, w, b).hp = 50
	w.Step(tick)
	if ha, hb := mustPlayer(t, w, a).hp, mustPlayer(t, w, b).hp; ha != 50+pickupHeal || hb != 50 {
		t.Errorf("HP = %d and %d, want only the lower id healed", ha, hb)
	}
}
