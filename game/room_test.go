package game_test

// These tests drive a Room by calling Step directly: no network, no
// sleeping, no loop goroutine (except TestRoomRunAndClose). The game rules
// are the real movers and arena modes; only the server side (Peer and
// Broadcaster) is faked. They live in package game_test because movers and
// arena import game.

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/skirmishgg/skirmish/game"
	"github.com/skirmishgg/skirmish/game/arena"
	"github.com/skirmishgg/skirmish/game/movers"
	skirmishv1 "github.com/skirmishgg/skirmish/proto/skirmish/v1"
	"github.com/skirmishgg/skirmish/proto/wire"
)

// fakePeer records every message the room sends it.
type fakePeer struct {
	mu      sync.Mutex
	name    string
	raw     [][]byte
	dropped []game.DropReason
}

func (p *fakePeer) Send(msg []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.raw = append(p.raw, bytes.Clone(msg))
}

func (p *fakePeer) Drop(reason game.DropReason) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dropped = append(p.dropped, reason)
}

// drops returns the reasons the room dropped this peer for.
func (p *fakePeer) drops() []game.DropReason {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.dropped)
}

// count is the number of messages received so far and not taken.
func (p *fakePeer) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.raw)
}

// take decodes and removes the messages received so far.
func (p *fakePeer) take(t *testing.T) []*skirmishv1.ServerMessage {
	t.Helper()
	p.mu.Lock()
	raw := p.raw
	p.raw = nil
	p.mu.Unlock()
	out := make([]*skirmishv1.ServerMessage, len(raw))
	for i, b := range raw {
		out[i] = decode(t, b)
	}
	return out
}

// broadcast is one recorded Broadcaster.Broadcast call.
type broadcast struct {
	msg []byte
	to  []game.Receiver
}

// recBroadcaster records every broadcast, copying msg because the room
// reuses it for the next tick.
type recBroadcaster struct {
	mu    sync.Mutex
	calls []broadcast
}

func (b *recBroadcaster) Broadcast(msg []byte, to []game.Receiver) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls = append(b.calls, broadcast{msg: bytes.Clone(msg), to: slices.Clone(to)})
}

func (b *recBroadcaster) take() []broadcast {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.calls
	b.calls = nil
	return c
}

// discard is a Broadcaster that drops everything; safe for concurrent use.
type discard struct{}

func (discard) Broadcast([]byte, []game.Receiver) {}

func decode(t testing.TB, b []byte) *skirmishv1.ServerMessage {
	t.Helper()
	var m skirmishv1.ServerMessage
	if err := proto.Unmarshal(b, &m); err != nil {
		t.Fatalf("unmarshal server message: %v", err)
	}
	return &m
}

// deliver builds what receiver i of bc gets on the wire, as the contract of
// Broadcaster says: msg followed by that receiver's input_ack.
func deliver(t *testing.T, bc broadcast, i int) *skirmishv1.ServerMessage {
	t.Helper()
	return decode(t, wire.AppendInputAck(bytes.Clone(bc.msg), bc.to[i].InputAck))
}

// appliedInput is one Mode.ApplyInput call.
type appliedInput struct {
	id uint32
	in wire.Input
}

// recordingMode wraps a real mode and records the inputs the room hands it.
// It changes nothing: every call goes to the real rules.
type recordingMode struct {
	game.Mode
	inputs []appliedInput
}

func (m *recordingMode) ApplyInput(id uint32, in wire.Input) {
	m.inputs = append(m.inputs, appliedInput{id, in})
	m.Mode.ApplyInput(id, in)
}

// takeInputs returns and clears the inputs applied for id.
func (m *recordingMode) takeInputs(id uint32) []wire.Input {
	var out []wire.Input
	kept := m.inputs[:0]
	for _, a := range m.inputs {
		if a.id == id {
			out = append(out, a.in)
		} else {
			kept = append(kept, a)
		}
	}
	m.inputs = kept
	return out
}

