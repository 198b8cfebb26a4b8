package bench

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/skirmishgg/skirmish/bench/measure"
)

// Integration tests of -mode, interest, bandwidth, resume and match
// against the real server. Like the others they check behaviour and that
// the figures and checks are there, never how fast anything is: the CPU
// ratio, the bytes per client·s and the join rate are the scenarios' bars,
// not asserted here.

func TestIntegrationPlayModeLargeCountsEntities(t *testing.T) {
	s := startRealServer(t)
	o := testOptions(s)
	o.Window = time.Second
	f, res, err := RunPlay(t.Context(), o, PlayConfig{Mode: "movers-large", Rooms: 1, Players: 12, TrackEntities: true}, "play")
	if err != nil {
		t.Fatal(err)
	}
	logFigures(t, "play", f)
	checkPlay(t, f, res, 12)
	if mode, _ := f.Get("mode"); mode != "movers-large" {
		t.Errorf("mode figure %v", mode)
	}
	st := res.Stats
	// Every snapshot resolved; each bot sees itself, and at most the room.
	if st.Entities.Count() == 0 || st.EntitiesUnresolved != 0 {
		t.Fatalf("entities counted in %d snapshots, %d unresolved", st.Entities.Count(), st.EntitiesUnresolved)
	}
	if st.Entities.Min() < 1 || st.Entities.Max() > 12 {
		t.Errorf("entities per snapshot from %d to %d with 12 players", st.Entities.Min(), st.Entities.Max())
	}
	if figure(t, f, "full_snapshot_fraction") >= 0.5 {
		t.Errorf("bots that acknowledge every tick got %.2f full snapshots", f.Float("full_snapshot_fraction"))
	}
	figure(t, f, "entities_per_snapshot_mean")
}

func TestIntegrationPlayUnknownMode(t *testing.T) {
	s := startRealServer(t)
	o := testOptions(s)
	o.ServerPID = 0
	o.Window = 300 * time.Millisecond
	_, res, err := RunPlay(t.Context(), o, PlayConfig{Mode: "no-such-mode", Rooms: 1, Players: 2}, "play")
	if err != nil {
		t.Fatal(err)
	}
	if res.Stats.Joined != 0 || res.Stats.ErrorCodes["ERROR_CODE_UNKNOWN_MODE"] != 2 {
		t.Errorf("joined %d, errors %v", res.Stats.Joined, res.Stats.ErrorCodes)
	}
}

// readReport runs a command and decodes its JSON.
func runCommandJSON(t *testing.T, args ...string) (code int, doc map[string]map[string]any) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out.json")
	var stdout, stderr bytes.Buffer
	code = Main(t.Context(), append(args, "-json", out, "-quiet"), &stdout, &stderr)
	t.Logf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("no JSON: %v", err)
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	return code, doc
}

func checkNamesInJSON(t *testing.T, checks any, want ...string) map[string]bool {
	t.Helper()
	list, _ := checks.([]any)
	ok := map[string]bool{}
	for _, c := range list {
		m, _ := c.(map[string]any)
		name, _ := m["check"].(string)
		ok[name], _ = m["ok"].(bool)
	}
	for _, w := range want {
		if _, found := ok[w]; !found {
			t.Errorf("check %q missing; have %v", w, ok)
		}
	}
	return ok
}

func TestIntegrationInterestCommand(t *testing.T) {
	requireServerBin(t)
	code, doc := runCommandJSON(t, "interest", "-server", serverBin,
		"-small-rooms", "2", "-small-players", "4", "-large-rooms", "1", "-large-players", "8",
		"-warmup", "200ms", "-window", "800ms")
	if code != 0 && code != 1 {
		t.Fatalf("exit %d", code)
	}
	for _, sec := range []string{"small", "large"} {
		for _, k := range []string{"server_cpu_us_per_client_tick", "payload_bytes_per_client_s", "entities_per_snapshot_mean", "gap_p99_ms", "mode"} {
			if _, ok := doc[sec][k]; !ok {
				t.Errorf("%s.%s missing", sec, k)
			}
		}
	}
	if doc["small"]["mode"] != "movers" || doc["large"]["mode"] != "movers-large" {
		t.Errorf("modes %v %v", doc["small"]["mode"], doc["large"]["mode"])
	}
	if _, ok := doc["large/small"]["server_cpu_us_per_client_tick"]; !ok {
		t.Error("no CPU ratio")
	}
	// 8 players in an 8000-unit world: a bot sees itself, never more.
	if m, _ := doc["large"]["entities_per_snapshot_mean"].(float64); m < 1 || m > 8 {
		t.Errorf("large: %v entities per snapshot", m)
	}
	if m, _ := doc["small"]["entities_per_snapshot_mean"].(float64); m != 4 {
		t.Errorf("small: %v entities per snapshot in rooms of 4", m)
	}
	ok := checkNamesInJSON(t, doc["meta"]["checks"], "movers 2×4: all bots joined", "movers-large 1×8: all bots joined",
		"server CPU per client·tick, large vs small")
	if !ok["movers 2×4: all bots joined"] || !ok["movers-large 1×8: all bots joined"] {
		t.Error("bots did not join")
	}
	if pass, _ := doc["meta"]["pass"].(bool); pass != (code == 0) {
		t.Errorf("meta.pass %v with exit %d", pass, code)
	}
}

