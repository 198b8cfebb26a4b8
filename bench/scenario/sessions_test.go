package scenario

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/skirmishgg/skirmish/bench/internal/benchtest"
	"github.com/skirmishgg/skirmish/bench/measure"
	"github.com/skirmishgg/skirmish/bench/report"
	"github.com/skirmishgg/skirmish/game"
)

// Integration tests of resume and match against the real server. Like
// the others they check behaviour and that the figures and checks are
// there, never how fast anything is: the join rate is the scenario's
// bar, not asserted here.

func checkResume(t *testing.T, r *resumeResult, v *report.Verdict, n int64) {
	t.Helper()
	benchtest.Log(t, v.Scenario, v, r)
	f := benchtest.Figures(t, r)
	for _, k := range []string{"clients_joined", "drops", "resumed"} {
		if got := benchtest.Figure(t, f, k); got != float64(n) {
			t.Errorf("%s = %v, want %d", k, got, n)
		}
	}
	if got := benchtest.Figure(t, f, "resume_failed"); got != 0 {
		t.Errorf("resume_failed = %v (%v)", got, f["resume_fail_reasons"])
	}
	if got := benchtest.Figure(t, f, "server_resumes"); got != float64(n) {
		t.Errorf("the server counted %v resumes, want %d", got, n)
	}
	if got := benchtest.Figure(t, f, "resume_entity_ok"); got != float64(n) {
		t.Errorf("entity back in %v of %d first worlds", got, n)
	}
	if got := benchtest.Figure(t, f, "roster_changes_seen"); got != 0 {
		t.Errorf("%v roster changes seen during the resumes", got)
	}
	if benchtest.Figure(t, f, "resume_p50_ms") <= 0 || benchtest.Figure(t, f, "resume_world_p50_ms") < 0 {
		t.Error("no resume latency")
	}
	c := benchtest.Checks(v)
	for _, k := range []string{"all bots joined", "every bot resumed", "entity back with its score", "no roster change during the resumes", "no connection lost", "server counted the resumes"} {
		if !c[k].OK {
			t.Errorf("check %q: %s", k, c[k].Detail)
		}
	}
	// The contract's full snapshot after a resume is judged by the
	// scenario (and reported), not asserted here.
	if _, ok := c["first snapshot after a resume is full"]; !ok {
		t.Error("no check of the first snapshot")
	}
}

