package vectors

import (
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/skirmishgg/skirmish/game"
	"github.com/skirmishgg/skirmish/game/arena"
	"github.com/skirmishgg/skirmish/game/movers"
	skirmishv1 "github.com/skirmishgg/skirmish/proto/skirmish/v1"
	"github.com/skirmishgg/skirmish/proto/wire"
)

// Entity kinds, short for the scripts.
const (
	player     = wire.KindPlayer
	projectile = wire.KindProjectile
	pickup     = wire.KindPickup
)

func ent(id uint32, kind, x, y, vx, vy, angle, hp, score int32) wire.Entity {
	return wire.Entity{ID: id, Kind: kind, X: x, Y: y, VX: vx, VY: vy, Angle: angle, HP: hp, Score: score}
}

// welcomeOf is the Welcome a room of mode sends, with its movement rule.
func welcomeOf(mode string, newMode game.NewModeFunc, room string, playerID, tick, tickRate uint32) *skirmishv1.Welcome {
	m := newMode(game.ModeConfig{IDs: &game.IDs{}})
	w, h := m.WorldSize()
	rule := m.Movement()
	return &skirmishv1.Welcome{
		PlayerId: playerID, Room: room, Mode: mode, TickRate: tickRate, Tick: tick,
		WorldWidth: uint32(w), WorldHeight: uint32(h), PositionScale: wire.PositionScale,
		Capacity: 16, TickPeriodNs: uint32(1_000_000_000 / tickRate),
		Movement: &skirmishv1.Movement{Speed: float32(rule.Speed), Radius: float32(rule.Radius), NormalizeDiagonal: rule.NormalizeDiagonal},
	}
}

// snapshotMsg marshals s as a ServerMessage with input_ack, for messages
// the encoder would never write.
func snapshotMsg(s *skirmishv1.Snapshot, inputAck uint32) []byte {
	return marshal(&skirmishv1.ServerMessage{Msg: &skirmishv1.ServerMessage_Snapshot{Snapshot: s}, InputAck: inputAck})
}

func streams() []Stream {
	return []Stream{
		basic().s, ids().s, interest().s, roomChange().s, resume().s, refusals().s, encodings().s,
	}
}

// basic: a full snapshot, then deltas one, three and ten ticks deep, one
// that lists nothing, removals, an entity new since the baseline, and
// the roster with an update.
func basic() *script {
	sc := newScript("full-and-deltas", "An arena room at 30 Hz: a full snapshot, then deltas against baselines 1, 3 and 10 ticks old, a delta that lists nothing (everything moved exactly as dead reckoning says), removals, entities new since the baseline (their values are whole, relative to zero), and the roster with an update.")
	sc.welcome("Welcome: player 3 in room vectors-basic at tick 10, 30 Hz", welcomeOf(arena.Name, arena.New, "vectors-basic", 3, 10, 30))
	sc.players("Roster: the room's players", Player{3, "ana"}, Player{5, "bo"})
	w10 := []wire.Entity{
		ent(3, player, 1600, 2000, 880, 0, 64, 100, 2),
		ent(5, player, 3000, 3600, -623, 311, 200, 60, 0),
		ent(9, projectile, 2000, 2000, 2400, -1, 0, 0, 0),
		ent(12, pickup, 800, 800, 0, 0, 0, 0, 0),
	}
	sc.snapshot("full snapshot of tick 10 (base_tick 0)", 10, 0, w10, 0)
	w11 := reckon(w10, 1, 30)
	w11[1].HP = 40
	sc.snapshot("delta 11 against 10: everything moved by dead reckoning; only player 5's hp changed", 11, 10, w11, 7)
	sc.snapshot("delta 12 against 11: nothing differs from dead reckoning, so no entity is listed", 12, 11, reckon(w11, 1, 30), 8)
	w15 := without(reckon(sc.world(12), 3, 30), 9)
	p3 := find(w15, 3)
	p3.X, p3.VX, p3.VY, p3.Angle = p3.X+13, 0, -880, 192
	w15 = with(w15, p3, ent(17, projectile, 1700, 1900, 0, -2400, 192, 0, 0))
	sc.snapshot("delta 15 against 12 (3 ticks): player 3 turned, projectile 9 is gone (removed), projectile 17 is new", 15, 12, w15, 11)
	w20 := reckon(w15, 5, 30)
	p5 := find(w20, 5)
	p5.Score, p5.VX, p5.VY = 1, 0, 0
	w20 = with(w20, p5)
	sc.snapshot("delta 20 against 10 (10 ticks; the client kept tick 10): listed against tick 10's world, not 15's", 20, 10, w20, 16)
	sc.update("RosterUpdate: cy joined, bo left", []Player{{21, "cy"}}, []uint32{5})
	w21 := with(without(reckon(w20, 1, 30), 5), ent(21, player, 4000, 400, 0, 0, 0, 100, 0))
	sc.snapshot("delta 21 against 20: player 5 removed, player 21 new", 21, 20, w21, 17)
	return sc
}

