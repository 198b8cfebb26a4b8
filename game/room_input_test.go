package game_test

import (
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/skirmishgg/skirmish/game"
	"github.com/skirmishgg/skirmish/game/movers"
	"github.com/skirmishgg/skirmish/proto/wire"
)

// parkAtOrigin steers player id into the (0, 0) corner and stops it there,
// so that its position afterwards is known exactly.
func parkAtOrigin(t *testing.T, r *testRoom, id uint32, seq uint32) {
	t.Helper()
	r.Input(id, wire.Input{Seq: seq, DX: -1, DY: -1})
	for range 10*r.TickRate() + 10 { // 1000 units at 100 units/s
		r.step(t)
	}
	r.Input(id, wire.Input{Seq: seq + 1})
	_, world := snapshot(t, r.step(t))
	if e := mustEntity(t, world, id); e.X != 0 || e.Y != 0 || e.VX != 0 || e.VY != 0 {
		t.Fatalf("parked player = %+v, want at rest at the origin", e)
	}
}

// TestRoomMoversInputMovesPlayerPerTick: with movers, dx=1 moves a player
// by 100/TickRate world units per tick (100/30 at the default rate), which
// snapshots carry as X quantized by PositionScale.
func TestRoomMoversInputMovesPlayerPerTick(t *testing.T) {
	for _, rate := range []int{game.DefaultTickRate, 60} {
		t.Run(fmt.Sprint(rate, "Hz"), func(t *testing.T) {
			r := newRoom(t, movers.New, game.RoomConfig{TickRate: rate, Seed: 5})
			id := r.join(t, &fakePeer{name: "a"})
			r.step(t)
			parkAtOrigin(t, r, id, 1)

			if !r.Input(id, wire.Input{Seq: 3, DX: 1}) {
				t.Fatal("wire.Input returned false for a member")
			}
			// Queued, not applied: the world does not change before the tick.
			if e := mustEntity(t, r.entities(), id); e.X != 0 || e.VX != 0 {
				t.Fatalf("input took effect before the tick: %+v", e)
			}
			for k := 1; k <= rate; k++ {
				bc := r.step(t)
				_, world := snapshot(t, bc)
				e := mustEntity(t, world, id)
				wantX := game.Quantize(float64(k) * 100 / float64(rate))
				if e.X != wantX || e.Y != 0 || e.VX != game.Quantize(100) || e.VY != 0 {
					t.Fatalf("tick %d after dx=1: entity %+v, want X %d (=%d·100/%d units ×%d) Y 0 VX %d VY 0",
						k, e, wantX, k, rate, wire.PositionScale, game.Quantize(100))
				}
				if bc.to[0].InputAck != 3 {
					t.Fatalf("tick %d: InputAck %d, want 3", k, bc.to[0].InputAck)
				}
			}
		})
	}
}

func TestRoomInputsApplyNextTickInOrder(t *testing.T) {
	r := newRoom(t, movers.New, game.RoomConfig{})
	a, b := &fakePeer{name: "a"}, &fakePeer{name: "b"}
	ida, idb := r.join(t, a), r.join(t, b)
	// Inputs sent before the join tick are kept and applied at that tick,
	// after the player is in the world.
	for seq := uint32(1); seq <= 3; seq++ {
		if !r.Input(ida, wire.Input{Seq: seq, DX: float32(seq) / 10}) {
			t.Fatalf("Input(seq %d) returned false", seq)
		}
	}
	if len(r.mode.inputs) != 0 {
		t.Fatalf("inputs reached the mode before the tick: %+v", r.mode.inputs)
	}
	bc := r.step(t)
	got := r.mode.takeInputs(ida)
	if seqs := seqsOf(got); !slices.Equal(seqs, []uint32{1, 2, 3}) {
		t.Fatalf("applied seqs %v, want [1 2 3]", seqs)
	}
	if got[2].DX != 0.3 {
		t.Errorf("applied input %+v, want the queued values", got[2])
	}
	if bc.to[0].InputAck != 3 || bc.to[1].InputAck != 0 {
		t.Errorf("acks %d %d, want 3 0", bc.to[0].InputAck, bc.to[1].InputAck)
	}
	_, world := snapshot(t, bc)
	if e := mustEntity(t, world, ida); e.VX != game.Quantize(30) {
		t.Errorf("VX %d, want %d from the last input (dx 0.3)", e.VX, game.Quantize(30))
	}

	// No input: nothing applied, the ack stays.
	bc = r.step(t)
	if n := len(r.mode.inputs); n != 0 {
		t.Errorf("%d inputs applied on a tick without input", n)
	}
	if bc.to[0].InputAck != 3 {
		t.Errorf("ack %d on a quiet tick, want 3", bc.to[0].InputAck)
	}

	// A late lower seq is still handed over, but the ack is the highest
	// seq applied, not the last.
	r.Input(ida, wire.Input{Seq: 7})
	r.Input(ida, wire.Input{Seq: 5})
	r.Input(idb, wire.Input{Seq: 1})
	bc = r.step(t)
	if seqs := seqsOf(r.mode.takeInputs(ida)); !slices.Equal(seqs, []uint32{7, 5}) {
		t.Errorf("applied %v, want [7 5] in arrival order", seqs)
	}
	if bc.to[0].InputAck != 7 || bc.to[1].InputAck != 1 {
		t.Errorf("acks %d %d, want 7 1", bc.to[0].InputAck, bc.to[1].InputAck)
	}
}