func TestIntegrationResume(t *testing.T) {
	s := benchtest.Start(t)
	o := testOptions(s)
	o.Warmup, o.Window = 300*time.Millisecond, 2500*time.Millisecond
	// The window leaves ~2 s after the last drop: a resumed bot may
	// wait for a baseline of its own connection for about one history
	// (32 ticks) when the server sends it a delta against an old one.
	r, v, err := runResume(t.Context(), o, resumeConfig{n: 12, players: 6, spread: 400 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	checkResume(t, r, v, 12)
}

func TestResumeVerdictFailsOnAnyFailure(t *testing.T) {
	good := measure.Stats{Joined: 4, Drops: 4, Resumed: 4, ResumeEntityOK: 4}
	if v := resumeVerdict(4, &good, &resumeServer{Resumes: 4}, nil); !v.Pass() {
		t.Fatalf("a clean run failed: %s", v.Line())
	}
	for name, s := range map[string]measure.Stats{
		"a refused resume":    {Joined: 4, Drops: 4, Resumed: 3, ResumeFailed: 1, ResumeEntityOK: 3, ResumeFailReasons: map[string]int64{"resume refused: ERROR_CODE_SESSION_INVALID": 1}},
		"one still pending":   {Joined: 4, Drops: 4, Resumed: 3, ResumeEntityOK: 3},
		"a bot not dropped":   {Joined: 4, Drops: 3, Resumed: 3, ResumeEntityOK: 3},
		"a roster change":     {Joined: 4, Drops: 4, Resumed: 4, ResumeEntityOK: 4, RosterChanges: 1},
		"an entity missing":   {Joined: 4, Drops: 4, Resumed: 4, ResumeEntityOK: 3, ResumeEntityMissing: 1},
		"a lower score":       {Joined: 4, Drops: 4, Resumed: 4, ResumeEntityOK: 3, ResumeScoreLower: 1},
		"a delta first":       {Joined: 4, Drops: 4, Resumed: 4, ResumeEntityOK: 4, ResumeFirstDelta: 1},
		"a lost connection":   {Joined: 4, Drops: 4, Resumed: 4, ResumeEntityOK: 4, Disconnects: 1},
		"a bot that never in": {Joined: 3, Failed: 1, Drops: 3, Resumed: 3, ResumeEntityOK: 3},
	} {
		if v := resumeVerdict(4, &s, &resumeServer{Resumes: 4}, nil); v.Pass() {
			t.Errorf("%s: passed", name)
		}
	}
	if v := resumeVerdict(4, &good, &resumeServer{Resumes: 3, ResumeErrors: 1}, nil); v.Pass() {
		t.Error("a server that counted a resume error passed")
	}
	if v := resumeVerdict(4, &good, nil, os.ErrNotExist); !v.Pass() {
		t.Error("unreadable /debug/stats is a skip, not a failure")
	}
}

func TestIntegrationMatchOpensRooms(t *testing.T) {
	s := benchtest.Start(t)
	o := testOptions(s)
	// arena rooms hold 16: 40 quick-matched players fill two and start a
	// third.
	r, v, err := runMatch(t.Context(), o, matchConfig{rate: 200, n: 40, mode: "arena", capacity: 16}.withDefaults())
	if err != nil {
		t.Fatal(err)
	}
	benchtest.Log(t, v.Scenario, v, r)
	f := benchtest.Figures(t, r)
	if got := benchtest.Figure(t, f, "clients_joined"); got != 40 {
		t.Errorf("joined %v of 40 (%v)", got, f["fail_reasons"])
	}
	if got := benchtest.Figure(t, f, "rooms_opened"); got != 3 {
		t.Errorf("%v rooms opened, want 3", got)
	}
	if got := f["room_players"]; got != "16×2 8×1" {
		t.Errorf("room players %v", got)
	}
	if benchtest.Figure(t, f, "join_p50_ms") <= 0 || benchtest.Figure(t, f, "joins_per_s") <= 0 {
		t.Error("no join latency or rate")
	}
	if got := benchtest.Figure(t, f, "server_joins"); got != 40 {
		t.Errorf("server counted %v joins", got)
	}
	c := benchtest.Checks(v)
	if !c["all joined"].OK || !c["rooms as quick-match promises"].OK {
		t.Errorf("checks: %+v", v.Checks)
	}
	if _, ok := c["join rate"]; !ok {
		t.Error("no join rate check")
	}
}

func TestJoinRateAndRateHeld(t *testing.T) {
	s := int64(time.Second)
	if got := joinRate(1001, 5*s, 6*s); got != 1000 {
		t.Errorf("1001 Welcomes over 1 s = %v/s, want 1000", got)
	}
	for _, c := range [][3]int64{{1, s, 2 * s}, {10, 0, s}, {10, 2 * s, 2 * s}} {
		if got := joinRate(c[0], c[1], c[2]); got != 0 {
			t.Errorf("joinRate%v = %v, want 0", c, got)
		}
	}
	held, n, fewest := rateHeld([]int64{990, 1000, 960, 700, 980, 300}, 950)
	if held != 3 || n != 2950 || fewest != 700 {
		t.Errorf("rateHeld = %d %d %d, want 3 2950 700", held, n, fewest)
	}
	if held, n, fewest := rateHeld(nil, 950); held != 0 || n != 0 || fewest != -1 {
		t.Errorf("empty: %d %d %d", held, n, fewest)
	}
}

func TestQuickMatchFillAndRoomFill(t *testing.T) {
	for _, c := range []struct {
		n, cap, rooms int
		dist          string
	}{
		{10000, 512, 20, "512×19 272×1"},
		{1024, 512, 2, "512×2"},
		{5, 512, 1, "5×1"},
		{0, 512, 0, "-"},
	} {
		rooms, dist := quickMatchFill(c.n, c.cap)
		if rooms != c.rooms || dist != c.dist {
			t.Errorf("quickMatchFill(%d, %d) = %d %q, want %d %q", c.n, c.cap, rooms, dist, c.rooms, c.dist)
		}
	}
	var listing []game.RoomInfo
	if err := json.Unmarshal([]byte(`[{"id":"a","mode":"movers","players":512,"capacity":512,"tick_rate":30},
		{"id":"b","mode":"movers","players":272,"capacity":512,"tick_rate":30},
		{"id":"c","mode":"arena","players":3,"capacity":16,"tick_rate":30},
		{"id":"d","mode":"movers","players":512,"capacity":512,"tick_rate":30}]`), &listing); err != nil {
		t.Fatal(err)
	}
	n, players, dist := roomFill(listing, "movers")
	if n != 3 || players != 1296 || dist != "512×2 272×1" {
		t.Errorf("roomFill = %d %d %q", n, players, dist)
	}
	if n, _, dist := roomFill(listing, "movers-large"); n != 0 || dist != "-" {
		t.Errorf("no rooms: %d %q", n, dist)
	}
}

func TestRoomPrefix(t *testing.T) {
	if roomPrefix("") != "bench-" || roomPrefix("movers") != "bench-" || roomPrefix("movers-large") != "bench-movers-large-" {
		t.Error("room prefixes")
	}
	if got := roomPrefix("movers-large") + "999"; !validRoomName(got) {
		t.Errorf("room %q", got)
	}
}

// validRoomName is the server's rule for room ids (docs/protocol.md).
func validRoomName(s string) bool {
	if len(s) == 0 || len(s) > 32 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