// ids: ids far apart (the id column is gap-coded; removed is not),
// removals of the first and last ids, dead reckoning that rounds halves,
// and 32-bit arithmetic that wraps.
func ids() *script {
	sc := newScript("ids-and-rounding", "A movers room at 20 Hz: ids far apart (the id column is gap-coded, removed lists plain ids), removals of the first and the last entity, an entity new between two others, dead reckoning that rounds halves up (+0.5 to 1, -0.5 to 0, -4.5 to -4), and a score that wraps around in 32-bit arithmetic.")
	sc.welcome("Welcome: player 1 in room vectors-ids at tick 1, 20 Hz", welcomeOf(movers.Name, movers.New, "vectors-ids", 1, 1, 20))
	w1 := []wire.Entity{
		ent(1, player, 40, 40, 10, -10, 0, 100, 0),
		ent(2, player, 400, 400, -30, 30, 0, 100, 2147483647),
		ent(130, player, 1000, 1000, 0, 0, 0, 100, -5),
		ent(16384, player, 3996, 4, 401, -399, 0, 100, 0),
		ent(2000000, player, 2000, 2000, 0, 0, 0, 100, 0),
		ent(4294967295, player, 0, 0, 0, 0, 0, 100, 0),
	}
	sc.snapshot("full snapshot of tick 1: ids 1, 2, 130, 16384, 2000000, 4294967295", 1, 0, w1, 0)
	w2 := reckon(w1, 1, 20)
	p2 := find(w2, 2)
	p2.Score = -2147483648 // one more than the largest int32, wrapped
	w2 = with(without(w2, 1, 4294967295), p2, ent(2000001, player, 8, 8, 0, 0, 0, 100, 0))
	sc.snapshot("delta 2 against 1: entity 1 moved by (+0.5 → 1, -0.5 → 0) and is removed with 4294967295; 2's score wrapped to -2147483648 (listed as +1); 2000001 is new", 2, 1, w2, 1)
	w4 := with(without(reckon(w1, 3, 20), 130), ent(7, pickup, 100, 100, 0, 0, 0, 0, 0))
	sc.snapshot("delta 4 against 1 (3 ticks): entity 2 moved by -4.5 → -4 and +4.5 → 5; 130 removed; 7 new between 2 and 16384", 4, 1, w4, 3)
	return sc
}

