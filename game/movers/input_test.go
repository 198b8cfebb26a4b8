package movers_test

import (
	"math"
	"testing"

	"github.com/skirmishgg/skirmish/proto/wire"
)

func TestApplyInputClampsAxes(t *testing.T) {
	tests := []struct {
		name           string
		dx, dy         float32
		wantVX, wantVY float64
	}{
		{"inside", 0.5, -0.25, 50, -25},
		{"too large", 5, -7, 100, -100},
		{"NaN", float32(math.NaN()), 0.5, 0, 50},
		{"infinite", float32(math.Inf(-1)), float32(math.Inf(1)), -100, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newWorld(1)
			m.AddPlayer(1, "a")
			m.ApplyInput(1, wire.Input{Seq: 1, DX: tt.dx, DY: tt.dy})
			m.Step(0.01)
			e := entity(t, m, 1)
			if e.VX != q(tt.wantVX) || e.VY != q(tt.wantVY) {
				t.Errorf("velocity = (%d, %d), want (%d, %d)", e.VX, e.VY, q(tt.wantVX), q(tt.wantVY))
			}
		})
	}
}

func TestApplyInputIgnoresLowerSeq(t *testing.T) {
	m := newWorld(1)
	m.AddPlayer(1, "a")
	m.ApplyInput(1, wire.Input{Seq: 5, DX: 1})
	m.ApplyInput(1, wire.Input{Seq: 4, DX: -1})
	m.Step(0.01)
	if e := entity(t, m, 1); e.VX != q(100) {
		t.Errorf("VX = %d, want %d from seq 5, not seq 4", e.VX, q(100))
	}
}

func TestApplyInputEqualSeqReplaces(t *testing.T) {
	m := newWorld(1)
	m.AddPlayer(1, "a")
	m.ApplyInput(1, wire.Input{Seq: 5, DX: 1})
	m.ApplyInput(1, wire.Input{Seq: 5, DX: -1})
	m.Step(0.01)
	if e := entity(t, m, 1); e.VX != q(-100) {
		t.Errorf("VX = %d, want %d from the later seq 5", e.VX, q(-100))
	}
}

func TestApplyInputLatestStaysInForce(t *testing.T) {
	m := newWorld(1)
	m.AddPlayer(1, "a")
	parkAtOrigin(t, m, 1, 1)

	// Two inputs before one tick: only the second counts.
	m.ApplyInput(1, wire.Input{Seq: 10, DX: 1, DY: 1})
	m.ApplyInput(1, wire.Input{Seq: 11, DX: 1, DY: 0.5})
	for range 3 {
		m.Step(0.1) // no new input: seq 11 keeps moving the player
	}
	e := entity(t, m, 1)
	if e.X != q(30) || e.Y != q(15) {
		t.Errorf("position = (%d, %d), want (%d, %d)", e.X, e.Y, q(30), q(15))
	}
}

func TestApplyInputUnknownPlayer(t *testing.T) {
	m := newWorld(1)
	m.AddPlayer(1, "a")
	before := entity(t, m, 1)
	m.ApplyInput(2, wire.Input{Seq: 1, DX: 1})
	m.Step(0.1)
	if got := m.AppendEntities(nil); len(got) != 1 || got[0] != before {
		t.Errorf("entities = %+v, want only the untouched %+v", got, before)
	}
}
