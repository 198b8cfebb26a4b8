package game_test

// Hub tests need running room loops (the hub starts them). They use a
// high tick rate and small idle timeouts, and wait on conditions with
// generous timeouts; they never assert timing.

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skirmishgg/skirmish/game"
	"github.com/skirmishgg/skirmish/game/arena"
	"github.com/skirmishgg/skirmish/game/movers"
)

// newHub returns a hub of movers (capacity moversCap, the default mode) and
// arena (capacity 4), closed at the end of the test.
func newHub(t *testing.T, moversCap int, idle time.Duration) *game.Hub {
	t.Helper()
	h := game.NewHub(game.HubConfig{
		Modes: map[string]game.ModeSpec{
			movers.Name: {New: movers.New, Capacity: moversCap},
			arena.Name:  {New: arena.New, Capacity: 4},
		},
		DefaultMode: movers.Name,
		TickRate:    game.MaxTickRate,
		IdleTimeout: idle,
		NewLink:     func() game.Link { return discard{} },
		Logger:      quietLogger(),
	})
	t.Cleanup(h.Close)
	return h
}

type hubJoin struct {
	room *game.Room
	id   uint32
	peer *fakePeer
}

// leave leaves the room as the player's connection.
func (j hubJoin) leave() { j.room.Leave(j.id, j.peer) }

func mustHubJoin(t *testing.T, h *game.Hub, mode, roomID string) hubJoin {
	t.Helper()
	p := &fakePeer{name: "p"}
	r, id, err := h.JoinWith(p, game.JoinRequest{Name: "p", Mode: mode, Room: roomID})
	if err != nil {
		t.Fatalf("Join(mode %q, room %q): %v", mode, roomID, err)
	}
	if r == nil || id == 0 {
		t.Fatalf("Join(mode %q, room %q) = %v, %d", mode, roomID, r, id)
	}
	return hubJoin{r, id, p}
}

func TestHubQuickMatchFillsRoomsInTurn(t *testing.T) {
	h := newHub(t, 3, time.Minute)
	var js []hubJoin
	for range 7 {
		js = append(js, mustHubJoin(t, h, movers.Name, ""))
	}
	first, second, third := js[0].room, js[3].room, js[6].room
	for i, j := range js {
		want := []*game.Room{first, first, first, second, second, second, third}[i]
		if j.room != want {
			t.Errorf("join %d went to room %q, want %q", i, j.room.ID(), want.ID())
		}
	}
	if first == second || second == third || first == third {
		t.Fatalf("rooms not distinct: %q %q %q", first.ID(), second.ID(), third.ID())
	}
	for _, r := range []*game.Room{first, second, third} {
		if r.ModeName() != movers.Name || r.Capacity() != 3 || r.TickRate() != game.MaxTickRate {
			t.Errorf("room %q: mode %q capacity %d tick rate %d", r.ID(), r.ModeName(), r.Capacity(), r.TickRate())
		}
		if len(r.ID()) != game.RoomCodeLen {
			t.Errorf("quick-match room code %q, want %d characters", r.ID(), game.RoomCodeLen)
		}
	}
	if got := first.Stats().Players + second.Stats().Players + third.Stats().Players; got != 7 {
		t.Errorf("%d players in the rooms, want 7", got)
	}

	// Another mode never shares a room with movers.
	a := mustHubJoin(t, h, arena.Name, "")
	if a.room.ModeName() != arena.Name || a.room == first || a.room == second || a.room == third {
		t.Errorf("arena quick-match went to room %q running %q", a.room.ID(), a.room.ModeName())
	}
	// An empty mode means the default mode.
	d := mustHubJoin(t, h, "", "")
	if d.room != third {
		t.Errorf("default-mode quick-match went to %q, want the movers room with space %q", d.room.ID(), third.ID())
	}
	if s := h.Stats(); s.Rooms != 4 || s.Players != 9 {
		t.Errorf("Stats() = %+v, want 4 rooms and 9 players", s)
	}

	// A place freed in the first room: quick-match prefers the fullest room
	// with space (first: 2/3) over the emptier one (third: 1/3).
	js[0].leave()
	js[6].leave()
	if j := mustHubJoin(t, h, movers.Name, ""); j.room != first {
		t.Errorf("join went to %q (%d players), want the fullest room with space %q",
			j.room.ID(), j.room.Stats().Players, first.ID())
	}
}