// testRoom is a room driven by Step, with the mode it created and the
// broadcaster it sends to.
type testRoom struct {
	*game.Room
	mode *recordingMode
	bc   *recBroadcaster
}

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// newRoom creates a room of the given real mode. cfg.Mode and
// cfg.Broadcaster are filled in.
func newRoom(t testing.TB, newMode game.NewModeFunc, cfg game.RoomConfig) *testRoom {
	t.Helper()
	tr := &testRoom{bc: &recBroadcaster{}}
	cfg.Mode = func(c game.ModeConfig) game.Mode {
		tr.mode = &recordingMode{Mode: newMode(c)}
		return tr.mode
	}
	if cfg.Broadcaster == nil {
		cfg.Broadcaster = tr.bc
	}
	if cfg.Logger == nil {
		cfg.Logger = quietLogger()
	}
	tr.Room = game.NewRoom(cfg)
	if tr.mode == nil {
		t.Fatal("NewRoom did not create its mode")
	}
	return tr
}

func (r *testRoom) join(t *testing.T, p *fakePeer) uint32 {
	t.Helper()
	id, err := r.Join(p, p.name)
	if err != nil {
		t.Fatalf("Join(%s): %v", p.name, err)
	}
	return id
}

// entities is the world as the real mode holds it now.
func (r *testRoom) entities() []wire.Entity { return r.mode.Mode.AppendEntities(nil) }

// step runs one tick and returns its single broadcast.
func (r *testRoom) step(t *testing.T) broadcast {
	t.Helper()
	r.Step()
	calls := r.bc.take()
	if len(calls) != 1 {
		t.Fatalf("tick %d: %d broadcasts, want exactly 1", r.Tick(), len(calls))
	}
	return calls[0]
}

// snapshot decodes bc's shared payload and reconstructs its world.
func snapshot(t *testing.T, bc broadcast) (*skirmishv1.Snapshot, []wire.Entity) {
	t.Helper()
	m := decode(t, bc.msg)
	s := m.GetSnapshot()
	if s == nil {
		t.Fatalf("broadcast is not a snapshot: %v", m)
	}
	if m.InputAck != 0 {
		t.Fatalf("shared payload carries input_ack %d; it must be appended per receiver", m.InputAck)
	}
	world, err := wire.ApplySnapshot(nil, nil, s, game.DefaultTickRate)
	if err != nil {
		t.Fatalf("apply snapshot %d: %v", s.Tick, err)
	}
	return s, world
}

// entityByID finds id in world.
func entityByID(world []wire.Entity, id uint32) (wire.Entity, bool) {
	i := slices.IndexFunc(world, func(e wire.Entity) bool { return e.ID == id })
	if i < 0 {
		return wire.Entity{}, false
	}
	return world[i], true
}

func mustEntity(t *testing.T, world []wire.Entity, id uint32) wire.Entity {
	t.Helper()
	e, ok := entityByID(world, id)
	if !ok {
		t.Fatalf("entity %d not in world %+v", id, world)
	}
	return e
}

// receiverPeers lists the peers of a broadcast in order.
func receiverPeers(bc broadcast) []game.Peer {
	out := make([]game.Peer, len(bc.to))
	for i, r := range bc.to {
		out[i] = r.Peer
	}
	return out
}

func rosterOf(t *testing.T, m *skirmishv1.ServerMessage) []string {
	t.Helper()
	ro := m.GetRoster()
	if ro == nil {
		t.Fatalf("message is not a Roster: %v", m)
	}
	var out []string
	for _, e := range ro.Players {
		out = append(out, e.Name)
	}
	return out
}

func rosterIDs(m *skirmishv1.ServerMessage) []uint32 {
	var out []uint32
	for _, e := range m.GetRoster().GetPlayers() {
		out = append(out, e.Id)
	}
	return out
}

var modes = []struct {
	name  string
	new   game.NewModeFunc
	w, h  uint32
	extra int // non-player entities the mode creates on its own at start
}{
	{movers.Name, movers.New, 1000, 1000, 0},
	{arena.Name, arena.New, 1600, 1000, 4}, // four health pickups
}

