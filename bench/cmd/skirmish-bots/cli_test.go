package main

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/skirmishgg/skirmish/bench/internal/benchtest"
)

// The commands end to end against the real server, built once by
// TestMain: flags, exit status, the table and the JSON. Like the other
// integration tests they check behaviour, never how fast anything is: a
// command's bars that are speeds (a CPU ratio, bytes per second, a join
// rate) are set out of reach, so that every check must pass and the
// command must exit 0.

// passes fails the test unless the command exited 0, its JSON says it
// passed, and every check it lists passed.
func passes(t *testing.T, code int, doc map[string]map[string]any, section string) {
	t.Helper()
	if code != 0 {
		t.Errorf("exit %d, want 0", code)
	}
	if pass, ok := doc[section]["pass"].(bool); !ok || !pass {
		t.Errorf("%s.pass = %v, want true", section, doc[section]["pass"])
	}
	list, _ := doc[section]["checks"].([]any)
	if len(list) == 0 {
		t.Errorf("%s lists no checks", section)
	}
	for _, c := range list {
		m, _ := c.(map[string]any)
		if ok, _ := m["ok"].(bool); !ok {
			t.Errorf("check %q failed: %v", m["check"], m["detail"])
		}
	}
}

func TestMain(m *testing.M) { benchtest.Main(m) }

func TestIntegrationSuiteCommand(t *testing.T) {
	code, doc, _ := runCommandJSON(t, "suite", "-server", benchtest.Path(t), "-idle-n", "20", "-rooms", "2", "-players", "5",
		"-idle-warmup", "200ms", "-idle-window", "1s", "-warmup", "300ms", "-window", "1s")
	if code != 0 {
		t.Fatalf("suite exited %d", code)
	}
	idle, play, base := doc["idle"], doc["play"], doc["baseline"]
	if idle["clients_connected"] != 20.0 || idle["clients_failed"] != 0.0 {
		t.Errorf("idle: %v of 20 connected, %v failed", idle["clients_connected"], idle["clients_failed"])
	}
	if g, _ := idle["server_goroutines"].(float64); g <= 0 || g >= 20 {
		t.Errorf("idle: %v server goroutines with 20 connections: want some, and none per connection", idle["server_goroutines"])
	}
	for name, sec := range map[string]map[string]any{"play": play, "baseline": base} {
		if sec["clients_joined"] != 10.0 || sec["clients_failed"] != 0.0 {
			t.Errorf("%s: %v of 10 joined, %v failed", name, sec["clients_joined"], sec["clients_failed"])
		}
		for _, k := range []string{"join_p50_ms", "snapshots_per_client_s", "gap_p99_ms", "rtt_p99_ms"} {
			if v, _ := sec[k].(float64); v <= 0 {
				t.Errorf("%s.%s = %v, want > 0", name, k, sec[k])
			}
		}
	}
	// The comparison is the ratio of the two measurements.
	p, _ := play["server_cpu_us_per_client_tick"].(float64)
	b, _ := play["baseline_cpu_us_per_client_tick"].(float64)
	if r, _ := play["cpu_ratio_to_baseline"].(float64); b > 0 && !benchtest.Near(r, p/b) {
		t.Errorf("cpu_ratio_to_baseline %v, but %v / %v = %v", r, p, b, p/b)
	}
}

// runCommandJSON runs a command and decodes its JSON; it returns its
// table too.
func runCommandJSON(t *testing.T, args ...string) (code int, doc map[string]map[string]any, table string) {
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
	return code, doc, stdout.String()
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
	serverBin := benchtest.Path(t)
	code, doc, _ := runCommandJSON(t, "interest", "-server", serverBin,
		"-small-rooms", "2", "-small-players", "4", "-large-rooms", "1", "-large-players", "8",
		"-warmup", "200ms", "-window", "800ms", "-max-cpu-ratio", "1e9")
	passes(t, code, doc, "meta")
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
	checkNamesInJSON(t, doc["meta"]["checks"], "movers 2×4: all bots joined", "movers-large 1×8: all bots joined",
		"server CPU per client·tick, large vs small")
}