func TestHubNamedRooms(t *testing.T) {
	h := newHub(t, 3, time.Minute)
	a := mustHubJoin(t, h, arena.Name, "Lobby_1")
	if a.room.ID() != "Lobby_1" || a.room.ModeName() != arena.Name {
		t.Fatalf("named join got room %q running %q", a.room.ID(), a.room.ModeName())
	}
	// Reused, with or without naming the mode.
	b := mustHubJoin(t, h, arena.Name, "Lobby_1")
	c := mustHubJoin(t, h, "", "Lobby_1")
	if b.room != a.room || c.room != a.room {
		t.Fatalf("named room not reused: %p %p %p", a.room, b.room, c.room)
	}
	if a.id == b.id || b.id == c.id {
		t.Errorf("players of one room share ids: %d %d %d", a.id, b.id, c.id)
	}
	// Another mode for an existing room is refused.
	if _, _, err := h.JoinWith(&fakePeer{}, game.JoinRequest{Name: "x", Mode: movers.Name, Room: "Lobby_1"}); !errors.Is(err, game.ErrModeMismatch) {
		t.Errorf("Join with another mode: err %v, want ErrModeMismatch", err)
	}
	// A named room is private: quick-match of arena does not fill it even
	// though it has space.
	q := mustHubJoin(t, h, arena.Name, "")
	if q.room == a.room {
		t.Error("quick-match joined a named room")
	}
	// Capacity still holds for named rooms (arena: 4).
	mustHubJoin(t, h, "", "Lobby_1")
	if _, _, err := h.JoinWith(&fakePeer{}, game.JoinRequest{Name: "x", Room: "Lobby_1"}); !errors.Is(err, game.ErrRoomFull) {
		t.Errorf("fifth join of a 4-player named room: err %v, want ErrRoomFull", err)
	}
	// A named room created without a mode runs the default mode.
	d := mustHubJoin(t, h, "", "default-mode")
	if d.room.ModeName() != movers.Name {
		t.Errorf("room created without a mode runs %q, want the default %q", d.room.ModeName(), movers.Name)
	}
	if s := h.Stats(); s.Rooms != 3 || s.Players != 6 {
		t.Errorf("Stats() = %+v, want 3 rooms, 6 players", s)
	}
}

func TestHubRefusesBadRequests(t *testing.T) {
	h := newHub(t, 3, time.Minute)
	for _, mode := range []string{"chess", "Movers", " movers"} {
		if _, _, err := h.JoinWith(&fakePeer{}, game.JoinRequest{Name: "x", Mode: mode}); !errors.Is(err, game.ErrUnknownMode) {
			t.Errorf("quick-match mode %q: err %v, want ErrUnknownMode", mode, err)
		}
		if _, _, err := h.JoinWith(&fakePeer{}, game.JoinRequest{Name: "x", Mode: mode, Room: "room"}); !errors.Is(err, game.ErrUnknownMode) {
			t.Errorf("named room with mode %q: err %v, want ErrUnknownMode", mode, err)
		}
	}
	bad := []string{
		strings.Repeat("a", 33), "with space", "semi;colon", "dot.ted", "a/b", "ünïcode", "tab\t", "nul\x00", "%41",
	}
	for _, id := range bad {
		if _, _, err := h.JoinWith(&fakePeer{}, game.JoinRequest{Name: "x", Mode: movers.Name, Room: id}); !errors.Is(err, game.ErrBadRoomID) {
			t.Errorf("room id %q: err %v, want ErrBadRoomID", id, err)
		}
	}
	if s := h.Stats(); s.Rooms != 0 || s.Players != 0 {
		t.Errorf("refused joins left %+v", s)
	}
	for _, id := range []string{strings.Repeat("Z", 32), "a", "A-z_09"} {
		mustHubJoin(t, h, movers.Name, id)
	}
}