func TestRoomJoinSendsWelcomeThenRoster(t *testing.T) {
	for _, md := range modes {
		t.Run(md.name, func(t *testing.T) {
			r := newRoom(t, md.new, game.RoomConfig{ID: "room-1", TickRate: 20})
			r.Step() // an empty tick first, so that Welcome.tick is not trivially 1
			if calls := r.bc.take(); len(calls) != 0 {
				t.Fatalf("empty room broadcast %d snapshots", len(calls))
			}

			alice := &fakePeer{name: "alice"}
			id := r.join(t, alice)
			if id == 0 {
				t.Fatal("Join returned id 0")
			}
			if n := alice.count(); n != 0 {
				t.Fatalf("peer got %d messages before the next tick", n)
			}
			if got := r.Stats().Players; got != 1 {
				t.Errorf("Stats().Players = %d after Join, want 1", got)
			}

			bc := r.step(t)
			msgs := alice.take(t)
			if len(msgs) != 2 {
				t.Fatalf("after the join tick peer got %d messages, want Welcome and Roster: %v", len(msgs), msgs)
			}
			w := msgs[0].GetWelcome()
			if w == nil {
				t.Fatalf("first message is not Welcome: %v", msgs[0])
			}
			want := &skirmishv1.Welcome{
				PlayerId:      id,
				Room:          "room-1",
				Mode:          md.name,
				TickRate:      20,
				Tick:          2,
				WorldWidth:    md.w,
				WorldHeight:   md.h,
				PositionScale: wire.PositionScale,
				Capacity:      16,
			}
			if !proto.Equal(w, want) {
				t.Errorf("Welcome = %v\nwant      %v", w, want)
			}
			if got := rosterOf(t, msgs[1]); !slices.Equal(got, []string{"alice"}) {
				t.Errorf("Roster names = %v, want [alice]", got)
			}
			if got := rosterIDs(msgs[1]); !slices.Equal(got, []uint32{id}) {
				t.Errorf("Roster ids = %v, want [%d]", got, id)
			}

			// The same tick's snapshot already goes to the new player and
			// contains its entity, next to the mode's own entities.
			if !slices.Equal(receiverPeers(bc), []game.Peer{alice}) {
				t.Errorf("snapshot receivers = %v, want only alice", bc.to)
			}
			s, world := snapshot(t, bc)
			if s.Tick != 2 || s.BaseTick != 0 {
				t.Errorf("snapshot tick %d base %d, want 2 0", s.Tick, s.BaseTick)
			}
			if e := mustEntity(t, world, id); e.Kind != wire.KindPlayer {
				t.Errorf("player entity kind %d, want %d", e.Kind, wire.KindPlayer)
			}
			if len(world) != 1+md.extra {
				t.Errorf("%d entities, want the player and %d others", len(world), md.extra)
			}

			// Welcome and Roster are sent once, not every tick.
			r.step(t)
			if n := alice.count(); n != 0 {
				t.Errorf("peer got %d more messages on a tick without joins", n)
			}
		})
	}
}

func TestRoomRosterOnJoinAndLeave(t *testing.T) {
	r := newRoom(t, movers.New, game.RoomConfig{ID: "r"})
	a, b, c := &fakePeer{name: "a"}, &fakePeer{name: "b"}, &fakePeer{name: "c"}
	ida := r.join(t, a)
	r.step(t)
	a.take(t)

	idb := r.join(t, b)
	bc := r.step(t)
	if ma := a.take(t); len(ma) != 1 || !slices.Equal(rosterOf(t, ma[0]), []string{"a", "b"}) {
		t.Fatalf("existing member got %v, want one Roster [a b]", ma)
	}
	mb := b.take(t)
	if len(mb) != 2 || mb[0].GetWelcome().GetPlayerId() != idb || !slices.Equal(rosterOf(t, mb[1]), []string{"a", "b"}) {
		t.Fatalf("new member got %v, want Welcome(%d) then Roster [a b]", mb, idb)
	}
	if got := rosterIDs(mb[1]); !slices.Equal(got, []uint32{ida, idb}) {
		t.Errorf("roster ids %v, want [%d %d]", got, ida, idb)
	}
	if !slices.Equal(receiverPeers(bc), []game.Peer{a, b}) {
		t.Errorf("receivers %v, want a then b", bc.to)
	}

	// Two joins in one tick: one Roster each, listing everybody.
	idc := r.join(t, c)
	d := &fakePeer{name: "d"}
	idd := r.join(t, d)
	r.step(t)
	for _, p := range []*fakePeer{a, b} {
		m := p.take(t)
		if len(m) != 1 || !slices.Equal(rosterOf(t, m[0]), []string{"a", "b", "c", "d"}) {
			t.Errorf("%s got %v, want one Roster [a b c d]", p.name, m)
		}
	}
	for _, p := range []*fakePeer{c, d} {
		m := p.take(t)
		if len(m) != 2 || m[0].GetWelcome() == nil || !slices.Equal(rosterOf(t, m[1]), []string{"a", "b", "c", "d"}) {
			t.Errorf("%s got %v, want Welcome then Roster [a b c d]", p.name, m)
		}
	}

	// A leaves: the others get the new roster, a gets nothing more and is
	// no longer a receiver.
	r.Leave(ida)
	if got := r.Stats().Players; got != 3 {
		t.Errorf("Stats().Players = %d after a leave, want 3", got)
	}
	bc = r.step(t)
	if n := a.count(); n != 0 {
		t.Errorf("the player who left got %d messages", n)
	}
	for _, p := range []*fakePeer{b, c, d} {
		m := p.take(t)
		if len(m) != 1 || !slices.Equal(rosterOf(t, m[0]), []string{"b", "c", "d"}) {
			t.Errorf("%s got %v, want one Roster [b c d]", p.name, m)
		}
	}
	if !slices.Equal(receiverPeers(bc), []game.Peer{b, c, d}) {
		t.Errorf("receivers after a left: %v, want b c d", bc.to)
	}
	_, world := snapshot(t, bc)
	if _, ok := entityByID(world, ida); ok {
		t.Errorf("entity %d of the player who left is still in the snapshot", ida)
	}
	for _, id := range []uint32{idb, idc, idd} {
		mustEntity(t, world, id)
	}
}

