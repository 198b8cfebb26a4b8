package movers_test

import (
	"math"
	"testing"

	"github.com/skirmishgg/skirmish/proto/wire"
)

func TestStepScoresVelocityChanges(t *testing.T) {
	m := newWorld(1)
	m.AddPlayer(1, "a")
	steps := []struct {
		name      string
		in        *wire.Input
		wantScore int32
	}{
		{"at rest", nil, 0},
		{"start moving", &wire.Input{Seq: 1, DX: 1}, 1},
		{"keep moving", nil, 1},
		{"same input again", &wire.Input{Seq: 2, DX: 1}, 1},
		{"turn", &wire.Input{Seq: 3, DX: 1, DY: 0.5}, 2},
		{"stop", &wire.Input{Seq: 4}, 3},
		{"stay stopped", nil, 3},
	}
	for _, s := range steps {
		if s.in != nil {
			m.ApplyInput(1, *s.in)
		}
		m.Step(0.01)
		if got := entity(t, m, 1).Score; got != s.wantScore {
			t.Fatalf("%s: score = %d, want %d", s.name, got, s.wantScore)
		}
	}
}

func TestStepIntegratesVelocity(t *testing.T) {
	m := newWorld(1)
	m.AddPlayer(1, "a")
	parkAtOrigin(t, m, 1, 1)
	m.ApplyInput(1, wire.Input{Seq: 10, DX: 0.5, DY: 1})
	m.Step(0.5)
	m.Step(0.25)
	e := entity(t, m, 1)
	if e.X != q(37.5) || e.Y != q(75) {
		t.Errorf("position = (%d, %d), want (%d, %d)", e.X, e.Y, q(37.5), q(75))
	}
	if e.VX != q(50) || e.VY != q(100) {
		t.Errorf("velocity = (%d, %d), want (%d, %d)", e.VX, e.VY, q(50), q(100))
	}
}

func TestStepClampsToWorld(t *testing.T) {
	m := newWorld(1)
	m.AddPlayer(1, "a")
	parkAtOrigin(t, m, 1, 1)

	m.ApplyInput(1, wire.Input{Seq: 10, DX: -1, DY: -1})
	m.Step(1)
	if e := entity(t, m, 1); e.X != 0 || e.Y != 0 {
		t.Errorf("pushing into the origin: position = (%d, %d), want (0, 0)", e.X, e.Y)
	}

	m.ApplyInput(1, wire.Input{Seq: 11, DX: 1, DY: 1})
	m.Step(11)
	w, h := m.WorldSize()
	if e := entity(t, m, 1); e.X != q(w) || e.Y != q(h) {
		t.Errorf("pushing past the far corner: position = (%d, %d), want (%d, %d)", e.X, e.Y, q(w), q(h))
	}
}

func TestStepIgnoresBrokenDt(t *testing.T) {
	for _, dt := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		m := newWorld(1)
		m.AddPlayer(1, "a")
		m.ApplyInput(1, wire.Input{Seq: 1, DX: 1, DY: 1})
		before := entity(t, m, 1)
		m.Step(dt)
		if got := entity(t, m, 1); got != before {
			t.Errorf("Step(%v) changed %+v to %+v", dt, before, got)
		}
	}
}

// TestStepReportsVelocityAfterWalls: the velocity in a snapshot is the one
// the player moved with, zero on an axis where the world's edge stopped
// it, so that dead reckoning does not run out of the world. The score rule
// still compares the commanded velocity: pushing into a wall scores once.
func TestStepReportsVelocityAfterWalls(t *testing.T) {
	m := newWorld(1)
	m.AddPlayer(1, "a")
	parkAtOrigin(t, m, 1, 1)
	before := entity(t, m, 1).Score
	m.ApplyInput(1, wire.Input{Seq: 10, DX: -1, DY: 1})
	for range 3 {
		m.Step(0.1)
	}
	e := entity(t, m, 1)
	if e.X != 0 || e.Y != q(30) || e.VX != 0 || e.VY != q(100) {
		t.Errorf("sliding along the x = 0 wall: %+v, want at (0, 30) with velocity (0, 100)", e)
	}
	if e.Score != before+1 {
		t.Errorf("score %d after one change of input, want %d", e.Score, before+1)
	}
	// Reaching a wall within a tick: the player stops at it.
	m.ApplyInput(1, wire.Input{Seq: 11, DX: 0, DY: 1})
	m.Step(9.75) // 975 units: 5 short of the far wall
	m.Step(0.1)  // 10 units: the wall stops it after 5
	if e := entity(t, m, 1); e.Y != q(1000) || e.VY != 0 {
		t.Errorf("at the far wall: y %d vy %d, want %d 0", e.Y, e.VY, q(1000))
	}
}