func TestHubCloseStopsRooms(t *testing.T) {
	h := newHub(t, 2, 50*time.Millisecond)
	var rooms []*game.Room
	peer := &fakePeer{name: "watch"}
	r, _, err := h.JoinWith(peer, game.JoinRequest{Name: "watch", Mode: arena.Name})
	if err != nil {
		t.Fatal(err)
	}
	rooms = append(rooms, r)
	for _, room := range []string{"", "", "", "named"} {
		rooms = append(rooms, mustHubJoin(t, h, movers.Name, room).room)
	}
	// The loops run: the first player gets its Welcome and Roster.
	waitFor(t, "Welcome from a hub room", func() bool { return peer.count() >= 2 })
	if s := h.Stats(); s.Rooms != 4 || s.Players != 5 {
		t.Fatalf("Stats() = %+v, want 4 rooms, 5 players", s)
	}

	h.Close()
	for _, r := range rooms {
		select {
		case <-r.Done():
		default:
			t.Errorf("room %q still running after Hub.Close returned", r.ID())
		}
		if _, err := r.Join(&fakePeer{}, "late"); !errors.Is(err, game.ErrRoomClosed) {
			t.Errorf("Join of room %q after Hub.Close: err %v, want ErrRoomClosed", r.ID(), err)
		}
	}
	if s := h.Stats(); s.Rooms != 0 {
		t.Errorf("Stats().Rooms = %d after Close, want 0", s.Rooms)
	}
	for _, room := range []string{"", "named", "fresh"} {
		if _, _, err := h.JoinWith(&fakePeer{}, game.JoinRequest{Name: "late", Mode: movers.Name, Room: room}); !errors.Is(err, game.ErrHubClosed) {
			t.Errorf("Join(room %q) after Close: err %v, want ErrHubClosed", room, err)
		}
	}
	h.Close() // twice is harmless
}

func TestHubIdleRoomCloses(t *testing.T) {
	h := newHub(t, 3, 20*time.Millisecond)
	idle := mustHubJoin(t, h, movers.Name, "idle")
	busy := mustHubJoin(t, h, movers.Name, "busy")
	if s := h.Stats(); s.Rooms != 2 {
		t.Fatalf("Stats().Rooms = %d, want 2", s.Rooms)
	}
	idle.leave()

	waitFor(t, "the empty room to close and leave Stats", func() bool { return h.Stats().Rooms == 1 })
	select {
	case <-idle.room.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the empty room's loop did not end")
	}
	if _, err := idle.room.Join(&fakePeer{}, "late"); !errors.Is(err, game.ErrRoomClosed) {
		t.Errorf("Join of the idle-closed room: err %v, want ErrRoomClosed", err)
	}
	// The occupied room is untouched, however long the empty one took.
	select {
	case <-busy.room.Done():
		t.Fatal("a room with a player closed as idle")
	default:
	}
	if s := h.Stats(); s.Players != 1 {
		t.Errorf("Stats().Players = %d, want 1", s.Players)
	}

	// The name is free again: joining it opens a new room.
	again := mustHubJoin(t, h, arena.Name, "idle")
	if again.room == idle.room || again.room.ModeName() != arena.Name {
		t.Errorf("rejoining a closed room's name got room %p (%q), want a new arena room", again.room, again.room.ModeName())
	}
}

// TestHubQuickMatchConcurrentJoins: quick-match must never answer "room is
// full" — its contract is to open another room when all are full. Many
// players quick-joining at once must all get a place, and no room may hold
// more than its capacity.
func TestHubQuickMatchConcurrentJoins(t *testing.T) {
	const players = 64
	for round := range 20 {
		h := newHub(t, 2, time.Minute)
		var (
			wg    sync.WaitGroup
			start = make(chan struct{})
			mu    sync.Mutex
			errs  []error
			rooms = map[*game.Room]int{}
		)
		for range players {
			wg.Go(func() {
				<-start
				r, _, err := h.JoinWith(&fakePeer{}, game.JoinRequest{Name: "p", Mode: movers.Name})
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
					return
				}
				rooms[r]++
			})
		}
		close(start)
		wg.Wait()
		if len(errs) > 0 {
			t.Fatalf("round %d: %d of %d concurrent quick-match joins failed, first: %v", round, len(errs), players, errs[0])
		}
		for r, n := range rooms {
			if n > r.Capacity() {
				t.Fatalf("round %d: room %q got %d players, capacity %d", round, r.ID(), n, r.Capacity())
			}
		}
		h.Close()
	}
}

