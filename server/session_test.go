package server_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/skirmishgg/skirmish/game"
	skirmishv1 "github.com/skirmishgg/skirmish/proto/skirmish/v1"
	"github.com/skirmishgg/skirmish/proto/wire"
	"github.com/skirmishgg/skirmish/server"
)

func TestResumeAfterDroppedConnection(t *testing.T) {
	ts := startServer(t, server.Config{})
	alice, bob := dial(t, ts.addr), dial(t, ts.addr)
	alice.hello()
	bob.hello()
	w := alice.join("alice", "movers", "resume")
	bob.join("bob", "movers", "resume")
	if w.SessionToken == "" || w.ResumeGraceMs != uint32(game.DefaultResumeGrace.Milliseconds()) {
		t.Fatalf("welcome without a session: %v", w)
	}
	for seq := uint32(1); seq <= 20; seq++ {
		alice.input(seq, 1, 1)
	}
	alice.until(5*time.Second, "inputs applied", func(m *skirmishv1.ServerMessage) bool { return m.InputAck == 20 })
	// Wi-Fi drops: the socket dies without a close frame.
	alice.conn.Close()

	again := dial(t, ts.addr)
	again.hello()
	m := again.joinWith(&skirmishv1.Join{ResumeToken: w.SessionToken})
	w2 := m.GetWelcome()
	if w2 == nil || w2.PlayerId != w.PlayerId || !w2.Resumed || w2.SessionToken == w.SessionToken {
		t.Fatalf("resume answered %v", m)
	}
	// Bob saw neither a leave nor a join: no roster change reaches him up
	// to a snapshot a few ticks after the resume, and his connection works
	// all along.
	bob.until(5*time.Second, "a snapshot after the resume", func(m *skirmishv1.ServerMessage) bool {
		if r := m.GetRoster(); r != nil && len(r.Players) != 2 {
			t.Fatalf("bob saw roster %v", r)
		}
		if u := m.GetRosterUpdate(); u != nil {
			t.Fatalf("bob saw a roster update %v", u)
		}
		return m.GetSnapshot().GetTick() > w2.Tick+3
	})
	// The player's state survived: the resumed connection's snapshots
	// include the same entity with its score.
	s := again.until(5*time.Second, "snapshot", func(m *skirmishv1.ServerMessage) bool { return m.GetSnapshot() != nil }).GetSnapshot()
	if s.BaseTick != 0 {
		t.Fatalf("first snapshot after resume is a delta against %d", s.BaseTick)
	}
	world, err := wire.ApplySnapshot(nil, nil, s, game.DefaultTickRate)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range world {
		if e.ID == w.PlayerId {
			found = true
			if e.Score == 0 {
				t.Fatalf("resumed entity lost its score: %+v", e)
			}
		}
	}
	if !found {
		t.Fatal("resumed player's entity is gone")
	}

	// The old token is spent; a forged one is refused.
	for name, tok := range map[string]string{"replayed": w.SessionToken, "forged": w.SessionToken[:len(w.SessionToken)-2] + "AA"} {
		c := dial(t, ts.addr)
		c.hello()
		e := c.joinWith(&skirmishv1.Join{ResumeToken: tok}).GetError()
		if e == nil || e.Code != skirmishv1.ErrorCode_ERROR_CODE_SESSION_INVALID {
			t.Fatalf("%s token: %v", name, e)
		}
	}
	if st := ts.srv.Stats(); st.Resumes != 1 || st.ResumeErrors != 2 {
		t.Fatalf("stats: resumes %d, resume errors %d", st.Resumes, st.ResumeErrors)
	}
}