func TestRoomJoinAndLeaveInOneTick(t *testing.T) {
	r := newRoom(t, movers.New, game.RoomConfig{})
	a, ghost := &fakePeer{name: "a"}, &fakePeer{name: "ghost"}
	r.join(t, a)
	r.step(t)
	a.take(t)

	id := r.join(t, ghost)
	r.Leave(id)
	if got := r.Stats().Players; got != 1 {
		t.Errorf("Stats().Players = %d, want 1", got)
	}
	bc := r.step(t)
	if n := ghost.count(); n != 0 {
		t.Errorf("a player who left before its first tick got %d messages (no Welcome is due)", n)
	}
	for _, m := range a.take(t) {
		if slices.Contains(rosterOf(t, m), "ghost") {
			t.Errorf("roster %v lists a player who already left", rosterOf(t, m))
		}
	}
	if !slices.Equal(receiverPeers(bc), []game.Peer{a}) {
		t.Errorf("receivers %v, want only a", bc.to)
	}
	_, world := snapshot(t, bc)
	if _, ok := entityByID(world, id); ok {
		t.Errorf("entity %d is in the snapshot although it left before its first tick", id)
	}
	if r.Input(id, wire.Input{Seq: 1}) {
		t.Error("wire.Input for a player who left returned true")
	}
}

func TestRoomSnapshotsEveryStepToEveryMember(t *testing.T) {
	for _, md := range modes {
		t.Run(md.name, func(t *testing.T) {
			r := newRoom(t, md.new, game.RoomConfig{Seed: 7})
			peers := []*fakePeer{{name: "a"}, {name: "b"}, {name: "c"}}
			ids := make([]uint32, len(peers))
			for i, p := range peers {
				ids[i] = r.join(t, p)
			}
			// a steers and fires (arena makes projectiles), b sends one
			// input, c none: each receiver gets its own ack.
			for tick := uint32(1); tick <= 40; tick++ {
				if !r.Input(ids[0], wire.Input{Seq: 100 + tick, DX: 1, DY: -0.5, Aim: float32(tick) / 5, Buttons: wire.ButtonFire}) {
					t.Fatal("wire.Input of a member returned false")
				}
				if tick == 3 {
					r.Input(ids[1], wire.Input{Seq: 9, DY: 1})
				}
				bc := r.step(t)
				if !slices.Equal(receiverPeers(bc), []game.Peer{peers[0], peers[1], peers[2]}) {
					t.Fatalf("tick %d: receivers %v, want a b c in id order", tick, bc.to)
				}
				wantAck := []uint32{100 + tick, 0, 0}
				if tick >= 3 {
					wantAck[1] = 9
				}
				s, world := snapshot(t, bc)
				if s.Tick != tick || r.Tick() != tick {
					t.Fatalf("snapshot tick %d, room tick %d, want %d", s.Tick, r.Tick(), tick)
				}
				if want := r.entities(); !slices.Equal(world, want) {
					t.Fatalf("tick %d: snapshot world\n%+v\nmode entities\n%+v", tick, world, want)
				}
				for i := range bc.to {
					if bc.to[i].InputAck != wantAck[i] {
						t.Errorf("tick %d: receiver %d InputAck %d, want %d", tick, i, bc.to[i].InputAck, wantAck[i])
					}
					m := deliver(t, bc, i)
					if m.InputAck != wantAck[i] {
						t.Errorf("tick %d: receiver %d decodes input_ack %d, want %d", tick, i, m.InputAck, wantAck[i])
					}
					if !proto.Equal(m.GetSnapshot(), s) {
						t.Errorf("tick %d: receiver %d decodes another snapshot", tick, i)
					}
				}
			}
			if got := r.Stats().Ticks; got != 40 {
				t.Errorf("Stats().Ticks = %d, want 40", got)
			}
		})
	}
}

