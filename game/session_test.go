package game_test

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/skirmishgg/skirmish/game"
	"github.com/skirmishgg/skirmish/game/movers"
	skirmishv1 "github.com/skirmishgg/skirmish/proto/skirmish/v1"
	"github.com/skirmishgg/skirmish/proto/wire"
)

// plainTokens are Sessions whose tokens are readable, for tests:
// room/player/gen, unsigned.
type plainTokens struct{}

var errNotPlainToken = errors.New("not a room/player/gen token")

func (plainTokens) Issue(room string, player, gen uint32) string {
	return fmt.Sprintf("%s/%d/%d", room, player, gen)
}

func (plainTokens) Verify(token string) (room string, player, gen uint32, err error) {
	parts := strings.Split(token, "/")
	if len(parts) != 3 {
		return "", 0, 0, errNotPlainToken
	}
	p, err1 := strconv.ParseUint(parts[1], 10, 32)
	g, err2 := strconv.ParseUint(parts[2], 10, 32)
	if err1 != nil || err2 != nil {
		return "", 0, 0, errNotPlainToken
	}
	return parts[0], uint32(p), uint32(g), nil
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

// TestHubResume: the hub checks the token a client presents with the
// Sessions its rooms issue tokens with, and gives the player it names back
// to the new connection; a refused token says why.
func TestHubResume(t *testing.T) {
	h := game.NewHub(game.HubConfig{
		Modes:       map[string]game.ModeSpec{movers.Name: {New: movers.New}},
		DefaultMode: movers.Name,
		TickRate:    game.MaxTickRate,
		NewLink:     func() game.Link { return discard{} },
		Sessions:    plainTokens{},
		Logger:      quietLogger(),
	})
	t.Cleanup(h.Close)
	alice := &fakePeer{name: "alice"}
	room, id, err := h.JoinWith(alice, game.JoinRequest{Name: "alice", Room: "r"})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Welcome and Roster", func() bool { return alice.count() >= 2 })
	token := welcomeOf(t, alice.take(t)).SessionToken
	if want := fmt.Sprintf("r/%d/0", id); token != want {
		t.Fatalf("welcome token %q, want %q from the hub's Sessions", token, want)
	}
	room.Disconnect(id, alice)

	again := &fakePeer{name: "again"}
	r, rid, err := h.Resume(again, token)
	if err != nil || r != room || rid != id {
		t.Fatalf("Resume = room %p, id %d, %v; want room %p, id %d", r, rid, err, room, id)
	}
	waitFor(t, "Welcome on the new connection", func() bool { return again.count() >= 1 })
	if w := welcomeOf(t, again.take(t)); !w.Resumed || w.PlayerId != id || w.SessionToken != fmt.Sprintf("r/%d/1", id) {
		t.Fatalf("resumed welcome %v", w)
	}

	for _, tc := range []struct {
		token string
		want  error
	}{
		{token, game.ErrSessionReplayed},
		{fmt.Sprintf("nowhere/%d/1", id), game.ErrSessionGone},
		{"forged", errNotPlainToken},
	} {
		if _, _, err := h.Resume(&fakePeer{}, tc.token); !errors.Is(err, tc.want) {
			t.Errorf("Resume(%q): %v, want %v", tc.token, err, tc.want)
		}
	}
	off := game.NewHub(game.HubConfig{Logger: quietLogger()})
	if _, _, err := off.Resume(&fakePeer{}, token); !errors.Is(err, game.ErrNoSessions) {
		t.Errorf("Resume on a hub without Sessions: %v, want ErrNoSessions", err)
	}
}