// interest: what a player of a room with interest management sees:
// entities leave its view (removed) and come back (new, whole values).
func interest() *script {
	sc := newScript("interest", "A movers-large room (interest management: a player receives only the entities in the 3x3 block of 1000-unit cells around its own): entity 41 leaves the view (removed) and later comes back (listed as new: whole values, relative to zero), entity 43 enters the view for the first time, and a delta against a baseline from before 41 left lists 41 against that baseline.")
	sc.welcome("Welcome: player 40 in room vectors-interest at tick 5", welcomeOf(movers.LargeName, movers.NewLarge, "vectors-interest", 40, 5, 30))
	w5 := []wire.Entity{
		ent(40, player, 6000, 6000, 0, 0, 0, 100, 0),
		ent(41, player, 11980, 6000, 400, 0, 0, 100, 3),
		ent(42, player, 4400, 7000, 0, -400, 0, 100, 1),
	}
	sc.snapshot("full snapshot of tick 5: players 40 (ours, cell 1,1), 41 and 42", 5, 0, w5, 0)
	sc.snapshot("delta 6 against 5: as predicted", 6, 5, reckon(w5, 1, 30), 1)
	w9 := without(reckon(sc.world(6), 3, 30), 41)
	sc.snapshot("delta 9 against 6: 41 crossed into cell 3 and left the view: removed", 9, 6, w9, 4)
	w12 := with(reckon(w9, 3, 30), ent(41, player, 11990, 6000, -400, 0, 0, 100, 4), ent(43, player, 2000, 2000, 0, 0, 0, 100, 0))
	sc.snapshot("delta 12 against 9: 41 is back (new since tick 9: whole values) and 43 entered the view", 12, 9, w12, 7)
	w14 := reckon(w12, 2, 30)
	sc.snapshot("delta 14 against 6: 41 was in tick 6 too, so it is listed against its tick-6 state moved by dead reckoning", 14, 6, w14, 9)
	return sc
}

// roomChange: a Welcome of another room starts a new baseline history,
// although the new room's ticks have the same numbers.
func roomChange() *script {
	sc := newScript("room-change", "Ticks count per room. After the Welcome of room vectors-b (at 60 Hz), a delta against tick 101, which the client reconstructed in room vectors-a, must be refused: every Welcome starts a new baseline history. Deltas in the new room reckon at its own tick rate.")
	sc.welcome("Welcome: player 4 in room vectors-a at tick 100, 30 Hz", welcomeOf(arena.Name, arena.New, "vectors-a", 4, 100, 30))
	a100 := []wire.Entity{ent(4, player, 1000, 1000, 880, 0, 0, 100, 0), ent(6, player, 3000, 3000, 0, 0, 128, 100, 5)}
	sc.snapshot("room a: full snapshot of tick 100", 100, 0, a100, 0)
	sc.snapshot("room a: delta 101 against 100", 101, 100, reckon(a100, 1, 30), 2)
	a101 := sc.world(101)
	sc.welcome("Welcome: player 2 in room vectors-b at tick 99, 60 Hz: a new membership", welcomeOf(arena.Name, arena.New, "vectors-b", 2, 99, 60))
	sc.players("Roster of room b", Player{1, "dee"}, Player{2, "ana"})
	b99 := []wire.Entity{ent(1, player, 5000, 500, 0, 0, 0, 100, 9), ent(2, player, 200, 300, 0, 880, 64, 100, 0)}
	sc.snapshot("room b: full snapshot of tick 99", 99, 0, b99, 3)
	sc.snapshot("room b: delta 100 against 99, at 60 Hz", 100, 99, reckon(b99, 1, 60), 4)
	var enc wire.SnapshotEncoder
	enc.TickRate = 60
	stale := wire.AppendInputAck(enc.Encode(nil, 103, 101, a101, reckon(sc.world(100), 3, 60)), 5)
	sc.refuse("room b: a delta against tick 101, which the client holds only from room a", "baseline 101 was not reconstructed since the latest Welcome", stale)
	sc.snapshot("room b: delta 102 against 100 applies", 102, 100, reckon(sc.world(100), 2, 60), 6)
	return sc
}

