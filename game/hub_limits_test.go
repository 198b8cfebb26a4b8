package game_test

// Tests of what keeps rooms scarce: the room limits in total and per
// owner, idle rooms that close, empty rooms that sleep, quick-match that
// ignores the client's room shape, and quiet logs.

import (
	"bytes"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/skirmishgg/skirmish/game"
	"github.com/skirmishgg/skirmish/game/movers"
)

func limitedHub(t *testing.T, cfg game.HubConfig) *game.Hub {
	t.Helper()
	cfg.Modes = map[string]game.ModeSpec{movers.Name: {New: movers.New, Capacity: 4}}
	cfg.DefaultMode = movers.Name
	cfg.NewLink = func() game.Link { return discard{} }
	if cfg.Logger == nil {
		cfg.Logger = quietLogger()
	}
	h := game.NewHub(cfg)
	t.Cleanup(h.Close)
	return h
}

func TestHubMaxRooms(t *testing.T) {
	h := limitedHub(t, game.HubConfig{MaxRooms: 3, IdleTimeout: time.Minute})
	rooms := []*game.Room{
		mustHubJoin(t, h, "", "").room,
		mustHubJoin(t, h, "", "named").room,
	}
	r, _, err := h.JoinWith(&fakePeer{}, game.JoinRequest{Name: "p", Private: true})
	if err != nil {
		t.Fatal(err)
	}
	rooms = append(rooms, r)
	// The fourth room of any kind is refused, and makes no goroutine.
	for _, req := range []game.JoinRequest{{Private: true}, {Room: "another"}} {
		if _, _, err := h.JoinWith(&fakePeer{}, req); !errors.Is(err, game.ErrTooManyRooms) {
			t.Fatalf("join %+v past MaxRooms: err %v, want ErrTooManyRooms", req, err)
		}
	}
	// Existing rooms still take players, quick-match included (the public
	// room has space).
	if j := mustHubJoin(t, h, "", "named"); j.room != rooms[1] {
		t.Fatal("join of an existing named room went elsewhere")
	}
	if j := mustHubJoin(t, h, "", ""); j.room != rooms[0] {
		t.Fatal("quick-match did not join the public room with space")
	}
	if s := h.Stats(); s.Rooms != 3 || s.RoomsOpened != 3 || s.RoomsRefused != 2 {
		t.Fatalf("Stats() = %+v, want 3 rooms, 3 opened, 2 refused", s)
	}
	// A closed room frees its place.
	rooms[2].Close()
	waitFor(t, "the closed room to leave the hub", func() bool { return h.Stats().RoomsClosed == 1 })
	if _, _, err := h.JoinWith(&fakePeer{}, game.JoinRequest{Room: "another"}); err != nil {
		t.Fatalf("join after a room closed: %v", err)
	}
}

func TestHubMaxRoomsPerOwner(t *testing.T) {
	h := limitedHub(t, game.HubConfig{MaxRoomsPerOwner: 2, IdleTimeout: time.Minute})
	open := func(owner string) (*game.Room, error) {
		r, _, err := h.JoinWith(&fakePeer{}, game.JoinRequest{Name: "p", Private: true, Owner: owner})
		return r, err
	}
	first, err := open("192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := open("192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	if _, err := open("192.0.2.1"); !errors.Is(err, game.ErrTooManyRooms) {
		t.Fatalf("third room of one owner: %v, want ErrTooManyRooms", err)
	}
	// A named room counts too; joining an existing room does not.
	if _, _, err := h.JoinWith(&fakePeer{}, game.JoinRequest{Room: "mine", Owner: "192.0.2.1"}); !errors.Is(err, game.ErrTooManyRooms) {
		t.Fatalf("named room past the owner's limit: %v", err)
	}
	if _, _, err := h.JoinWith(&fakePeer{}, game.JoinRequest{Room: first.ID(), Owner: "192.0.2.1"}); err != nil {
		t.Fatalf("joining an existing room at the owner's limit: %v", err)
	}
	// Other owners, and requests without an owner, are not affected.
	if _, err := open("2001:db8::/64"); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := open(""); err != nil {
			t.Fatalf("a request without an owner: %v", err)
		}
	}
	// A room of the owner that closes gives the place back.
	first.Close()
	waitFor(t, "the closed room to leave the hub", func() bool { return h.Stats().RoomsClosed == 1 })
	if _, err := open("192.0.2.1"); err != nil {
		t.Fatalf("owner's room after one closed: %v", err)
	}
}