func seqsOf(ins []wire.Input) []uint32 {
	out := make([]uint32, len(ins))
	for i, in := range ins {
		out[i] = in.Seq
	}
	return out
}

func TestRoomInputClampsAxes(t *testing.T) {
	r := newRoom(t, movers.New, game.RoomConfig{})
	id := r.join(t, &fakePeer{name: "a"})
	r.step(t)
	nan := float32(math.NaN())
	tests := []struct {
		dx, dy         float32
		wantDX, wantDY float32
	}{
		{nan, 0.5, 0, 0.5},
		{5, -7, 1, -1},
		{float32(math.Inf(-1)), float32(math.Inf(1)), -1, 1},
		{0.25, nan, 0.25, 0},
		{-1, 1, -1, 1},
	}
	for i, tt := range tests {
		seq := uint32(i + 1)
		r.Input(id, wire.Input{Seq: seq, DX: tt.dx, DY: tt.dy})
		_, world := snapshot(t, r.step(t))
		got := r.mode.takeInputs(id)
		if len(got) != 1 || got[0].DX != tt.wantDX || got[0].DY != tt.wantDY {
			t.Errorf("input (%v, %v): mode got %+v, want DX %v DY %v", tt.dx, tt.dy, got, tt.wantDX, tt.wantDY)
		}
		e := mustEntity(t, world, id)
		if e.VX != game.Quantize(100*float64(tt.wantDX)) || e.VY != game.Quantize(100*float64(tt.wantDY)) {
			t.Errorf("input (%v, %v): velocity (%d, %d), want (%d, %d)", tt.dx, tt.dy, e.VX, e.VY,
				game.Quantize(100*float64(tt.wantDX)), game.Quantize(100*float64(tt.wantDY)))
		}
	}
}

func TestRoomInputQueueDropsOldest(t *testing.T) {
	r := newRoom(t, movers.New, game.RoomConfig{})
	ida, idb := r.join(t, &fakePeer{name: "a"}), r.join(t, &fakePeer{name: "b"})
	r.step(t)

	// Exactly MaxQueuedInputs fit.
	for seq := uint32(1); seq <= game.MaxQueuedInputs; seq++ {
		r.Input(ida, wire.Input{Seq: seq})
	}
	r.step(t)
	if got := len(r.mode.takeInputs(ida)); got != game.MaxQueuedInputs {
		t.Errorf("%d of %d inputs applied", got, game.MaxQueuedInputs)
	}
	if got := r.Stats().InputsDropped; got != 0 {
		t.Errorf("InputsDropped = %d with a full but not overflowing queue", got)
	}

	// Four too many for a, one too many for b: the oldest go.
	const base = 100
	for seq := uint32(base + 1); seq <= base+game.MaxQueuedInputs+4; seq++ {
		if !r.Input(ida, wire.Input{Seq: seq, DX: 1}) {
			t.Fatal("wire.Input returned false when the queue was full; it must drop the oldest instead")
		}
	}
	for seq := uint32(1); seq <= game.MaxQueuedInputs+1; seq++ {
		r.Input(idb, wire.Input{Seq: seq})
	}
	if got := r.Stats().InputsDropped; got != 5 {
		t.Errorf("InputsDropped = %d before the tick, want 5", got)
	}
	bc := r.step(t)
	var want []uint32
	for seq := uint32(base + 5); seq <= base+game.MaxQueuedInputs+4; seq++ {
		want = append(want, seq)
	}
	if got := seqsOf(r.mode.takeInputs(ida)); !slices.Equal(got, want) {
		t.Errorf("a: applied %v, want the newest %d: %v", got, game.MaxQueuedInputs, want)
	}
	if got := seqsOf(r.mode.takeInputs(idb)); len(got) != game.MaxQueuedInputs || got[0] != 2 {
		t.Errorf("b: applied %v, want seqs 2..%d", got, game.MaxQueuedInputs+1)
	}
	if bc.to[0].InputAck != base+game.MaxQueuedInputs+4 || bc.to[1].InputAck != game.MaxQueuedInputs+1 {
		t.Errorf("acks %d %d, want %d %d", bc.to[0].InputAck, bc.to[1].InputAck, base+game.MaxQueuedInputs+4, game.MaxQueuedInputs+1)
	}
	if got := r.Stats().InputsDropped; got != 5 {
		t.Errorf("InputsDropped = %d, want 5", got)
	}
}

// TestRoomStatsNeverWaitForTheRoom: reading a room's counters must not
// take its lock, so that a stats poller across thousands of rooms never
// queues behind (or delays) a room's loop.
func TestRoomStatsNeverWaitForTheRoom(t *testing.T) {
	r := newRoom(t, movers.New, game.RoomConfig{})
	id := r.join(t, &fakePeer{name: "a"})
	r.step(t)
	for seq := uint32(1); seq <= game.MaxQueuedInputs+2; seq++ {
		r.Input(id, wire.Input{Seq: seq})
	}
	unlock := game.LockRoomForTest(r.Room)
	defer unlock()
	got := make(chan game.RoomStats, 1)
	go func() { got <- r.Stats() }()
	select {
	case s := <-got:
		if s.InputsDropped != 2 || s.Players != 1 || s.Ticks != 1 {
			t.Fatalf("Stats() = %+v, want 2 inputs dropped, 1 player, 1 tick", s)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Stats() blocked on the room's lock")
	}
}