// resume: a resumed Welcome on a new connection starts a new baseline
// history too, and input_seq tells where inputs continue.
func resume() *script {
	sc := newScript("resume", "A player's connection drops and it resumes on a new one: Welcome{resumed: true} carries the same player id and input_seq, the client drops its baselines (tick numbering goes on), and a delta against a tick of the old connection must be refused.")
	w := welcomeOf(arena.Name, arena.New, "vectors-r", 7, 200, 30)
	w.SessionToken, w.ResumeGraceMs = "opaque-token-1", 15000
	sc.welcome("Welcome: player 7 in room vectors-r at tick 200", w)
	sc.players("Roster", Player{7, "eve"})
	r200 := []wire.Entity{ent(7, player, 2000, 2000, 0, 0, 0, 100, 0), ent(8, pickup, 100, 100, 0, 0, 0, 0, 0)}
	sc.snapshot("full snapshot of tick 200", 200, 0, r200, 40)
	sc.snapshot("delta 202 against 200", 202, 200, with(r200, ent(7, player, 2100, 2000, 880, 0, 0, 100, 0)), 42)
	w2 := welcomeOf(arena.Name, arena.New, "vectors-r", 7, 260, 30)
	w2.SessionToken, w2.ResumeGraceMs, w2.Resumed, w2.InputSeq = "opaque-token-2", 15000, true, 44
	sc.welcome("a new connection: Welcome{resumed: true, input_seq: 44} at tick 260", w2)
	sc.players("Roster", Player{7, "eve"})
	r260 := []wire.Entity{ent(7, player, 5000, 2000, 0, 0, 0, 100, 0), ent(8, pickup, 100, 100, 0, 0, 0, 0, 0)}
	sc.snapshot("full snapshot of tick 260", 260, 0, r260, 44)
	var enc wire.SnapshotEncoder
	old := wire.AppendInputAck(enc.Encode(nil, 261, 202, []wire.Entity{ent(7, player, 2100, 2000, 880, 0, 0, 100, 0), ent(8, pickup, 100, 100, 0, 0, 0, 0, 0)}, r260), 45)
	sc.refuse("a delta against tick 202, from before the resume", "baseline 202 was not reconstructed since the latest Welcome", old)
	sc.snapshot("delta 262 against 260 applies", 262, 260, with(r260, ent(7, player, 5000, 2100, 0, 440, 0, 100, 0)), 46)
	return sc
}

// refusals: snapshots a client must refuse; its state stays as it was.
func refusals() *script {
	sc := newScript("refusals", "Snapshots that break the rules of the contract: the client refuses each (drops it, acknowledges nothing new) and keeps its state; the valid delta at the end applies against the kept baseline.")
	sc.welcome("Welcome: player 1 in room vectors-bad at tick 50", welcomeOf(movers.Name, movers.New, "vectors-bad", 1, 50, 30))
	w50 := []wire.Entity{ent(1, player, 100, 100, 0, 0, 0, 100, 0), ent(2, player, 200, 200, 0, 0, 0, 100, 0), ent(3, player, 300, 300, 0, 0, 0, 100, 0)}
	sc.snapshot("full snapshot of tick 50", 50, 0, w50, 0)
	for _, bad := range []struct {
		about, why string
		s          *skirmishv1.Snapshot
	}{
		{"base_tick equal to tick", "a delta's baseline must be older than the snapshot", &skirmishv1.Snapshot{Tick: 51, BaseTick: 51}},
		{"a column with fewer values than ids", "every non-empty column has one value per id", &skirmishv1.Snapshot{Tick: 51, BaseTick: 50, Id: []uint32{1, 1}, X: []int32{4}}},
		{"the same id twice (a gap of 0)", "ids ascend strictly", &skirmishv1.Snapshot{Tick: 51, BaseTick: 50, Id: []uint32{1, 0}, X: []int32{4, 4}}},
		{"ids that wrap past 2^32", "ids ascend strictly (uint32)", &skirmishv1.Snapshot{Tick: 51, BaseTick: 50, Id: []uint32{4294967295, 2}, X: []int32{4, 4}}},
		{"an id both listed and removed", "an id appears at most once, listed or removed", &skirmishv1.Snapshot{Tick: 51, BaseTick: 50, Id: []uint32{2}, X: []int32{4}, Removed: []uint32{2}}},
		{"removed ids out of order", "removed ids ascend strictly", &skirmishv1.Snapshot{Tick: 51, BaseTick: 50, Removed: []uint32{3, 1}}},
		{"a baseline the client never had", "baseline 40 was not reconstructed since the latest Welcome", &skirmishv1.Snapshot{Tick: 51, BaseTick: 40, Id: []uint32{1}, X: []int32{4}}},
	} {
		sc.refuse(bad.about, bad.why, snapshotMsg(bad.s, 1))
	}
	sc.snapshot("delta 51 against 50 applies", 51, 50, with(w50, ent(2, player, 204, 200, 0, 0, 0, 100, 0)), 1)
	return sc
}