func TestIntegrationBandwidthCommand(t *testing.T) {
	serverBin := benchtest.Path(t)
	code, doc, _ := runCommandJSON(t, "bandwidth", "-server", serverBin, "-rooms", "2", "-players", "4",
		"-latency", "50ms", "-warmup", "300ms", "-window", "800ms", "-max-delta-bytes", "1e9")
	passes(t, code, doc, "meta")
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
	checkNamesInJSON(t, doc["meta"]["checks"], "deltas: all bots joined", "full: all bots joined",
		"delta payload per client·s", "the delta server sent deltas", "the -full-snapshots server sent only full snapshots")
}

func TestIntegrationResumeRSTCommand(t *testing.T) {
	serverBin := benchtest.Path(t)
	code, doc, _ := runCommandJSON(t, "resume", "-server", serverBin, "-n", "6", "-players", "3", "-rst",
		"-spread", "300ms", "-warmup", "300ms", "-window", "2300ms")
	passes(t, code, doc, "resume")
	r := doc["resume"]
	if r["resumed"] != 6.0 || r["resume_failed"] != 0.0 || r["server_resumes"] != 6.0 {
		t.Errorf("resumed %v failed %v server %v (%v)", r["resumed"], r["resume_failed"], r["server_resumes"], r["resume_fail_reasons"])
	}
}