func TestIntegrationBandwidthCommand(t *testing.T) {
	requireServerBin(t)
	code, doc := runCommandJSON(t, "bandwidth", "-server", serverBin, "-rooms", "2", "-players", "4",
		"-latency", "50ms", "-warmup", "300ms", "-window", "800ms")
	if code != 0 && code != 1 {
		t.Fatalf("exit %d", code)
	}
	d, f := doc["deltas"], doc["full"]
	if d["full_snapshot_fraction"].(float64) >= 0.5 || f["full_snapshot_fraction"].(float64) != 1 {
		t.Errorf("full snapshot fractions: deltas %v, -full-snapshots %v", d["full_snapshot_fraction"], f["full_snapshot_fraction"])
	}
	// Behaviour, not speed: the same world costs fewer bytes in deltas.
	if d["payload_bytes_per_client_s"].(float64) >= f["payload_bytes_per_client_s"].(float64) {
		t.Errorf("deltas %v B/client·s, full %v", d["payload_bytes_per_client_s"], f["payload_bytes_per_client_s"])
	}
	if r, _ := d["rtt_p50_ms"].(float64); r < 50 {
		t.Errorf("rtt p50 %v ms below the 50 ms added latency", r)
	}
	if f["server_args"] != "-full-snapshots" {
		t.Errorf("full leg's server args %v", f["server_args"])
	}
	ok := checkNamesInJSON(t, doc["meta"]["checks"], "deltas: all bots joined", "full: all bots joined",
		"delta payload per client·s", "the delta server sent deltas", "the -full-snapshots server sent only full snapshots")
	for _, k := range []string{"deltas: all bots joined", "full: all bots joined", "the delta server sent deltas", "the -full-snapshots server sent only full snapshots"} {
		if !ok[k] {
			t.Errorf("check %q failed", k)
		}
	}
}