// encodings: valid encodings that the server does not write but any
// protobuf parser accepts, so a hand-written decoder must too.
func encodings() *script {
	sc := newScript("encodings", "Encodings the server does not write but protobuf allows, which a hand-written decoder must accept as generated code does: input_ack before the snapshot, unknown fields (to skip), fields out of order, repeated fields not packed, a column of explicit zeros; and dead reckoning at 7 Hz, where -15/7 rounds to -2.")
	sc.welcome("Welcome: player 1 in room vectors-enc at tick 1, 7 Hz", welcomeOf(movers.Name, movers.New, "vectors-enc", 1, 1, 7))
	w1 := []wire.Entity{ent(1, player, 400, 40, -5, 6, 0, 100, 0), ent(3, player, 800, 80, 0, 0, 0, 100, 0)}
	// The Snapshot body, fields backwards, ids not packed, an unknown
	// field 20, angle as a packed column of zeros.
	var body []byte
	body = protowire.AppendTag(body, 20, protowire.VarintType)
	body = protowire.AppendVarint(body, 12345)
	body = appendPacked(body, wire.FieldSnapAngle, 0, 0)
	body = appendPacked(body, wire.FieldSnapHP, protowire.EncodeZigZag(100), protowire.EncodeZigZag(100))
	body = appendPacked(body, wire.FieldSnapVY, protowire.EncodeZigZag(6), 0)
	body = appendPacked(body, wire.FieldSnapVX, protowire.EncodeZigZag(-5), 0)
	body = protowire.AppendTag(body, wire.FieldSnapY, protowire.VarintType) // not packed
	body = protowire.AppendVarint(body, protowire.EncodeZigZag(40))
	body = protowire.AppendTag(body, wire.FieldSnapY, protowire.VarintType)
	body = protowire.AppendVarint(body, protowire.EncodeZigZag(80))
	body = appendPacked(body, wire.FieldSnapX, protowire.EncodeZigZag(400), protowire.EncodeZigZag(800))
	body = appendPacked(body, wire.FieldSnapKind, 2, 2)
	body = protowire.AppendTag(body, wire.FieldSnapID, protowire.VarintType)
	body = protowire.AppendVarint(body, 1)
	body = protowire.AppendTag(body, wire.FieldSnapID, protowire.VarintType)
	body = protowire.AppendVarint(body, 2)
	body = protowire.AppendTag(body, wire.FieldSnapTick, protowire.VarintType)
	body = protowire.AppendVarint(body, 1)
	msg := wire.AppendInputAck(nil, 9)
	msg = protowire.AppendTag(msg, 99, protowire.BytesType) // unknown
	msg = protowire.AppendBytes(msg, []byte("from a newer server"))
	msg = protowire.AppendTag(msg, wire.FieldServerSnapshot, protowire.BytesType)
	msg = protowire.AppendBytes(msg, body)
	sc.received("full snapshot of tick 1, written unusually", msg, 1, w1, 9)
	sc.snapshot("delta 4 against 1 at 7 Hz: x moves by div_round(-5*3, 7) = -2, y by div_round(6*3, 7) = 3", 4, 1, reckon(w1, 3, 7), 10)
	return sc
}

func appendPacked(b []byte, field protowire.Number, values ...uint64) []byte {
	var col []byte
	for _, v := range values {
		col = protowire.AppendVarint(col, v)
	}
	b = protowire.AppendTag(b, field, protowire.BytesType)
	return protowire.AppendBytes(b, col)
}