func TestIntegrationMatchAwayCommand(t *testing.T) {
	serverBin := benchtest.Path(t)
	code, doc, _ := runCommandJSON(t, "match", "-server", serverBin, "-away", "-rate", "300", "-n", "30", "-mode", "arena", "-capacity", "16",
		"-min-rate-ratio", "1e-9")
	passes(t, code, doc, "match")
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

// robust runs the three scenarios, each on a fresh server, and writes one
// JSON document with a pass line each; it exits 0 when all three pass, 1
// otherwise. Whether each passes in so short a run (the slow bots cannot
// be disconnected in a 1 s window: the server gives up on a client after
// 10 s) is the scenarios' business, tested with them; here every section
// must be there and judged, and the document, the table and the exit
// status must agree.
func TestIntegrationRobustCommand(t *testing.T) {
	code, doc, table := runCommandJSON(t, "robust", "-server", benchtest.Path(t),
		"-stall-n", "10", "-legit", "5", "-handshake-timeout", "1500ms", "-frame-timeout", "1500ms",
		"-churn-total", "20", "-churn-rate", "40", "-churn-cycles", "1", "-churn-hold", "100ms", "-churn-rooms", "2",
		"-warmup-cycles", "0", "-room-wait", "0",
		"-rooms", "1", "-players", "5", "-fraction", "0.2", "-ref-window", "1s", "-window", "1s", "-warmup", "200ms")
	allPass := true
	for _, name := range []string{"stall", "churn", "slow"} {
		sec, ok := doc[name]
		if !ok {
			t.Errorf("robustness.json: no %s section", name)
			continue
		}
		if e, ok := sec["error"]; ok {
			t.Errorf("%s: %v", name, e)
		}
		p, ok := sec["pass"].(bool)
		if !ok {
			t.Errorf("%s: no pass boolean", name)
		}
		list, _ := sec["checks"].([]any)
		if len(list) == 0 {
			t.Errorf("%s: no checks", name)
		}
		allOK := true
		for _, c := range list {
			m, _ := c.(map[string]any)
			ok, _ := m["ok"].(bool) // a skipped check is ok
			allOK = allOK && ok
		}
		if p != allOK {
			t.Errorf("%s: pass %v, but its checks say %v", name, p, allOK)
		}
		want := name + ": FAIL"
		if p {
			want = name + ": PASS"
		}
		if !strings.Contains(table, want) {
			t.Errorf("no %q line in the output", want)
		}
		allPass = allPass && p
	}
	if mp, ok := doc["meta"]["pass"].(bool); !ok || mp != allPass {
		t.Errorf("meta.pass = %v, sections %v", doc["meta"]["pass"], allPass)
	}
	if want := map[bool]int{true: 0, false: 1}[allPass]; code != want {
		t.Errorf("exit %d, want %d", code, want)
	}
}

// flagsOf lists the flags `skirmish-bots name -h` prints.
func flagsOf(t *testing.T, name string) map[string]bool {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := Main(t.Context(), []string{name, "-h"}, &stdout, &stderr); code != 0 {
		t.Fatalf("%s -h: exit %d\n%s", name, code, stderr.String())
	}
	flags := map[string]bool{}
	for _, line := range strings.Split(stderr.String(), "\n") {
		if rest, ok := strings.CutPrefix(line, "  -"); ok {
			flags[strings.Fields(rest)[0]] = true
		}
	}
	return flags
}

// Each command's -h lists its own flags: the load flags for the load
// commands, and only the flags it reads.
func TestHelpListsOnlyTheCommandsFlags(t *testing.T) {
	load := []string{"url", "admin-url", "latency", "warmup", "window", "connect-timeout", "server-pid", "per-process",
		"dial-concurrency", "connect-rate", "workers", "src-addrs", "quiet"}
	own := map[string][]string{
		"idle":      {"n"},
		"play":      {"rooms", "players", "mode", "validate", "entities"},
		"slow":      {"rooms", "players", "mode", "validate", "entities", "fraction", "rcvbuf", "ref-window", "gap-rise-max", "gap-stat"},
		"churn":     {"rate", "duration", "total", "warmup-cycles", "hold", "cycles", "rooms", "players", "settle", "room-wait", "tolerance"},
		"stall":     {"n", "legit", "players", "handshake-timeout", "frame-timeout", "grace", "join-p99-max"},
		"baseline":  {"rooms", "players", "mode", "validate", "entities", "snapshot-bytes"},
		"suite":     {"server", "idle-n", "idle-warmup", "idle-window", "rooms", "players", "one-server"},
		"interest":  {"server", "server-args", "small-mode", "small-rooms", "small-players", "large-mode", "large-rooms", "large-players", "max-cpu-ratio"},
		"bandwidth": {"server", "server-args", "mode", "rooms", "players", "max-delta-bytes"},
		"resume":    {"server", "server-args", "n", "players", "mode", "spread", "rst"},
		"match":     {"server", "server-args", "rate", "duration", "n", "mode", "capacity", "input-every", "min-rate-ratio", "away"},
		"robust": {"server", "only", "stall-n", "legit", "handshake-timeout", "frame-timeout", "churn-total", "churn-rate",
			"churn-cycles", "churn-hold", "churn-rooms", "warmup-cycles", "room-wait", "rooms", "players", "fraction", "ref-window", "gap-stat"},
	}
	for name, flags := range own {
		want := map[string]bool{"json": true}
		for _, f := range append(load, flags...) {
			want[f] = true
		}
		if got := flagsOf(t, name); !maps.Equal(got, want) {
			t.Errorf("%s -h lists %v, want %v", name, slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
		}
	}
	want := map[string]bool{"json": true, "url": true, "hang": true, "quick": true, "only": true}
	if got := flagsOf(t, "abuse"); !maps.Equal(got, want) {
		t.Errorf("abuse -h lists %v", slices.Sorted(maps.Keys(got)))
	}
	if len(own)+1 != len(commands()) {
		t.Errorf("%d commands, %d checked", len(commands()), len(own)+1)
	}
}

func TestMainExitStatus(t *testing.T) {
	// Usage errors are 2, help is 0 (checked without a server).
	for _, c := range []struct {
		args []string
		want int
	}{
		{nil, 2},
		{[]string{"nope"}, 2},
		{[]string{"help"}, 0},
		{[]string{"robust"}, 2},
		{[]string{"robust", "-server", "x", "-only", "nope"}, 2},
		{[]string{"suite"}, 2},
		{[]string{"interest"}, 2},
		{[]string{"bandwidth"}, 2},
		{[]string{"match", "-bogus"}, 2},
		{[]string{"resume", "extra"}, 2},
	} {
		var stdout, stderr bytes.Buffer
		if code := Main(t.Context(), c.args, &stdout, &stderr); code != c.want {
			t.Errorf("%v: exit %d, want %d (%s)", c.args, code, c.want, stderr.String())
		}
	}
}