func TestResumeTakesOverAndExpires(t *testing.T) {
	ts := startServerWith(t, server.Config{}, game.HubConfig{ResumeGrace: 200 * time.Millisecond})
	a := dial(t, ts.addr)
	a.hello()
	w := a.join("a", "movers", "takeover")
	// Resuming while the first connection still looks alive takes it over.
	b := dial(t, ts.addr)
	b.hello()
	w2 := b.joinWith(&skirmishv1.Join{ResumeToken: w.SessionToken}).GetWelcome()
	if w2 == nil || w2.PlayerId != w.PlayerId {
		t.Fatalf("take-over refused: %v", w2)
	}
	// The old connection is told why, then closed with 4001.
	e := a.until(5*time.Second, "an error", func(m *skirmishv1.ServerMessage) bool { return m.GetError() != nil }).GetError()
	if e.Code != skirmishv1.ErrorCode_ERROR_CODE_SESSION_TAKEN_OVER {
		t.Fatalf("old connection told %v, want ERROR_CODE_SESSION_TAKEN_OVER", e)
	}
	if got := a.closeCode(5 * time.Second); got != server.CloseSessionTakenOver {
		t.Fatalf("old connection closed with %d, want %d", got, server.CloseSessionTakenOver)
	}
	// After the grace period the player is gone: a watcher of the room sees
	// it leave (the grace is counted in ticks), and its token is refused.
	watcher := dial(t, ts.addr)
	watcher.hello()
	if w := watcher.joinWith(&skirmishv1.Join{Room: "takeover", Spectate: true}).GetWelcome(); w == nil {
		t.Fatal("could not watch the room")
	}
	b.conn.Close()
	watcher.until(10*time.Second, "the player to leave after its grace", func(m *skirmishv1.ServerMessage) bool {
		return slices.Contains(m.GetRosterUpdate().GetLeft(), w.PlayerId)
	})
	c := dial(t, ts.addr)
	c.hello()
	e = c.joinWith(&skirmishv1.Join{ResumeToken: w2.SessionToken}).GetError()
	if e == nil || e.Code != skirmishv1.ErrorCode_ERROR_CODE_SESSION_EXPIRED {
		t.Fatalf("resume after the grace period: %v", e)
	}
}

func TestSpectatorGetsSnapshotsButNoInputs(t *testing.T) {
	ts := startServer(t, server.Config{})
	p := dial(t, ts.addr)
	p.hello()
	p.join("p", "movers", "watched")
	s := dial(t, ts.addr)
	s.hello()
	w := s.joinWith(&skirmishv1.Join{Room: "watched", Spectate: true}).GetWelcome()
	if w == nil || !w.Spectator || w.PlayerId != 0 {
		t.Fatalf("spectator welcome %v", w)
	}
	s.until(5*time.Second, "snapshot", func(m *skirmishv1.ServerMessage) bool { return m.GetSnapshot() != nil })
	s.input(1, 1, 0)
	e := s.until(5*time.Second, "error", func(m *skirmishv1.ServerMessage) bool { return m.GetError() != nil }).GetError()
	if e.Code != skirmishv1.ErrorCode_ERROR_CODE_SPECTATOR {
		t.Fatalf("spectator input answered %v", e)
	}
}

func TestRoomsListingAndPrivateRooms(t *testing.T) {
	ts := startServer(t, server.Config{})
	a := dial(t, ts.addr)
	a.hello()
	pub := a.join("a", "movers", "")
	b := dial(t, ts.addr)
	b.hello()
	priv := b.joinWith(&skirmishv1.Join{Mode: "movers", Private: true, Capacity: 4, TickRate: 20}).GetWelcome()
	if priv == nil || len(priv.Room) != game.RoomCodeLen || priv.Capacity != 4 || priv.TickRate != 20 {
		t.Fatalf("private room welcome %v", priv)
	}
	resp, err := http.Get("http://" + ts.addr + "/rooms")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var rooms []game.RoomInfo
	if err := json.NewDecoder(resp.Body).Decode(&rooms); err != nil {
		t.Fatal(err)
	}
	if len(rooms) != 1 || rooms[0].ID != pub.Room || rooms[0].Mode != "movers" || rooms[0].Players != 1 || rooms[0].TickRate != 30 {
		t.Fatalf("GET /rooms = %+v; want only the public room %q", rooms, pub.Room)
	}
	// A friend with the code lands in the private room.
	c := dial(t, ts.addr)
	c.hello()
	if w := c.join("c", "", priv.Room); w.Room != priv.Room {
		t.Fatalf("joined %q, want the private %q", w.Room, priv.Room)
	}
}

