package bench

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Integration tests of the robustness scenarios (stall, churn, slow,
// robust) against the real server. Like the others they check behaviour
// and that the figures and the verdict's checks are there, never how
// fast anything is: the bars that are speeds (join p99, gap p99 rise,
// lateness) are judged by the scenarios, not asserted here.

func startRealServerArgs(t *testing.T, args ...string) *ServerProcess {
	t.Helper()
	requireServerBin(t)
	s, err := StartServerProcess(serverBin, args...)
	if err != nil {
		t.Fatalf("start server: %v", err)
	}
	t.Cleanup(func() {
		alive := s.Alive()
		if err := s.Stop(); err != nil {
			t.Errorf("stop server: %v", err)
		}
		if !alive {
			t.Errorf("the server had exited during the test")
		}
		if t.Failed() || !alive {
			t.Logf("server output (tail):\n%s", tail(s.Logs(), 4000))
		}
	})
	return s
}

func checkNames(v *Verdict) map[string]Check {
	m := map[string]Check{}
	for _, c := range v.Checks {
		m[c.Name] = c
	}
	return m
}

func logVerdict(t *testing.T, f *Figures, v *Verdict) {
	t.Helper()
	rep := NewReport(v.Scenario)
	rep.Add(v.Scenario, f)
	rep.AddVerdict(v, f)
	var b bytes.Buffer
	rep.WriteTable(&b)
	t.Logf("\n%s", b.String())
}

func TestIntegrationStall(t *testing.T) {
	s := startRealServerArgs(t, "-handshake-timeout", "2s", "-frame-timeout", "2s")
	o := testOptions(s)
	const n, legit = 40, 10
	f, v, err := RunStall(t.Context(), o, StallConfig{N: n, Legit: legit, LegitPlayers: 5,
		HandshakeTimeout: 2 * time.Second, FrameTimeout: 2 * time.Second,
		LegitWarmup: 100 * time.Millisecond, LegitWindow: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	logVerdict(t, f, v)
	for _, k := range []string{"half_upgrade", "half_frame"} {
		if got := figure(t, f, k+"_stalled"); got != n/2 {
			t.Errorf("%s: %v of %d stalled", k, got, n/2)
		}
		// Every stalled peer is closed by the server, never before its
		// deadline (our clock starts before the server's).
		if got := figure(t, f, k+"_closed"); got != n/2 {
			t.Errorf("%s: the server closed %v of %d", k, got, n/2)
		}
		if got := figure(t, f, k+"_closed_early"); got != 0 {
			t.Errorf("%s: %v closed before their deadline", k, got)
		}
		figure(t, f, k+"_lateness_p99_ms")
	}
	if got, _ := f.Get("half_frame_close_codes"); got != "1008=20" {
		t.Errorf("half frames closed with %v, want 1008 each", got)
	}
	if got, _ := f.Get("half_upgrade_close_codes"); got != "none=20" {
		t.Errorf("half upgrades closed with %v, want no close frame (no WebSocket yet)", got)
	}
	if figure(t, f, "server_handshake_timeouts") != n/2 || figure(t, f, "server_frame_timeouts") != n/2 {
		t.Errorf("server counted %v handshake and %v frame timeouts, want %d each",
			f.Float("server_handshake_timeouts"), f.Float("server_frame_timeouts"), n/2)
	}
	if figure(t, f, "legit_joined") != legit || figure(t, f, "legit_failed") != 0 {
		t.Errorf("legit bots: %v joined, %v failed (%v)", f.Float("legit_joined"), f.Float("legit_failed"), f.vals["legit_fail_reasons"])
	}
	for _, k := range []string{"legit_join_p50_ms", "legit_join_p99_ms", "legit_connect_p99_ms", "legit_handshake_p99_ms"} {
		if figure(t, f, k) <= 0 {
			t.Errorf("%s = %v", k, f.Float(k))
		}
	}
	if figure(t, f, "server_connections_stalled") < n {
		t.Errorf("the server held %v connections while %d peers stalled", f.Float("server_connections_stalled"), n)
	}
	checks := checkNames(v)
	for _, name := range []string{"peers stalled", "all stalled while the bots joined", "every legit bot joined", "legit join p99",
		"half upgrades closed in time", "half frames closed in time with 1008", "server timeout counters"} {
		if _, ok := checks[name]; !ok {
			t.Errorf("verdict lacks %q", name)
		}
	}
	for _, name := range []string{"peers stalled", "every legit bot joined", "server timeout counters"} {
		if !checks[name].OK {
			t.Errorf("%s: %s", name, checks[name].Detail)
		}
	}
	if p, _ := f.Get("pass"); p != v.Pass() {
		t.Errorf("pass figure %v, verdict %v", p, v.Pass())
	}
}

func TestIntegrationChurn(t *testing.T) {
	s := startRealServer(t)
	o := testOptions(s)
	f, v, res, err := RunChurn(t.Context(), o, ChurnConfig{Total: 60, Rate: 40, Cycles: 2, Hold: 100 * time.Millisecond,
		Rooms: 3, WarmupCycles: 10})
	if err != nil {
		t.Fatal(err)
	}
	logVerdict(t, f, v)
	st := res.Stats
	if st.Cycles != 60 || st.Leaves != 60 || st.CyclesFailed != 0 || st.Failed != 0 {
		t.Errorf("cycles %d leaves %d failed cycles %d failed %d (%v, errors %v)", st.Cycles, st.Leaves, st.CyclesFailed, st.Failed, st.FailReasons, st.ErrorCodes)
	}
	if figure(t, f, "connections") != 30 {
		t.Errorf("%v connections for 60 cycles at 2 each", f.Float("connections"))
	}
	// Every bot left: the server is back to its connections and fds; the
	// pool's rooms were there at the start (after the warmup) and still are.
	if start, after := figure(t, f, "server_connections_start"), figure(t, f, "server_connections_after"); after != start {
		t.Errorf("server connections %v at the start, %v a second after every bot left", start, after)
	}
	if start, after := figure(t, f, "server_fds_start"), figure(t, f, "server_fds_after"); after != start {
		t.Errorf("server fds %v at the start, %v after", start, after)
	}
	if figure(t, f, "server_rooms_start") != 3 || figure(t, f, "server_rooms_after") != 3 {
		t.Errorf("rooms %v at the start, %v after; want the pool of 3", f.Float("server_rooms_start"), f.Float("server_rooms_after"))
	}
	for _, k := range []string{"server_goroutines_cold", "server_goroutines_ratio", "server_rss_start_bytes", "server_rss_after_bytes", "server_rss_ratio", "cycles_per_s"} {
		figure(t, f, k)
	}
	checks := checkNames(v)
	for _, name := range []string{"cycles done", "goroutines at start level", "fds at start level", "connections at start level", "RSS at start level"} {
		if _, ok := checks[name]; !ok {
			t.Errorf("verdict lacks %q", name)
		}
	}
	if !checks["cycles done"].OK || !checks["fds at start level"].OK {
		t.Errorf("cycles: %s; fds: %s", checks["cycles done"].Detail, checks["fds at start level"].Detail)
	}
}

func TestIntegrationSlow(t *testing.T) {
	s := startRealServer(t)
	o := testOptions(s)
	o.Window = time.Second
	f, v, err := RunSlow(t.Context(), o, SlowConfig{Play: PlayConfig{Rooms: 1, Players: 10, SlowFraction: 0.2}, RefWindow: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	logVerdict(t, f, v)
	if figure(t, f, "slow_bots") != 2 {
		t.Fatalf("%v slow bots, want 2", f.Float("slow_bots"))
	}
	// The same 8 readers are measured in both windows and keep getting
	// snapshots next to the slow ones.
	if figure(t, f, "ref_clients_measured") != 8 || figure(t, f, "clients_measured") != 8 {
		t.Errorf("readers measured: %v in the reference window, %v in the window; want 8",
			f.Float("ref_clients_measured"), f.Float("clients_measured"))
	}
	for _, k := range []string{"ref_gap_p99_ms", "gap_p99_ms", "ref_gap_p99_median_1s_ms", "gap_p99_median_1s_ms", "ref_snapshots_per_client_s", "snapshots_per_client_s"} {
		if figure(t, f, k) <= 0 {
			t.Errorf("%s = %v", k, f.Float(k))
		}
	}
	for _, k := range []string{"gap_p99_rise_ms", "gap_p99_median_1s_rise_ms", "server_rss_ref_max_bytes", "server_rss_window_max_bytes", "server_rss_bound_bytes", "slow_disconnected", "server_slow_closed"} {
		figure(t, f, k)
	}
	series, ok := f.Get("gap_p99_by_second_ms")
	if s, _ := series.([]float64); !ok || len(s) < 2 {
		t.Errorf("per-second gap series: %v", series)
	}
	checks := checkNames(v)
	for _, name := range []string{"all bots joined", "readers measured in both windows", "readers' gap p99 rise", "server RSS bounded", "slow bots disconnected by the server"} {
		if _, ok := checks[name]; !ok {
			t.Errorf("verdict lacks %q", name)
		}
	}
	if !checks["all bots joined"].OK || !checks["readers measured in both windows"].OK {
		t.Errorf("%s; %s", checks["all bots joined"].Detail, checks["readers measured in both windows"].Detail)
	}
}

// robust runs the three scenarios, each on a fresh server, and writes one
// JSON document with a pass line each. With a 1 s window the server
// (which gives up on a peer after 10 s of unsent bytes) cannot have
// disconnected the slow bots, so the run fails, and says so with exit
// status 1.
func TestIntegrationRobustCommand(t *testing.T) {
	requireServerBin(t)
	out := filepath.Join(t.TempDir(), "robustness.json")
	var stdout, stderr bytes.Buffer
	code := Main(t.Context(), []string{"robust", "-server", serverBin, "-json", out, "-quiet",
		"-stall-n", "10", "-legit", "5", "-handshake-timeout", "1500ms", "-frame-timeout", "1500ms",
		"-churn-total", "20", "-churn-rate", "40", "-churn-cycles", "1", "-churn-hold", "100ms", "-churn-rooms", "2",
		"-warmup-cycles", "0", "-room-wait", "0",
		"-rooms", "1", "-players", "5", "-fraction", "0.2", "-ref-window", "1s", "-window", "1s", "-warmup", "200ms"}, &stdout, &stderr)
	t.Logf("stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
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
		allPass = allPass && p
		if c, _ := sec["checks"].([]any); len(c) == 0 {
			t.Errorf("%s: no checks", name)
		}
	}
	if p, _ := doc["slow"]["pass"].(bool); p {
		t.Errorf("slow passed with a 1 s window: the slow bots cannot have been disconnected")
	}
	if mp, ok := doc["meta"]["pass"].(bool); !ok || mp != allPass {
		t.Errorf("meta.pass = %v, sections %v", doc["meta"]["pass"], allPass)
	}
	if want := map[bool]int{true: 0, false: 1}[allPass]; code != want {
		t.Errorf("exit %d, want %d", code, want)
	}
	if !bytes.Contains(stdout.Bytes(), []byte("slow: FAIL")) {
		t.Errorf("no FAIL line for slow in the output")
	}
}
