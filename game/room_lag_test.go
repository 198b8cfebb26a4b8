package game_test

import (
	"testing"
	"time"

	"github.com/skirmishgg/skirmish/game"
	"github.com/skirmishgg/skirmish/game/arena"
	"github.com/skirmishgg/skirmish/proto/wire"
)

// judged sends one input of id with ack_tick claim, runs the tick, and
// returns the AckTick the mode was given for it.
func judged(t *testing.T, r *testRoom, id, seq, claim uint32) uint32 {
	t.Helper()
	if !r.Input(id, wire.Input{Seq: seq, AckTick: claim}) {
		t.Fatalf("input %d refused", seq)
	}
	r.Step()
	got := r.mode.takeInputs(id)
	if len(got) != 1 {
		t.Fatalf("%d inputs applied, want 1", len(got))
	}
	return got[0].AckTick
}

// TestRoomJudgesInputsByCheckedAck: the ack_tick the mode judges an input
// by (lag compensation in arena) is the room-checked, monotonic ack, never
// the client's raw claim.
func TestRoomJudgesInputsByCheckedAck(t *testing.T) {
	r := newRoom(t, arena.New, game.RoomConfig{TickRate: 30})
	for range 20 {
		r.Step()
	}
	id := r.join(t, &fakePeer{name: "a"})
	r.step(t) // join tick 21
	for range 10 {
		r.step(t)
	}
	now := r.Tick() + 1 // the tick the next input is applied at
	// Before the join: nothing this connection saw.
	if got := judged(t, r, id, 1, 15); got != 0 {
		t.Errorf("ack from before the join judged as %d, want 0", got)
	}
	now++
	// A tick not sent yet counts as nothing new.
	if got := judged(t, r, id, 2, now+5); got != 0 {
		t.Errorf("ack of a future tick judged as %d, want 0", got)
	}
	now++
	ack := now - 3
	if got := judged(t, r, id, 3, ack); got != ack {
		t.Errorf("honest ack %d judged as %d", ack, got)
	}
	// Older than one already accepted: the newest accepted.
	if got := judged(t, r, id, 4, ack-2); got != ack {
		t.Errorf("ack older than the accepted %d judged as %d", ack, got)
	}
}

// TestRoomCapsLagCompensationByMeasuredRTT: a player whose measured round
// trip is 10 ms cannot have its shots judged 200 ms back by claiming an
// old ack_tick; at 30 Hz it gets ceil(10/33.3)+1 = 2 ticks. Without a
// measurement (and after a resume, until the next one) only the mode's own
// cap applies.
func TestRoomCapsLagCompensationByMeasuredRTT(t *testing.T) {
	r := newRoom(t, arena.New, game.RoomConfig{TickRate: 30, Sessions: plainTokens{}})
	near, far := &fakePeer{name: "near"}, &fakePeer{name: "far"}
	idNear, idFar := r.join(t, near), r.join(t, far)
	for range 30 {
		r.Step()
	}
	r.SetRTT(idNear, 10*time.Millisecond)
	r.SetRTT(idFar, 150*time.Millisecond) // ceil(150/33.3)+1 = 6 ticks

	claim := r.Tick() - 5 // 6 ticks (200 ms) behind the tick it is applied at
	r.Input(idNear, wire.Input{Seq: 1, AckTick: claim})
	r.Input(idFar, wire.Input{Seq: 1, AckTick: claim})
	r.Step()
	now := r.Tick()
	if got := r.mode.takeInputs(idNear); len(got) != 1 || now-got[0].AckTick != 2 {
		t.Errorf("10 ms player claiming %d ticks back judged %d ticks back, want 2", now-claim, now-got[0].AckTick)
	}
	if got := r.mode.takeInputs(idFar); len(got) != 1 || got[0].AckTick != claim {
		t.Errorf("150 ms player claiming %d ticks back judged at %d, want its claim %d", now-claim, got[0].AckTick, claim)
	}

	// A resume starts unmeasured: the claim stands again until SetRTT.
	sess := sessionOf(t, welcomeOf(t, near.take(t)).SessionToken)
	back := &fakePeer{name: "near again"}
	if err := r.Resume(sess, back); err != nil {
		t.Fatal(err)
	}
	r.Step()
	for range 10 {
		r.Step()
	}
	claim = r.Tick() - 5
	if got := judged(t, r, idNear, 2, claim); got != claim {
		t.Errorf("after a resume, unmeasured: judged at %d, want the claim %d", got, claim)
	}
	r.SetRTT(idNear, 10*time.Millisecond)
	if got := judged(t, r, idNear, 3, claim); r.Tick()-got != 2 {
		t.Errorf("after a resume, measured 10 ms: judged %d ticks back, want 2", r.Tick()-got)
	}
}