// TestRoomSnapshotWorldAcrossChanges checks, tick by tick, that a client
// applying the broadcast payload reconstructs exactly the mode's entities
// while players join, steer, fire and leave.
func TestRoomSnapshotWorldAcrossChanges(t *testing.T) {
	for _, md := range modes {
		t.Run(md.name, func(t *testing.T) {
			r := newRoom(t, md.new, game.RoomConfig{Seed: 99, Capacity: 8})
			var live []uint32
			seq := uint32(0)
			sawProjectile := false
			for tick := 1; tick <= 200; tick++ {
				if tick%15 == 1 && len(live) < 6 {
					live = append(live, r.join(t, &fakePeer{name: "p"}))
				}
				if tick%40 == 0 {
					r.Leave(live[0])
					live = live[1:]
				}
				for i, id := range live {
					seq++
					dir := float32(1 - 2*((tick/20+i)%2))
					r.Input(id, wire.Input{Seq: seq, DX: dir, DY: -dir / 2, Aim: float32(i + tick), Buttons: wire.ButtonFire})
				}
				bc := r.step(t)
				_, world := snapshot(t, bc)
				if want := r.entities(); !slices.Equal(world, want) {
					t.Fatalf("tick %d: snapshot world\n%+v\nmode entities\n%+v", tick, world, want)
				}
				players := 0
				for _, e := range world {
					switch e.Kind {
					case wire.KindPlayer:
						players++
					case wire.KindProjectile:
						sawProjectile = true
					}
				}
				if players != len(live) || len(bc.to) != len(live) {
					t.Fatalf("tick %d: %d players, %d receivers, want %d", tick, players, len(bc.to), len(live))
				}
			}
			if md.name == arena.Name && !sawProjectile {
				t.Error("arena players held fire for 200 ticks but no projectile was ever in a snapshot")
			}
		})
	}
}

// TestRoomSnapshotEncodedOncePerTick checks that a tick produces one
// payload shared by every receiver: one Broadcast call, no snapshot sent
// through Peer.Send, and byte-identical content before each receiver's
// five input_ack bytes.
func TestRoomSnapshotEncodedOncePerTick(t *testing.T) {
	r := newRoom(t, arena.New, game.RoomConfig{Seed: 3})
	peers := make([]*fakePeer, 5)
	ids := make([]uint32, len(peers))
	for i := range peers {
		peers[i] = &fakePeer{name: "p"}
		ids[i] = r.join(t, peers[i])
	}
	r.step(t)
	for _, p := range peers {
		p.take(t)
	}
	for tick := range 10 {
		for i, id := range ids {
			r.Input(id, wire.Input{Seq: uint32(10*tick + i + 1), DX: 1})
		}
		bc := r.step(t)
		for _, p := range peers {
			if n := p.count(); n != 0 {
				t.Fatalf("tick %d: peer got %d messages through Send; snapshots go through the Broadcaster", tick, n)
			}
		}
		var first []byte
		for i := range bc.to {
			out := wire.AppendInputAck(bytes.Clone(bc.msg), bc.to[i].InputAck)
			if len(out) != len(bc.msg)+wire.InputAckSize {
				t.Fatalf("ack suffix is %d bytes, want %d", len(out)-len(bc.msg), wire.InputAckSize)
			}
			payload := out[:len(out)-wire.InputAckSize]
			if first == nil {
				first = payload
			} else if !bytes.Equal(payload, first) {
				t.Fatalf("tick %d: receiver %d payload differs from receiver 0", tick, i)
			}
			if got, want := bc.to[i].InputAck, uint32(10*tick+i+1); got != want {
				t.Errorf("tick %d: receiver %d InputAck %d, want %d", tick, i, got, want)
			}
		}
	}
}