// TestHubJoinReplacesClosedRoom: a named room that has closed (idle or
// Close) but whose OnClose has not yet removed it from the hub must not
// make joins fail; JoinWith's retry is meant for exactly that window.
func TestHubJoinReplacesClosedRoom(t *testing.T) {
	h := newHub(t, 3, time.Minute)
	stale := game.NewRoom(game.RoomConfig{ID: "window", Mode: movers.New, Link: discard{}, Logger: quietLogger()})
	go stale.Run()
	stale.Close() // closed; its OnClose (here: none) has not removed it
	game.InsertRoomForTest(h, stale)

	r, _, err := h.JoinWith(&fakePeer{}, game.JoinRequest{Name: "p", Mode: movers.Name, Room: "window"})
	if err != nil {
		t.Fatalf("Join of a room name whose room just closed: %v (want a fresh room)", err)
	}
	if r == stale || r.ID() != "window" {
		t.Errorf("joined room %p %q, want a new room named window", r, r.ID())
	}
}

func TestHubPrivateRoomsAndListing(t *testing.T) {
	hub := game.NewHub(game.HubConfig{
		Modes:       map[string]game.ModeSpec{movers.Name: {New: movers.New, Capacity: 8}},
		DefaultMode: movers.Name,
		NewLink:     func() game.Link { return &recLink{} },
		Logger:      quietLogger(),
	})
	defer hub.Close()
	pub, _, err := hub.JoinWith(&fakePeer{}, game.JoinRequest{Name: "a"})
	if err != nil {
		t.Fatal(err)
	}
	priv, _, err := hub.JoinWith(&fakePeer{}, game.JoinRequest{Name: "b", Private: true, Capacity: 4, TickRate: 10})
	if err != nil {
		t.Fatal(err)
	}
	if priv == pub || len(priv.ID()) != game.RoomCodeLen || priv.Capacity() != 4 || priv.TickRate() != 10 {
		t.Fatalf("private room %q capacity %d tick rate %d", priv.ID(), priv.Capacity(), priv.TickRate())
	}
	// Quick-match never lands in the private room; its code does.
	if r, _, _ := hub.JoinWith(&fakePeer{}, game.JoinRequest{Name: "c"}); r != pub {
		t.Fatal("quick-match joined another room than the public one")
	}
	if r, _, _ := hub.JoinWith(&fakePeer{}, game.JoinRequest{Name: "d", Room: priv.ID()}); r != priv {
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

// TestHubRoomCodesCarryFiftyBits: the code of a private room is all that
// keeps strangers out. Codes have RoomCodeLen symbols of a 32-symbol
// alphabet without look-alikes (50 bits), and every symbol is used.
func TestHubRoomCodesCarryFiftyBits(t *testing.T) {
	const alphabet = "0123456789abcdefghjkmnpqrstvwxyz" // Crockford base32, lower case
	if bits := 5 * game.RoomCodeLen; bits < 50 {
		t.Fatalf("room codes carry %d bits, want at least 50", bits)
	}
	h := newHub(t, 2, time.Minute)
	seen := map[rune]int{}
	codes := map[string]bool{}
	for range 200 {
		r, _, err := h.JoinWith(&fakePeer{}, game.JoinRequest{Name: "p", Private: true})
		if err != nil {
			t.Fatal(err)
		}
		code := r.ID()
		if len(code) != game.RoomCodeLen || codes[code] {
			t.Fatalf("code %q: want %d symbols, never repeated", code, game.RoomCodeLen)
		}
		codes[code] = true
		for _, c := range code {
			if !strings.ContainsRune(alphabet, c) {
				t.Fatalf("code %q has %q, outside the alphabet %q", code, c, alphabet)
			}
			seen[c]++
		}
	}
	// 2,000 symbols drawn: each of the 32 shows up about 62 times; one
	// missing means the draw never reaches part of the alphabet.
	if len(seen) != len(alphabet) {
		t.Fatalf("codes use %d distinct symbols, want all %d: %v", len(seen), len(alphabet), seen)
	}
}
