package game_test

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/skirmishgg/skirmish/game"
	"github.com/skirmishgg/skirmish/game/arena"
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
				TickPeriodNs:  50_000_000,
				Movement:      md.movement,
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

// updateOf returns the RosterUpdate m carries as joined names and left ids.
func updateOf(t *testing.T, m *skirmishv1.ServerMessage) (joined []string, left []uint32) {
	t.Helper()
	ru := m.GetRosterUpdate()
	if ru == nil {
		t.Fatalf("message is not a RosterUpdate: %v", m)
	}
	for _, e := range ru.Joined {
		joined = append(joined, e.Name)
	}
	return joined, ru.Left
}

// TestRoomRosterOnJoinAndLeave: a player who arrives gets Welcome and the
// full Roster; everyone already there gets one RosterUpdate per tick with
// what changed.
func TestRoomRosterOnJoinAndLeave(t *testing.T) {
	r := newRoom(t, movers.New, game.RoomConfig{ID: "r"})
	a, b, c := &fakePeer{name: "a"}, &fakePeer{name: "b"}, &fakePeer{name: "c"}
	ida := r.join(t, a)
	r.step(t)
	a.take(t)

	idb := r.join(t, b)
	bc := r.step(t)
	ma := a.take(t)
	if len(ma) != 1 {
		t.Fatalf("existing member got %v, want one RosterUpdate", ma)
	}
	if joined, left := updateOf(t, ma[0]); !slices.Equal(joined, []string{"b"}) || len(left) != 0 {
		t.Fatalf("existing member's update: joined %v left %v, want joined [b]", joined, left)
	}
	if ids := ma[0].GetRosterUpdate().Joined; ids[0].Id != idb {
		t.Errorf("update names id %d, want %d", ids[0].Id, idb)
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

	// Two joins in one tick: one update each for those already there; the
	// newcomers get the full roster only.
	idc := r.join(t, c)
	d := &fakePeer{name: "d"}
	idd := r.join(t, d)
	r.step(t)
	for _, p := range []*fakePeer{a, b} {
		m := p.take(t)
		if len(m) != 1 {
			t.Fatalf("%s got %v, want one RosterUpdate", p.name, m)
		}
		if joined, left := updateOf(t, m[0]); !slices.Equal(joined, []string{"c", "d"}) || len(left) != 0 {
			t.Errorf("%s's update: joined %v left %v, want joined [c d]", p.name, joined, left)
		}
	}
	for _, p := range []*fakePeer{c, d} {
		m := p.take(t)
		if len(m) != 2 || m[0].GetWelcome() == nil || !slices.Equal(rosterOf(t, m[1]), []string{"a", "b", "c", "d"}) {
			t.Errorf("%s got %v, want Welcome then Roster [a b c d]", p.name, m)
		}
	}

	// A leaves: the others are told its id, a gets nothing more and is no
	// longer a receiver.
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
		if len(m) != 1 {
			t.Fatalf("%s got %v, want one RosterUpdate", p.name, m)
		}
		if joined, left := updateOf(t, m[0]); len(joined) != 0 || !slices.Equal(left, []uint32{ida}) {
			t.Errorf("%s's update: joined %v left %v, want left [%d]", p.name, joined, left, ida)
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

// TestRoomRosterSpamIsOneSmallUpdatePerTick: many joins and leaves in one
// tick of a big room cost each member one message the size of the change,
// the same bytes for everyone, not a full roster per change.
func TestRoomRosterSpamIsOneSmallUpdatePerTick(t *testing.T) {
	const players = 200
	r := newRoom(t, movers.New, game.RoomConfig{ID: "big", Capacity: players + 20})
	peers := make([]*fakePeer, players)
	ids := make([]uint32, players)
	for i := range peers {
		peers[i] = &fakePeer{name: fmt.Sprintf("player-%03d", i)}
		ids[i] = r.join(t, peers[i])
	}
	r.step(t)
	for _, p := range peers {
		p.take(t)
	}
	// An attacker's 20 joins and 20 leaves in one tick, and one of the
	// players leaving too.
	var spam []uint32
	for i := range 20 {
		spam = append(spam, r.join(t, &fakePeer{name: fmt.Sprintf("spam-%d", i)}))
	}
	for _, id := range spam {
		r.Leave(id)
	}
	r.Leave(ids[0])
	r.step(t)
	var first []byte
	for _, p := range peers[1:] {
		p.mu.Lock()
		raw := p.raw
		p.raw = nil
		p.mu.Unlock()
		if len(raw) != 1 {
			t.Fatalf("%s got %d messages, want one RosterUpdate", p.name, len(raw))
		}
		if first == nil {
			first = raw[0]
		} else if !bytes.Equal(raw[0], first) {
			t.Fatalf("%s got other bytes than the others", p.name)
		}
	}
	joined, left := updateOf(t, decode(t, first))
	if len(joined) != 0 || !slices.Equal(left, []uint32{ids[0]}) {
		t.Fatalf("update: joined %v left %v, want only %d left", joined, left, ids[0])
	}
	if len(first) > 16 {
		t.Fatalf("the update is %d bytes for one leave", len(first))
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
	if m := a.take(t); len(m) != 0 {
		t.Errorf("a got %v for a player who came and went within a tick, want nothing", m)
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

// TestEntityIdsArePerRoomAndNeverReused: ids count from 1 in every room,
// players and the mode's own entities share them, and an id is never
// handed out again in the room, not even after its entity is gone.
func TestEntityIdsArePerRoomAndNeverReused(t *testing.T) {
	r := newRoom(t, arena.New, game.RoomConfig{ID: "ids"})
	pickups := len(r.entities()) // the arena places its pickups first: ids 1..4
	a := r.join(t, &fakePeer{name: "a"})
	if a != uint32(pickups)+1 {
		t.Fatalf("first player id %d, want %d after the %d pickups", a, pickups+1, pickups)
	}
	r.Step()
	r.Leave(a)
	r.Step()
	b := r.join(t, &fakePeer{name: "b"})
	if b <= a {
		t.Fatalf("id %d after %d left: ids are reused", b, a)
	}
	other := newRoom(t, movers.New, game.RoomConfig{ID: "other"})
	if id := other.join(t, &fakePeer{name: "c"}); id != 1 {
		t.Fatalf("first id of another room %d, want 1", id)
	}
}