// TestHubQuickMatchIgnoresRoomShape: public rooms have the mode's shape,
// whatever the client that happened to open one asked for.
func TestHubQuickMatchIgnoresRoomShape(t *testing.T) {
	h := limitedHub(t, game.HubConfig{TickRate: 20})
	r, _, err := h.JoinWith(&fakePeer{}, game.JoinRequest{Name: "p", Capacity: 1, TickRate: 1})
	if err != nil {
		t.Fatalf("quick-match with a shape: %v", err)
	}
	if r.Capacity() != 4 || r.TickRate() != 20 {
		t.Fatalf("public room capacity %d tick rate %d, want the mode's 4 and the hub's 20", r.Capacity(), r.TickRate())
	}
	// Even a shape that a private room may not have is ignored.
	if _, _, err := h.JoinWith(&fakePeer{}, game.JoinRequest{Name: "q", Capacity: 99, TickRate: 999}); err != nil {
		t.Fatalf("quick-match with an impossible shape: %v", err)
	}
	p, _, err := h.JoinWith(&fakePeer{}, game.JoinRequest{Name: "p", Private: true, Capacity: 2, TickRate: 10})
	if err != nil {
		t.Fatal(err)
	}
	if p.Capacity() != 2 || p.TickRate() != 10 {
		t.Fatalf("private room capacity %d tick rate %d, want the asked 2 and 10", p.Capacity(), p.TickRate())
	}
}

// TestHubUnlistedRoomsCloseSoonPublicOnesLinger: a private or named room
// that nobody joined, or that emptied, closes after IdleTimeout; a public
// room after the longer PublicIdleTimeout.
func TestHubUnlistedRoomsCloseSoonPublicOnesLinger(t *testing.T) {
	h := limitedHub(t, game.HubConfig{IdleTimeout: 20 * time.Millisecond, PublicIdleTimeout: time.Hour})
	pub := mustHubJoin(t, h, "", "")
	named := mustHubJoin(t, h, "", "named")
	// The public room empties first: its idle time starts before theirs.
	pub.leave()
	waitFor(t, "the public room to fall asleep", func() bool { return game.AsleepForTest(pub.room) })
	// Nobody joined this one: its only player left before the first tick
	// (or right after).
	p := &fakePeer{}
	never, id, err := h.JoinWith(p, game.JoinRequest{Private: true})
	if err != nil {
		t.Fatal(err)
	}
	never.Leave(id, p)
	named.leave()
	for _, r := range []*game.Room{never, named.room} {
		select {
		case <-r.Done():
		case <-time.After(10 * time.Second):
			t.Fatalf("empty unlisted room %q still open", r.ID())
		}
	}
	select {
	case <-pub.room.Done():
		t.Fatal("the empty public room closed with the unlisted ones")
	default:
	}
	if s := h.Stats(); s.Rooms != 1 || s.RoomsClosed != 2 {
		t.Fatalf("Stats() = %+v, want the public room left and 2 closed", s)
	}
}

// TestRoomSleepsWhileEmpty: an empty room does not tick, and counts
// nothing while it sleeps; a join wakes it at once.
func TestRoomSleepsWhileEmpty(t *testing.T) {
	newRunning := func(id string) *game.Room {
		r := game.NewRoom(game.RoomConfig{ID: id, Mode: movers.New, TickRate: game.MaxTickRate, Link: discard{}, Logger: quietLogger()})
		go r.Run()
		t.Cleanup(r.Close)
		return r
	}
	sleeper, clock := newRunning("sleeper"), newRunning("clock")
	if _, err := clock.Join(&fakePeer{}, "c"); err != nil {
		t.Fatal(err)
	}
	p := &fakePeer{name: "a"}
	id, err := sleeper.Join(p, "a")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Welcome", func() bool { return p.count() >= 1 })
	sleeper.Leave(id, p)
	waitFor(t, "the emptied room to fall asleep", func() bool { return game.AsleepForTest(sleeper) })
	before := sleeper.Stats()

	// While the other room runs 60 ticks, the empty one runs none.
	start := clock.Tick()
	waitFor(t, "60 ticks of the other room", func() bool { return clock.Tick() >= start+60 })
	if after := sleeper.Stats(); after != before || !game.AsleepForTest(sleeper) {
		t.Fatalf("the empty room moved while asleep: %+v, then %+v", before, after)
	}

	// A join wakes it, on a fresh schedule: the ticks it slept through are
	// neither run nor counted as overrun or skipped.
	q := &fakePeer{name: "b"}
	if _, err := sleeper.Join(q, "b"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Welcome after waking", func() bool { return q.count() >= 1 })
	if s := sleeper.Stats(); s.Skipped+s.Overruns >= 30 {
		t.Fatalf("waking counted the sleep as lateness: %+v", s)
	}
}

// TestHubRoomLogsAreDebug: any client can open and close rooms, so the
// hub says nothing about them at Info (HubStats counts them).
func TestHubRoomLogsAreDebug(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	h := limitedHub(t, game.HubConfig{IdleTimeout: time.Millisecond, Logger: log})
	for range 5 {
		p := &fakePeer{}
		r, id, err := h.JoinWith(p, game.JoinRequest{Private: true})
		if err != nil {
			t.Fatal(err)
		}
		r.Leave(id, p)
	}
	waitFor(t, "the rooms to close", func() bool { return h.Stats().RoomsClosed == 5 })
	h.Close()
	if buf.Len() != 0 {
		t.Fatalf("rooms opening and closing logged at Info:\n%s", buf.String())
	}
}