func checkResume(t *testing.T, f *Figures, v *Verdict, n int64) {
	t.Helper()
	logVerdict(t, f, v)
	for _, k := range []string{"clients_joined", "drops", "resumed"} {
		if got := figure(t, f, k); got != float64(n) {
			t.Errorf("%s = %v, want %d", k, got, n)
		}
	}
	if got := figure(t, f, "resume_failed"); got != 0 {
		t.Errorf("resume_failed = %v (%v)", got, f.vals["resume_fail_reasons"])
	}
	if got := figure(t, f, "server_resumes"); got != float64(n) {
		t.Errorf("the server counted %v resumes, want %d", got, n)
	}
	if got := figure(t, f, "resume_entity_ok"); got != float64(n) {
		t.Errorf("entity back in %v of %d first worlds", got, n)
	}
	if got := figure(t, f, "roster_changes_seen"); got != 0 {
		t.Errorf("%v roster changes seen during the resumes", got)
	}
	if figure(t, f, "resume_p50_ms") <= 0 || figure(t, f, "resume_world_p50_ms") < 0 {
		t.Error("no resume latency")
	}
	c := checkNames(v)
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
	s := startRealServer(t)
	o := testOptions(s)
	o.Warmup, o.Window = 300*time.Millisecond, 2500*time.Millisecond
	// The window leaves ~2 s after the last drop: a resumed bot may
	// wait for a baseline of its own connection for about one history
	// (32 ticks) when the server sends it a delta against an old one.
	f, v, err := RunResume(t.Context(), o, ResumeConfig{N: 12, Players: 6, Spread: 400 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	checkResume(t, f, v, 12)
}

func TestIntegrationResumeRSTCommand(t *testing.T) {
	requireServerBin(t)
	code, doc := runCommandJSON(t, "resume", "-server", serverBin, "-n", "6", "-players", "3", "-rst",
		"-spread", "300ms", "-warmup", "300ms", "-window", "2300ms")
	if code != 0 && code != 1 {
		t.Fatalf("exit %d", code)
	}
	r := doc["resume"]
	if r["resumed"] != 6.0 || r["resume_failed"] != 0.0 || r["server_resumes"] != 6.0 {
		t.Errorf("resumed %v failed %v server %v (%v)", r["resumed"], r["resume_failed"], r["server_resumes"], r["resume_fail_reasons"])
	}
	if pass, _ := r["pass"].(bool); pass != (code == 0) {
		t.Errorf("pass %v with exit %d", pass, code)
	}
}

func TestResumeVerdictFailsOnAnyFailure(t *testing.T) {
	good := measure.Stats{Joined: 4, Drops: 4, Resumed: 4, ResumeEntityOK: 4}
	if v := resumeVerdict(4, &good, 4, 0, nil); !v.Pass() {
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
		if v := resumeVerdict(4, &s, 4, 0, nil); v.Pass() {
			t.Errorf("%s: passed", name)
		}
	}
	if v := resumeVerdict(4, &good, 3, 1, nil); v.Pass() {
		t.Error("a server that counted a resume error passed")
	}
	if v := resumeVerdict(4, &good, -1, -1, os.ErrNotExist); !v.Pass() {
		t.Error("unreadable /debug/stats is a skip, not a failure")
	}
}

func TestIntegrationMatchOpensRooms(t *testing.T) {
	s := startRealServer(t)
	o := testOptions(s)
	// arena rooms hold 16: 40 quick-matched players fill two and start a
	// third.
	f, v, err := RunMatch(t.Context(), o, MatchConfig{Rate: 200, N: 40, Mode: "arena", Capacity: 16})
	if err != nil {
		t.Fatal(err)
	}
	logVerdict(t, f, v)
	if got := figure(t, f, "clients_joined"); got != 40 {
		t.Errorf("joined %v of 40 (%v)", got, f.vals["fail_reasons"])
	}
	if got := figure(t, f, "rooms_opened"); got != 3 {
		t.Errorf("%v rooms opened, want 3", got)
	}
	if got, _ := f.Get("room_players"); got != "16×2 8×1" {
		t.Errorf("room players %v", got)
	}
	if figure(t, f, "join_p50_ms") <= 0 || figure(t, f, "joins_per_s") <= 0 {
		t.Error("no join latency or rate")
	}
	if got := figure(t, f, "server_joins"); got != 40 {
		t.Errorf("server counted %v joins", got)
	}
	c := checkNames(v)
	if !c["all joined"].OK || !c["rooms as quick-match promises"].OK {
		t.Errorf("checks: %+v", v.Checks)
	}
	if _, ok := c["join rate"]; !ok {
		t.Error("no join rate check")
	}
}

func TestIntegrationMatchAwayCommand(t *testing.T) {
	requireServerBin(t)
	code, doc := runCommandJSON(t, "match", "-server", serverBin, "-away", "-rate", "300", "-n", "30", "-mode", "arena", "-capacity", "16")
	if code != 0 && code != 1 {
		t.Fatalf("exit %d", code)
	}
	m := doc["match"]
	// Away players keep their places: the rooms fill as if they stayed.
	if m["clients_joined"] != 30.0 || m["players_in_rooms"] != 30.0 || m["room_players"] != "16×1 14×1" {
		t.Errorf("joined %v, in rooms %v (%v)", m["clients_joined"], m["players_in_rooms"], m["room_players"])
	}
	if m["server_connections"] != 0.0 {
		t.Errorf("%v connections left open by away bots", m["server_connections"])
	}
	if args, _ := doc["meta"]["server_args"].(string); args != "-resume-grace 2m" {
		t.Errorf("server args %q", args)
	}
}

func TestSessionCommandsUsage(t *testing.T) {
	for _, args := range [][]string{{"interest"}, {"bandwidth"}, {"match", "-bogus"}, {"resume", "extra"}} {
		var out, errOut bytes.Buffer
		if code := Main(t.Context(), args, &out, &errOut); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errOut.String())
		}
	}
}
