package game_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/skirmishgg/skirmish/game"
	"github.com/skirmishgg/skirmish/game/movers"
	skirmishv1 "github.com/skirmishgg/skirmish/proto/skirmish/v1"
	"github.com/skirmishgg/skirmish/proto/wire"
)

// plainTokens is a SessionIssuer whose tokens are readable, for tests.
type plainTokens struct{}

func (plainTokens) Issue(room string, player, gen uint32) string {
	return fmt.Sprintf("%s/%d/%d", room, player, gen)
}

func welcomeOf(t *testing.T, msgs []*skirmishv1.ServerMessage) *skirmishv1.Welcome {
	t.Helper()
	for _, m := range msgs {
		if w := m.GetWelcome(); w != nil {
			return w
		}
	}
	t.Fatalf("no Welcome among %v", msgs)
	return nil
}

func hasRoster(msgs []*skirmishv1.ServerMessage) bool {
	return slices.ContainsFunc(msgs, func(m *skirmishv1.ServerMessage) bool { return m.GetRoster() != nil })
}

func TestResumeKeepsThePlayer(t *testing.T) {
	r := newRoom(t, movers.New, game.RoomConfig{ID: "r", Sessions: plainTokens{}, ResumeGrace: time.Second, TickRate: 30})
	alice, bob := &fakePeer{name: "alice"}, &fakePeer{name: "bob"}
	id := r.join(t, alice)
	r.join(t, bob)
	r.Step()
	w := welcomeOf(t, alice.take(t))
	if w.SessionToken != "r/"+fmt.Sprint(id)+"/0" || w.ResumeGraceMs != 1000 {
		t.Fatalf("welcome token %q grace %d", w.SessionToken, w.ResumeGraceMs)
	}
	bob.take(t)
	for seq := uint32(1); seq <= 10; seq++ {
		r.Input(id, wire.Input{Seq: seq, DX: 1})
		r.Step()
	}
	before := mustEntity(t, r.entities(), id)

	// Alice's connection drops: her entity stays, bob sees no roster change.
	r.Disconnect(id, alice)
	for range 5 {
		r.Step()
	}
	if _, ok := entityByID(r.entities(), id); !ok {
		t.Fatal("player removed during the grace period")
	}
	// It stands still while away, though its last input said move.
	x0 := mustEntity(t, r.entities(), id).X
	r.Step()
	if e := mustEntity(t, r.entities(), id); e.X != x0 || e.VX != 0 {
		t.Fatalf("away player still moving: x %d -> %d, vx %d", x0, e.X, e.VX)
	}
	if msgs := bob.take(t); hasRoster(msgs) {
		t.Fatal("bob saw a roster change when alice dropped")
	}
	if n := alice.count(); n != 0 {
		t.Fatalf("away player still got %d messages", n)
	}

	// She resumes on a new connection with her token's generation, while
	// an input of the old connection, acknowledging a tick the new one
	// never received, is still queued.
	alice2 := &fakePeer{name: "alice2"}
	if err := r.Resume(id, 0, alice2); err != nil {
		t.Fatal(err)
	}
	r.Input(id, wire.Input{Seq: 11, AckTick: r.Tick() - 1})
	r.bc.take()
	r.Step()
	for _, c := range r.bc.take() {
		if slices.ContainsFunc(c.to, func(rc game.Receiver) bool { return rc.Peer == alice2 }) {
			if base := decode(t, c.msg).GetSnapshot().BaseTick; base != 0 {
				t.Fatalf("first snapshot after the resume is a delta against tick %d of the old connection", base)
			}
		}
	}
	w = welcomeOf(t, alice2.take(t))
	if w.PlayerId != id || !w.Resumed || w.SessionToken != "r/"+fmt.Sprint(id)+"/1" || w.InputSeq != 10 {
		t.Fatalf("resumed welcome %v", w)
	}
	after := mustEntity(t, r.entities(), id)
	if after.Score < before.Score || after.X < before.X {
		t.Fatalf("resumed entity %+v, before the drop %+v", after, before)
	}
	if msgs := bob.take(t); hasRoster(msgs) {
		t.Fatal("bob saw a roster change when alice resumed")
	}
	// The used token cannot resume again.
	if err := r.Resume(id, 0, &fakePeer{}); !errors.Is(err, game.ErrSessionReplayed) {
		t.Fatalf("replayed token: %v, want ErrSessionReplayed", err)
	}
	// A stale disconnect from the old connection changes nothing.
	r.bc.take()
	r.Disconnect(id, alice)
	r.Step()
	got := false
	for _, c := range r.bc.take() {
		got = got || slices.ContainsFunc(c.to, func(rc game.Receiver) bool { return rc.Peer == alice2 })
	}
	if !got {
		t.Fatal("resumed player stopped receiving snapshots after a stale disconnect")
	}
}

