package game_test

import (
	"errors"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/skirmishgg/skirmish/game"
	"github.com/skirmishgg/skirmish/game/movers"
	skirmishv1 "github.com/skirmishgg/skirmish/proto/skirmish/v1"
	"github.com/skirmishgg/skirmish/proto/wire"
)

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

func TestSpectatorWatchesOnly(t *testing.T) {
	r := newRoom(t, movers.New, game.RoomConfig{ID: "r", Capacity: 1})
	player, watcher := &fakePeer{name: "p"}, &fakePeer{name: "w"}
	r.join(t, player)
	sid, err := r.JoinSpectator(watcher)
	if err != nil {
		t.Fatalf("spectator refused by a full room: %v", err)
	}
	r.Step()
	w := welcomeOf(t, watcher.take(t))
	if !w.Spectator || w.PlayerId != 0 {
		t.Fatalf("spectator welcome %v", w)
	}
	if _, ok := entityByID(r.entities(), sid); ok {
		t.Fatal("spectator has an entity")
	}
	if _, _, err := game.NewHub(game.HubConfig{Logger: quietLogger()}).JoinWith(watcher, game.JoinRequest{Spectate: true, Room: "nowhere"}); !errors.Is(err, game.ErrNoSuchRoom) {
		t.Fatalf("spectating a room that does not exist: %v", err)
	}
	if r.Input(sid, wire.Input{Seq: 1, DX: 1}) {
		t.Fatal("spectator input accepted")
	}
	r.Step()
	calls := r.bc.take()
	got := false
	for _, c := range calls {
		got = got || slices.ContainsFunc(c.to, func(rc game.Receiver) bool { return rc.Peer == watcher })
	}
	if !got {
		t.Fatal("spectator receives no snapshots")
	}
}
