package arena

import (
	"math"
	"testing"

	"github.com/skirmishgg/skirmish/game"
	"github.com/skirmishgg/skirmish/proto/wire"
)

func TestMoveSpeed(t *testing.T) {
	tests := []struct {
		name                 string
		dx, dy               float32
		wantDistX, wantDistY float64 // after one second
	}{
		{"right", 1, 0, 220, 0},
		{"up", 0, 1, 0, 220},
		{"half", -0.5, 0, -110, 0},
		{"diagonal is normalized", 1, 1, 220 / math.Sqrt2, 220 / math.Sqrt2},
		{"clamped then normalized", 3, -3, 220 / math.Sqrt2, -220 / math.Sqrt2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newTestWorld(t)
			id := addAt(t, w, 800, 500)
			w.ApplyInput(id, wire.Input{Seq: 1, DX: tt.dx, DY: tt.dy})
			steps(w, 60, tick)
			p := mustPlayer(t, w, id)
			if !near(p.x-800, tt.wantDistX) || !near(p.y-500, tt.wantDistY) {
				t.Errorf("moved (%v, %v), want (%v, %v)", p.x-800, p.y-500, tt.wantDistX, tt.wantDistY)
			}
			e := p.entity()
			if e.VX != game.Quantize(tt.wantDistX) || e.VY != game.Quantize(tt.wantDistY) {
				t.Errorf("velocity = (%d, %d), want (%d, %d)",
					e.VX, e.VY, game.Quantize(tt.wantDistX), game.Quantize(tt.wantDistY))
			}
		})
	}
}

func TestMoveClampsToWorld(t *testing.T) {
	w := newTestWorld(t)
	id := addAt(t, w, 100, 100)
	w.ApplyInput(id, wire.Input{Seq: 1, DX: -1, DY: -1})
	steps(w, 60, tick)
	p := mustPlayer(t, w, id)
	if p.x != playerRadius || p.y != playerRadius || p.vx != 0 || p.vy != 0 {
		t.Errorf("in the near corner: pos (%v, %v) vel (%v, %v), want (20, 20) at rest", p.x, p.y, p.vx, p.vy)
	}

	w.ApplyInput(id, wire.Input{Seq: 2, DX: 1, DY: 1})
	steps(w, 12*60, tick) // 1560 units at 220/√2 per axis take 10.03 s
	if p.x != worldWidth-playerRadius || p.y != worldHeight-playerRadius {
		t.Errorf("in the far corner: pos (%v, %v), want (1580, 980)", p.x, p.y)
	}

	// Sliding along a wall keeps the free axis moving.
	w.ApplyInput(id, wire.Input{Seq: 3, DX: -1, DY: 1})
	w.Step(tick)
	if p.vx >= 0 || p.vy != 0 || p.y != worldHeight-playerRadius {
		t.Errorf("sliding along the top wall: pos (%v, %v) vel (%v, %v)", p.x, p.y, p.vx, p.vy)
	}
}

func TestInputLowerSeqIgnored(t *testing.T) {
	w := newTestWorld(t)
	id := addAt(t, w, 800, 500)
	w.ApplyInput(id, wire.Input{Seq: 5, DX: 1})
	w.ApplyInput(id, wire.Input{Seq: 4, DX: -1, Buttons: wire.ButtonFire})
	w.Step(tick)
	if p := mustPlayer(t, w, id); p.vx != playerSpeed || len(w.projectiles) != 0 {
		t.Errorf("vx = %v with %d shots, want %v and none: seq 4 came after seq 5",
			p.vx, len(w.projectiles), float64(playerSpeed))
	}
}

func TestAimSetsAngle(t *testing.T) {
	w := newTestWorld(t)
	id := addAt(t, w, 800, 500)
	p := mustPlayer(t, w, id)

	w.ApplyInput(id, wire.Input{Seq: 1, Aim: math.Pi / 2})
	if got := p.entity().Angle; got != wire.AngleSteps/4 {
		t.Errorf("aim π/2: angle = %d, want %d", got, wire.AngleSteps/4)
	}
	w.ApplyInput(id, wire.Input{Seq: 2, Aim: float32(math.NaN())})
	if got := p.entity().Angle; got != wire.AngleSteps/4 {
		t.Errorf("NaN aim: angle = %d, want the previous %d", got, wire.AngleSteps/4)
	}
	// 1e30 radians is a valid float32 but overflows int32 in QuantizeAngle
	// unless reduced first.
	w.ApplyInput(id, wire.Input{Seq: 3, Aim: 1e30})
	want := game.QuantizeAngle(math.Remainder(float64(float32(1e30)), 2*math.Pi))
	if got := p.entity().Angle; got != want {
		t.Errorf("aim 1e30: angle = %d, want %d", got, want)
	}
}

func TestStepIgnoresBrokenDt(t *testing.T) {
	for _, dt := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		w := newTestWorld(t)
		id := addAt(t, w, 800, 500)
		w.ApplyInput(id, wire.Input{Seq: 1, DX: 1, Buttons: wire.ButtonFire})
		w.Step(dt)
		if p := mustPlayer(t, w, id); p.x != 800 || len(w.projectiles) != 0 {
			t.Errorf("Step(%v) moved the player to %v or fired %d shots", dt, p.x, len(w.projectiles))
		}
	}
}