func TestRoomPanicClosesItsPlayersOnly(t *testing.T) {
	ts := startServer(t, server.Config{})
	victim, other := dial(t, ts.addr), dial(t, ts.addr)
	victim.hello()
	other.hello()
	victim.join("v", "buggy", "doomed")
	other.join("o", "movers", "fine")
	e := victim.until(5*time.Second, "error", func(m *skirmishv1.ServerMessage) bool { return m.GetError() != nil }).GetError()
	if e.Code != skirmishv1.ErrorCode_ERROR_CODE_ROOM_FAILED {
		t.Fatalf("victim error %v", e)
	}
	if got := victim.closeCode(5 * time.Second); got != ws.StatusInternalServerError {
		t.Fatalf("victim close code %d, want 1011", got)
	}
	t1 := other.until(5*time.Second, "snapshot", func(m *skirmishv1.ServerMessage) bool { return m.GetSnapshot() != nil }).GetSnapshot().Tick
	t2 := other.until(5*time.Second, "snapshot", func(m *skirmishv1.ServerMessage) bool { return m.GetSnapshot() != nil }).GetSnapshot().Tick
	if t2 <= t1 {
		t.Fatal("the other room stopped")
	}
	if st := ts.srv.Stats(); st.RoomsFailed != 1 {
		t.Fatalf("rooms_failed %d, want 1", st.RoomsFailed)
	}
}

// TestTooManyRooms: a join that would open a room past the hub's limit
// answers ERROR_CODE_TOO_MANY_ROOMS and leaves the connection open; joins
// of existing rooms go on.
func TestTooManyRooms(t *testing.T) {
	ts := startServerWith(t, server.Config{}, game.HubConfig{MaxRooms: 1})
	a := dial(t, ts.addr)
	a.hello()
	a.join("a", "movers", "only")
	b := dial(t, ts.addr)
	b.hello()
	for _, j := range []*skirmishv1.Join{{Mode: "movers", Room: "second"}, {Mode: "movers", Private: true}} {
		e := b.joinWith(j).GetError()
		if e == nil || e.Code != skirmishv1.ErrorCode_ERROR_CODE_TOO_MANY_ROOMS {
			t.Fatalf("join %v past the room limit answered %v, want ERROR_CODE_TOO_MANY_ROOMS", j, e)
		}
	}
	if w := b.join("b", "movers", "only"); w.Room != "only" {
		t.Fatalf("joined %q, want the existing room", w.Room)
	}
	if s := ts.hub.Stats(); s.Rooms != 1 || s.RoomsRefused != 2 {
		t.Fatalf("hub stats %+v, want 1 room and 2 refused", s)
	}
}

// TestResumeRefusesTokenOfEarlierRoom: a named room that closed and was
// opened again has the same name and hands out the same player ids. The
// token of the earlier room's player must not resume (and so kick) the
// new room's player with that id.
func TestResumeRefusesTokenOfEarlierRoom(t *testing.T) {
	ts := startServerWith(t, server.Config{}, game.HubConfig{IdleTimeout: 10 * time.Millisecond})
	a := dial(t, ts.addr)
	a.hello()
	wa := a.join("a", "movers", "friday")
	a.send(&skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Leave{Leave: &skirmishv1.Leave{}}})
	waitFor(t, 10*time.Second, "the emptied room to close", func() bool { return ts.hub.Stats().RoomsClosed > 0 })

	b := dial(t, ts.addr)
	b.hello()
	wb := b.join("b", "movers", "friday")
	if wb.PlayerId != wa.PlayerId {
		t.Fatalf("the new friday gave player id %d, the old one %d; the test needs the same id", wb.PlayerId, wa.PlayerId)
	}
	c := dial(t, ts.addr)
	c.hello()
	e := c.joinWith(&skirmishv1.Join{ResumeToken: wa.SessionToken}).GetError()
	if e == nil || e.Code != skirmishv1.ErrorCode_ERROR_CODE_SESSION_INVALID {
		t.Fatalf("resume with the earlier room's token answered %v, want ERROR_CODE_SESSION_INVALID", e)
	}
	// b still plays: snapshots keep coming, no error, no close.
	var last uint32
	for range 3 {
		m := b.until(2*time.Second, "snapshot", func(m *skirmishv1.ServerMessage) bool {
			if e := m.GetError(); e != nil {
				t.Fatalf("b got %v", e)
			}
			return m.GetSnapshot() != nil
		})
		if tick := m.GetSnapshot().Tick; tick <= last {
			t.Fatalf("b's ticks stopped at %d", tick)
		} else {
			last = tick
		}
	}
}