func TestRoomNoBroadcastWhenEmpty(t *testing.T) {
	r := newRoom(t, movers.New, game.RoomConfig{})
	r.Step()
	id := r.join(t, &fakePeer{name: "a"})
	r.step(t)
	r.Leave(id)
	r.Step()
	if calls := r.bc.take(); len(calls) != 0 {
		t.Errorf("room with no members broadcast %d snapshots: %+v", len(calls), calls)
	}
	if got := r.Stats(); got.Players != 0 || got.Ticks != 3 {
		t.Errorf("Stats() = %+v, want 0 players, 3 ticks", got)
	}
}

func TestRoomWithoutBroadcaster(t *testing.T) {
	// A nil Broadcaster is allowed (the room still sends Welcome/Roster).
	tr := &testRoom{}
	r := game.NewRoom(game.RoomConfig{Mode: movers.New, Logger: quietLogger()})
	tr.Room = r
	p := &fakePeer{name: "a"}
	id := tr.join(t, p)
	r.Step()
	if m := p.take(t); len(m) != 2 || m[0].GetWelcome().GetPlayerId() != id {
		t.Errorf("got %v, want Welcome(%d) and Roster", m, id)
	}
}

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

func TestRoomLeave(t *testing.T) {
	r := newRoom(t, movers.New, game.RoomConfig{})
	a, b := &fakePeer{name: "a"}, &fakePeer{name: "b"}
	ida, idb := r.join(t, a), r.join(t, b)
	r.step(t)
	r.Input(ida, wire.Input{Seq: 1, DX: 1})

	r.Leave(ida)
	if r.Input(ida, wire.Input{Seq: 2, DX: 1}) {
		t.Error("wire.Input after Leave returned true")
	}
	r.Leave(ida)     // twice: ignored
	r.Leave(999_999) // unknown: ignored
	if got := r.Stats().Players; got != 1 {
		t.Errorf("Stats().Players = %d, want 1", got)
	}
	bc := r.step(t)
	if n := len(r.mode.takeInputs(ida)); n != 0 {
		t.Errorf("%d inputs of a player who left were applied", n)
	}
	_, world := snapshot(t, bc)
	if _, ok := entityByID(world, ida); ok {
		t.Errorf("entity %d still in the snapshot after Leave", ida)
	}
	mustEntity(t, world, idb)
	if !slices.Equal(receiverPeers(bc), []game.Peer{b}) {
		t.Errorf("receivers %v, want only b", bc.to)
	}
	if r.Input(ida, wire.Input{Seq: 3}) {
		t.Error("wire.Input after Leave returned true a tick later")
	}
}

func TestRoomCapacity(t *testing.T) {
	r := newRoom(t, movers.New, game.RoomConfig{Capacity: 2})
	if r.Capacity() != 2 {
		t.Fatalf("Capacity() = %d, want 2", r.Capacity())
	}
	ida := r.join(t, &fakePeer{name: "a"})
	idb := r.join(t, &fakePeer{name: "b"})
	if ida == idb {
		t.Fatalf("two players got the same id %d", ida)
	}
	// Full counts pending joins, before any tick.
	if _, err := r.Join(&fakePeer{name: "c"}, "c"); !errors.Is(err, game.ErrRoomFull) {
		t.Fatalf("third Join: err %v, want ErrRoomFull", err)
	}
	r.step(t)
	if _, err := r.Join(&fakePeer{name: "c"}, "c"); !errors.Is(err, game.ErrRoomFull) {
		t.Fatalf("third Join after a tick: err %v, want ErrRoomFull", err)
	}
	if got := r.Stats().Players; got != 2 {
		t.Errorf("Stats().Players = %d, want 2", got)
	}
	r.Leave(ida)
	idc, err := r.Join(&fakePeer{name: "c"}, "c")
	if err != nil {
		t.Fatalf("Join after a Leave freed a place: %v", err)
	}
	if idc == ida || idc == idb {
		t.Errorf("new player reuses id %d", idc)
	}
	if got := r.Stats().Players; got != 2 {
		t.Errorf("Stats().Players = %d, want 2", got)
	}
}

func TestRoomDefaults(t *testing.T) {
	r := newRoom(t, movers.New, game.RoomConfig{ID: "x"})
	if r.ID() != "x" || r.ModeName() != movers.Name || r.TickRate() != game.DefaultTickRate || r.Capacity() != game.DefaultCapacity {
		t.Errorf("room %q mode %q tick rate %d capacity %d, want x movers %d %d",
			r.ID(), r.ModeName(), r.TickRate(), r.Capacity(), game.DefaultTickRate, game.DefaultCapacity)
	}
	fast := newRoom(t, movers.New, game.RoomConfig{TickRate: 10 * game.MaxTickRate})
	if fast.TickRate() != game.MaxTickRate {
		t.Errorf("tick rate %d, want it capped at %d", fast.TickRate(), game.MaxTickRate)
	}
}

