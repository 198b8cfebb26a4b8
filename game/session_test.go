package game_test

import (
	"encoding/hex"
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

// plainTokens are Sessions whose tokens are readable and editable, for
// tests: room/incarnation/player/secret in hex, unsigned.
type plainTokens struct{}

var errNotPlainToken = errors.New("not a room/incarnation/player/secret token")

func (plainTokens) Issue(s game.Session) string {
	return fmt.Sprintf("%s/%d/%d/%x", s.Room, s.Incarnation, s.Player, s.Secret)
}

func (plainTokens) Verify(token string) (game.Session, error) {
	parts := strings.Split(token, "/")
	if len(parts) != 4 {
		return game.Session{}, errNotPlainToken
	}
	inc, err1 := strconv.ParseUint(parts[1], 10, 64)
	p, err2 := strconv.ParseUint(parts[2], 10, 32)
	secret, err3 := hex.DecodeString(parts[3])
	if err1 != nil || err2 != nil || err3 != nil || len(secret) != game.SessionSecretSize {
		return game.Session{}, errNotPlainToken
	}
	s := game.Session{Room: parts[0], Incarnation: inc, Player: uint32(p)}
	copy(s.Secret[:], secret)
	return s, nil
}

// sessionOf reads a plainTokens token.
func sessionOf(t *testing.T, token string) game.Session {
	t.Helper()
	s, err := plainTokens{}.Verify(token)
	if err != nil {
		t.Fatalf("token %q: %v", token, err)
	}
	return s
}

// hasRosterChange reports whether msgs tell of a roster change: a
// RosterUpdate, or a Roster (which only a Welcome brings).
func hasRosterChange(msgs []*skirmishv1.ServerMessage) bool {
	return slices.ContainsFunc(msgs, func(m *skirmishv1.ServerMessage) bool { return m.GetRoster() != nil || m.GetRosterUpdate() != nil })
}

func TestResumeKeepsThePlayer(t *testing.T) {
	r := newRoom(t, movers.New, game.RoomConfig{ID: "r", Sessions: plainTokens{}, ResumeGrace: time.Second, TickRate: 30})
	alice, bob := &fakePeer{name: "alice"}, &fakePeer{name: "bob"}
	id := r.join(t, alice)
	r.join(t, bob)
	r.Step()
	w := welcomeOf(t, alice.take(t))
	sess := sessionOf(t, w.SessionToken)
	if sess.Room != "r" || sess.Player != id || sess.Secret == ([game.SessionSecretSize]byte{}) || w.ResumeGraceMs != 1000 {
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
	if msgs := bob.take(t); hasRosterChange(msgs) {
		t.Fatal("bob saw a roster change when alice dropped")
	}
	if n := alice.count(); n != 0 {
		t.Fatalf("away player still got %d messages", n)
	}

	// She resumes on a new connection with her token, and its first input
	// acknowledges a tick the new connection never received (as a client
	// that kept its old baselines would).
	alice2 := &fakePeer{name: "alice2"}
	if err := r.Resume(sess, alice2); err != nil {
		t.Fatal(err)
	}
	r.Input(id, wire.Input{Seq: 11, AckTick: r.Tick() - 1})
	r.bc.take()
	r.Step()
	firsts := 0
	for _, c := range r.bc.take() {
		if slices.ContainsFunc(c.to, func(rc game.Receiver) bool { return rc.Peer == alice2 }) {
			firsts++
			if base := decode(t, c.msg).GetSnapshot().BaseTick; base != 0 {
				t.Fatalf("first snapshot after the resume is a delta against tick %d of the old connection", base)
			}
		}
	}
	if firsts != 1 {
		t.Fatalf("the resumed connection got %d snapshots at the resume tick, want 1 (full)", firsts)
	}
	w = welcomeOf(t, alice2.take(t))
	if s2 := sessionOf(t, w.SessionToken); w.PlayerId != id || !w.Resumed || s2.Player != id || s2.Secret == sess.Secret || w.InputSeq != 10 {
		t.Fatalf("resumed welcome %v: want a new secret for player %d", w, id)
	}
	after := mustEntity(t, r.entities(), id)
	if after.Score < before.Score || after.X < before.X {
		t.Fatalf("resumed entity %+v, before the drop %+v", after, before)
	}
	if msgs := bob.take(t); hasRosterChange(msgs) {
		t.Fatal("bob saw a roster change when alice resumed")
	}
	// The used token cannot resume again.
	if err := r.Resume(sess, &fakePeer{}); !errors.Is(err, game.ErrSessionInvalid) {
		t.Fatalf("replayed token: %v, want ErrSessionInvalid", err)
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
	// Once the room has closed, even the current token finds the session
	// gone.
	r.Close()
	if err := r.Resume(sessionOf(t, w.SessionToken), &fakePeer{}); !errors.Is(err, game.ErrSessionGone) {
		t.Fatalf("resume in a closed room: %v, want ErrSessionGone", err)
	}
}

// TestResumeTakesOverALiveConnection: resuming while the old connection
// is still attached gives the player to the new one at once: from the
// moment Resume returns, the old connection's inputs and leave are
// refused, and at the next tick it is dropped.
func TestResumeTakesOverALiveConnection(t *testing.T) {
	r := newRoom(t, movers.New, game.RoomConfig{ID: "r", Sessions: plainTokens{}})
	old := &fakePeer{name: "old"}
	id := r.join(t, old)
	r.Step()
	sess := sessionOf(t, welcomeOf(t, old.take(t)).SessionToken)
	fresh := &fakePeer{name: "fresh"}
	if err := r.Room.Resume(sess, fresh); err != nil {
		t.Fatal(err)
	}
	if r.Room.Input(id, old, wire.Input{Seq: 50, DX: 1}) {
		t.Fatal("the old connection's input was accepted after the take-over")
	}
	r.Room.Leave(id, old)
	if !r.Room.Input(id, fresh, wire.Input{Seq: 1, DY: 1}) {
		t.Fatal("the new connection's input was refused")
	}
	r.Step()
	if got := old.drops(); !slices.Equal(got, []game.DropReason{game.DropTakenOver}) {
		t.Fatalf("old connection drops %v, want [DropTakenOver]", got)
	}
	if welcomeOf(t, fresh.take(t)).PlayerId != id {
		t.Fatal("fresh connection did not get the player")
	}
	if _, ok := entityByID(r.entities(), id); !ok {
		t.Fatal("the old connection's leave removed the player")
	}
	if got := seqsOf(r.mode.takeInputs(id)); !slices.Equal(got, []uint32{1}) {
		t.Fatalf("inputs applied %v, want only the new connection's [1]", got)
	}
}

func TestAwayPlayerLeavesAfterGrace(t *testing.T) {
	r := newRoom(t, movers.New, game.RoomConfig{ID: "r", Sessions: plainTokens{}, ResumeGrace: 100 * time.Millisecond, TickRate: 30})
	alice, bob := &fakePeer{name: "alice"}, &fakePeer{name: "bob"}
	id := r.join(t, alice)
	r.join(t, bob)
	r.Step()
	bob.take(t)
	r.Disconnect(id, alice)
	for range 6 { // 100 ms at 30 Hz is 3 ticks; the removal applies a tick later
		r.Step()
	}
	if _, ok := entityByID(r.entities(), id); ok {
		t.Fatal("player still in the world after the grace period")
	}
	if i := slices.IndexFunc(bob.take(t), func(m *skirmishv1.ServerMessage) bool {
		return slices.Equal(m.GetRosterUpdate().GetLeft(), []uint32{id})
	}); i < 0 {
		t.Fatal("bob was not told that alice left")
	}
	sess := game.Session{Room: "r", Incarnation: sessionOf(t, welcomeOf(t, alice.take(t)).SessionToken).Incarnation, Player: id}
	if err := r.Resume(sess, &fakePeer{}); !errors.Is(err, game.ErrSessionGone) {
		t.Fatalf("resume after grace: %v, want ErrSessionGone", err)
	}
}

// TestHubResume: the hub checks the token a client presents with the
// Sessions its rooms issue tokens with, and gives the player it names back
// to the new connection; a refused token says why.
func TestHubResume(t *testing.T) {
	h := sessionHub(t, time.Minute)
	alice := &fakePeer{name: "alice"}
	room, id, err := h.JoinWith(alice, game.JoinRequest{Name: "alice", Room: "r"})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Welcome and Roster", func() bool { return alice.count() >= 2 })
	token := welcomeOf(t, alice.take(t)).SessionToken
	if s := sessionOf(t, token); s.Room != "r" || s.Player != id {
		t.Fatalf("welcome token %q, want one for player %d of room r from the hub's Sessions", token, id)
	}
	room.Disconnect(id, alice)

	again := &fakePeer{name: "again"}
	r, rid, err := h.Resume(again, token)
	if err != nil || r != room || rid != id {
		t.Fatalf("Resume = room %p, id %d, %v; want room %p, id %d", r, rid, err, room, id)
	}
	waitFor(t, "Welcome on the new connection", func() bool { return again.count() >= 1 })
	if w := welcomeOf(t, again.take(t)); !w.Resumed || w.PlayerId != id || w.SessionToken == token {
		t.Fatalf("resumed welcome %v", w)
	}

	elsewhere := sessionOf(t, token)
	elsewhere.Room = "nowhere"
	for _, tc := range []struct {
		token string
		want  error
	}{
		{token, game.ErrSessionInvalid},
		{plainTokens{}.Issue(elsewhere), game.ErrSessionGone},
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

func sessionHub(t *testing.T, idle time.Duration) *game.Hub {
	t.Helper()
	h := game.NewHub(game.HubConfig{
		Modes:       map[string]game.ModeSpec{movers.Name: {New: movers.New}},
		DefaultMode: movers.Name,
		TickRate:    game.MaxTickRate,
		IdleTimeout: idle,
		NewLink:     func() game.Link { return discard{} },
		Sessions:    plainTokens{},
		Logger:      quietLogger(),
	})
	t.Cleanup(h.Close)
	return h
}

// TestResumeRefusesTokensOfEarlierRoomsAndPlayers: a named room opened
// again has the same name and hands out the same player ids, so a token
// must bind more than those. A token of the earlier room is refused and
// the new room's player keeps its connection; so is a token with the new
// room's incarnation but another member's secret, and one with the new
// player's secret but the earlier incarnation.
func TestResumeRefusesTokensOfEarlierRoomsAndPlayers(t *testing.T) {
	h := sessionHub(t, time.Millisecond)
	alice := &fakePeer{name: "alice"}
	first, aliceID, err := h.JoinWith(alice, game.JoinRequest{Name: "alice", Room: "friday"})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "alice's Welcome", func() bool { return alice.count() >= 1 })
	aliceToken := welcomeOf(t, alice.take(t)).SessionToken
	first.Leave(aliceID, alice)
	<-first.Done()

	bob := &fakePeer{name: "bob"}
	second, bobID, err := h.JoinWith(bob, game.JoinRequest{Name: "bob", Room: "friday"})
	if err != nil {
		t.Fatal(err)
	}
	if second == first || bobID != aliceID {
		t.Fatalf("the second friday is room %p with player %d; the test needs a new room reusing id %d", second, bobID, aliceID)
	}
	waitFor(t, "bob's Welcome", func() bool { return bob.count() >= 1 })
	bobSess := sessionOf(t, welcomeOf(t, bob.take(t)).SessionToken)
	aliceSess := sessionOf(t, aliceToken)
	if aliceSess.Incarnation == bobSess.Incarnation {
		t.Fatal("two rooms of the same name share an incarnation")
	}

	oldRoomNewSecret, newRoomOldSecret := bobSess, bobSess
	oldRoomNewSecret.Incarnation = aliceSess.Incarnation
	newRoomOldSecret.Secret = aliceSess.Secret
	for name, tok := range map[string]string{
		"the earlier room's token":                    aliceToken,
		"bob's secret with the earlier incarnation":   plainTokens{}.Issue(oldRoomNewSecret),
		"the earlier player's secret in the new room": plainTokens{}.Issue(newRoomOldSecret),
	} {
		if _, _, err := h.Resume(&fakePeer{}, tok); !errors.Is(err, game.ErrSessionInvalid) {
			t.Errorf("%s: Resume %v, want ErrSessionInvalid", name, err)
		}
	}
	// Bob was never taken over: after another tick he is still served.
	start := second.Tick()
	waitFor(t, "another tick", func() bool { return second.Tick() > start+1 })
	if d := bob.drops(); len(d) != 0 {
		t.Fatalf("bob was dropped: %v", d)
	}
	// And bob's own token works.
	if _, _, err := h.Resume(&fakePeer{}, plainTokens{}.Issue(bobSess)); err != nil {
		t.Fatalf("bob's own token: %v", err)
	}
}