func TestResumeTakesOverALiveConnection(t *testing.T) {
	r := newRoom(t, movers.New, game.RoomConfig{ID: "r", Sessions: plainTokens{}})
	old := &fakePeer{name: "old"}
	id := r.join(t, old)
	r.Step()
	fresh := &fakePeer{name: "fresh"}
	if err := r.Resume(id, 0, fresh); err != nil {
		t.Fatal(err)
	}
	r.Step()
	if got := old.drops(); !slices.Equal(got, []game.DropReason{game.DropTakenOver}) {
		t.Fatalf("old connection drops %v, want [DropTakenOver]", got)
	}
	if welcomeOf(t, fresh.take(t)).PlayerId != id {
		t.Fatal("fresh connection did not get the player")
	}
}

func TestAwayPlayerLeavesAfterGrace(t *testing.T) {
	r := newRoom(t, movers.New, game.RoomConfig{ID: "r", Sessions: plainTokens{}, ResumeGrace: 100 * time.Millisecond, TickRate: 30})
	alice, bob := &fakePeer{name: "alice"}, &fakePeer{name: "bob"}
	id := r.join(t, alice)
	r.join(t, bob)
	r.Step()
	r.Disconnect(id, alice)
	for range 6 { // 100 ms at 30 Hz is 3 ticks; the removal applies a tick later
		r.Step()
	}
	if _, ok := entityByID(r.entities(), id); ok {
		t.Fatal("player still in the world after the grace period")
	}
	if !hasRoster(bob.take(t)) {
		t.Fatal("bob was not told that alice left")
	}
	if err := r.Resume(id, 0, &fakePeer{}); !errors.Is(err, game.ErrSessionGone) {
		t.Fatalf("resume after grace: %v, want ErrSessionGone", err)
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

// panicMode fails at a chosen tick, like a buggy mode.
type panicMode struct {
	game.Mode
	steps, at int
}

func (m *panicMode) Step(dt float64) {
	m.steps++
	if m.steps == m.at {
		panic("mode bug")
	}
	m.Mode.Step(dt)
}

func TestRoomPanicEndsOnlyThatRoom(t *testing.T) {
	hub := game.NewHub(game.HubConfig{
		Modes: map[string]game.ModeSpec{
			"buggy":     {New: func(c game.ModeConfig) game.Mode { return &panicMode{Mode: movers.New(c), at: 5} }},
			movers.Name: {New: movers.New},
		},
		TickRate:    60,
		Broadcaster: &recBroadcaster{},
		Logger:      quietLogger(),
	})
	defer hub.Close()
	victim, bystander := &fakePeer{name: "v"}, &fakePeer{name: "b"}
	if _, _, err := hub.Join(victim, "v", "buggy", "bad"); err != nil {
		t.Fatal(err)
	}
	good, _, err := hub.Join(bystander, "b", movers.Name, "good")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(victim.drops()) == 0 || hub.Stats().RoomsFailed == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("victim drops %v, rooms failed %d", victim.drops(), hub.Stats().RoomsFailed)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got := victim.drops(); !slices.Equal(got, []game.DropReason{game.DropRoomFailed}) {
		t.Fatalf("victim drops %v", got)
	}
	if len(bystander.drops()) != 0 {
		t.Fatal("the other room's player was dropped")
	}
	before := good.Tick()
	for good.Tick() < before+3 {
		if time.Now().After(deadline) {
			t.Fatal("the other room stopped ticking")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, _, err := hub.Join(&fakePeer{}, "x", "buggy", "bad"); err != nil && !strings.Contains(err.Error(), "closed") {
		t.Fatalf("joining the failed room's name again: %v", err)
	}
}

func TestHubPrivateRoomsAndListing(t *testing.T) {
	hub := game.NewHub(game.HubConfig{
		Modes:       map[string]game.ModeSpec{movers.Name: {New: movers.New, Capacity: 8}},
		DefaultMode: movers.Name,
		Broadcaster: &recBroadcaster{},
		Logger:      quietLogger(),
	})
	defer hub.Close()
	pub, _, err := hub.Join(&fakePeer{}, "a", "", "")
	if err != nil {
		t.Fatal(err)
	}
	priv, _, err := hub.JoinWith(&fakePeer{}, game.JoinRequest{Name: "b", Private: true, Capacity: 4, TickRate: 10})
	if err != nil {
		t.Fatal(err)
	}
	if priv == pub || len(priv.ID()) != 6 || priv.Capacity() != 4 || priv.TickRate() != 10 {
		t.Fatalf("private room %q capacity %d tick rate %d", priv.ID(), priv.Capacity(), priv.TickRate())
	}
	// Quick-match never lands in the private room; its code does.
	if r, _, _ := hub.Join(&fakePeer{}, "c", "", ""); r != pub {
		t.Fatal("quick-match joined another room than the public one")
	}
	if r, _, _ := hub.Join(&fakePeer{}, "d", "", priv.ID()); r != priv {
		t.Fatal("the private code did not lead to the private room")
	}
	list := hub.PublicRooms()
	if len(list) != 1 || list[0].ID != pub.ID() || list[0].Players != 2 || list[0].Capacity != 8 || list[0].Mode != movers.Name {
		t.Fatalf("public rooms %+v", list)
	}
	if _, _, err := hub.JoinWith(&fakePeer{}, game.JoinRequest{Private: true, Capacity: 9}); !errors.Is(err, game.ErrBadRoomShape) {
		t.Fatalf("capacity over the mode's: %v", err)
	}
}