// TestRoomRunAndClose is the room test that needs the loop: Run ticks on
// its own, Close stops it, OnClose runs once and later joins fail. It waits
// on conditions with generous timeouts and asserts no timing.
func TestRoomRunAndClose(t *testing.T) {
	var closes int
	closed := make(chan *game.Room, 1)
	bc := &recBroadcaster{}
	r := game.NewRoom(game.RoomConfig{
		ID: "loop", Mode: movers.New, TickRate: game.MaxTickRate, Broadcaster: bc, Logger: quietLogger(),
		OnClose: func(r *game.Room) { closes++; closed <- r },
	})
	go r.Run()

	p := &fakePeer{name: "a"}
	id, err := r.Join(p, "a")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Welcome from the running loop", func() bool { return p.count() >= 2 })
	if m := p.take(t); m[0].GetWelcome().GetPlayerId() != id {
		t.Fatalf("first message %v, want Welcome for %d", m[0], id)
	}
	waitFor(t, "a snapshot from the running loop", func() bool {
		bc.mu.Lock()
		defer bc.mu.Unlock()
		return len(bc.calls) > 0
	})

	r.Close()
	select {
	case <-r.Done():
	default:
		t.Fatal("Done is not closed after Close returned")
	}
	select {
	case got := <-closed:
		if got != r {
			t.Error("OnClose got another room")
		}
	default:
		t.Fatal("OnClose was not called before Close returned")
	}
	r.Close() // idempotent
	if closes != 1 {
		t.Errorf("OnClose called %d times, want 1", closes)
	}
	if _, err := r.Join(&fakePeer{name: "b"}, "b"); !errors.Is(err, game.ErrRoomClosed) {
		t.Errorf("Join after Close: err %v, want ErrRoomClosed", err)
	}
	ticks := r.Stats().Ticks
	if ticks == 0 {
		t.Error("Stats().Ticks = 0 although snapshots were sent")
	}
}

// waitFor polls cond until it holds, failing after a generous timeout.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestRoomStepDoesNotAllocate pins the steady state of the benchmark below:
// a tick with one input per player and no joins or leaves allocates nothing.
func TestRoomStepDoesNotAllocate(t *testing.T) {
	r, ids := benchRoom(t, 50)
	seq := uint32(10)
	allocs := testing.AllocsPerRun(200, func() {
		seq++
		queueBenchInputs(r, ids, seq)
		r.Step()
	})
	if allocs != 0 {
		t.Errorf("steady-state tick allocates %v times, want 0", allocs)
	}
}

// benchRoom returns a movers room of n joined players past their join
// tick, broadcasting to nowhere.
func benchRoom(tb testing.TB, n int) (*game.Room, []uint32) {
	tb.Helper()
	r := game.NewRoom(game.RoomConfig{
		ID: "bench", Mode: movers.New, Capacity: n, Seed: 1, Broadcaster: discard{}, Logger: quietLogger(),
	})
	ids := make([]uint32, n)
	for i := range ids {
		id, err := r.Join(nopPeer{}, "p")
		if err != nil {
			tb.Fatal(err)
		}
		ids[i] = id
	}
	// Warm up: apply the joins and grow every reused buffer.
	for seq := uint32(1); seq <= 10; seq++ {
		queueBenchInputs(r, ids, seq)
		r.Step()
	}
	return r, ids
}

// queueBenchInputs queues one input per player; directions alternate so
// that movers' score column changes for some players every tick.
func queueBenchInputs(r *game.Room, ids []uint32, seq uint32) {
	for i, id := range ids {
		dir := float32(1 - 2*int((seq+uint32(i))%2))
		r.Input(id, wire.Input{Seq: seq, DX: dir, DY: -dir / 2})
	}
}

type nopPeer struct{}

func (nopPeer) Send([]byte)          {}
func (nopPeer) Drop(game.DropReason) {}

func BenchmarkRoomStepMovers50(b *testing.B) {
	r, ids := benchRoom(b, 50)
	seq := uint32(10)
	b.ReportAllocs()
	for b.Loop() {
		seq++
		queueBenchInputs(r, ids, seq)
		r.Step()
	}
}
