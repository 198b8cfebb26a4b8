package robustness

import (
	"strings"
	"testing"
	"time"

	"github.com/skirmishgg/skirmish/bench/botnet"
	"github.com/skirmishgg/skirmish/bench/internal/benchtest"
	"github.com/skirmishgg/skirmish/bench/scenario"
	"github.com/skirmishgg/skirmish/bench/target"
)

// Integration tests of the robustness scenarios against the real server.
// Like the others they check behaviour and that the figures and the
// verdict's checks are there, never how fast anything is: the bars that
// are speeds (join p99, gap p99 rise, lateness) are judged by the
// scenarios, not asserted here.

func TestMain(m *testing.M) { benchtest.Main(m) }

func testOptions(s *target.Server) scenario.Options {
	return scenario.Options{URL: s.URL, AdminURL: s.Admin, ServerPID: s.PID, Warmup: benchtest.Warmup, Window: benchtest.Window,
		ConnectTimeout: benchtest.ConnectTimeout, Workers: 2}
}

func TestIntegrationStall(t *testing.T) {
	s := benchtest.Start(t, "-handshake-timeout", "2s", "-frame-timeout", "2s")
	o := testOptions(s)
	const n, legit = 40, 10
	parts, v, err := runStall(t.Context(), o, stallConfig{N: n, Legit: legit, LegitPlayers: 5,
		HandshakeTimeout: 2 * time.Second, FrameTimeout: 2 * time.Second,
		LegitWarmup: 100 * time.Millisecond, LegitWindow: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	benchtest.Log(t, "stall", v, parts...)
	f := benchtest.Figures(t, parts...)
	for _, k := range []string{"half_upgrade", "half_frame"} {
		if got := benchtest.Figure(t, f, k+"_stalled"); got != n/2 {
			t.Errorf("%s: %v of %d stalled", k, got, n/2)
		}
		// Every stalled peer is closed by the server, never before its
		// deadline (our clock starts before the server's).
		if got := benchtest.Figure(t, f, k+"_closed"); got != n/2 {
			t.Errorf("%s: the server closed %v of %d", k, got, n/2)
		}
		if got := benchtest.Figure(t, f, k+"_closed_early"); got != 0 {
			t.Errorf("%s: %v closed before their deadline", k, got)
		}
		if got := benchtest.Figure(t, f, k+"_lateness_p99_ms"); got < 0 {
			t.Errorf("%s: lateness p99 %v ms: closed before the deadline", k, got)
		}
	}
	if got := f["half_frame_close_codes"]; got != "1008=20" {
		t.Errorf("half frames closed with %v, want 1008 each", got)
	}
	if got := f["half_upgrade_close_codes"]; got != "none=20" {
		t.Errorf("half upgrades closed with %v, want no close frame (no WebSocket yet)", got)
	}
	if benchtest.Figure(t, f, "server_handshake_timeouts") != n/2 || benchtest.Figure(t, f, "server_frame_timeouts") != n/2 {
		t.Errorf("server counted %v handshake and %v frame timeouts, want %d each",
			f["server_handshake_timeouts"], f["server_frame_timeouts"], n/2)
	}
	if benchtest.Figure(t, f, "legit_joined") != legit || benchtest.Figure(t, f, "legit_failed") != 0 {
		t.Errorf("legit bots: %v joined, %v failed (%v)", f["legit_joined"], f["legit_failed"], f["legit_fail_reasons"])
	}
	for _, k := range []string{"legit_join_p50_ms", "legit_join_p99_ms", "legit_connect_p99_ms", "legit_handshake_p99_ms"} {
		if benchtest.Figure(t, f, k) <= 0 {
			t.Errorf("%s = %v", k, f[k])
		}
	}
	if benchtest.Figure(t, f, "server_connections_stalled") < n {
		t.Errorf("the server held %v connections while %d peers stalled", f["server_connections_stalled"], n)
	}
	checks := benchtest.Checks(v)
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
}

func TestIntegrationChurn(t *testing.T) {
	// The pool's rooms outlive the test's pauses (empty rooms close after
	// the room idle timeout).
	s := benchtest.Start(t, "-room-idle-timeout", "1m")
	o := testOptions(s)
	parts, v, err := runChurn(t.Context(), o, churnConfig{Total: 60, Rate: 40, Cycles: 2, Hold: 100 * time.Millisecond,
		Rooms: 3, WarmupCycles: 10})
	if err != nil {
		t.Fatal(err)
	}
	benchtest.Log(t, "churn", v, parts...)
	f := benchtest.Figures(t, parts...)
	for k, want := range map[string]float64{"cycles": 60, "leaves": 60, "cycles_failed": 0, "clients_failed": 0} {
		if got := benchtest.Figure(t, f, k); got != want {
			t.Errorf("%s = %v, want %v (%v, errors %v)", k, got, want, f["fail_reasons"], f["error_codes"])
		}
	}
	if benchtest.Figure(t, f, "connections") != 30 {
		t.Errorf("%v connections for 60 cycles at 2 each", f["connections"])
	}
	// Every bot left: the server is back to its connections and fds; the
	// pool's rooms were there at the start (after the warmup) and still are.
	if start, after := benchtest.Figure(t, f, "server_connections_start"), benchtest.Figure(t, f, "server_connections_after"); after != start {
		t.Errorf("server connections %v at the start, %v a second after every bot left", start, after)
	}
	if start, after := benchtest.Figure(t, f, "server_fds_start"), benchtest.Figure(t, f, "server_fds_after"); after != start {
		t.Errorf("server fds %v at the start, %v after", start, after)
	}
	if benchtest.Figure(t, f, "server_rooms_start") != 3 || benchtest.Figure(t, f, "server_rooms_after") != 3 {
		t.Errorf("rooms %v at the start, %v after; want the pool of 3", f["server_rooms_start"], f["server_rooms_after"])
	}
	// The ratios are of the levels reported beside them.
	for _, k := range []string{"goroutines", "rss"} {
		unit := map[string]string{"goroutines": "", "rss": "_bytes"}[k]
		start, after := benchtest.Figure(t, f, "server_"+k+"_start"+unit), benchtest.Figure(t, f, "server_"+k+"_after"+unit)
		if start <= 0 {
			t.Errorf("server_%s_start%s = %v", k, unit, start)
		} else if r := benchtest.Figure(t, f, "server_"+k+"_ratio"); !benchtest.Near(r, after/start) {
			t.Errorf("server_%s_ratio %v, but %v / %v = %v", k, r, after, start, after/start)
		}
	}
	if benchtest.Figure(t, f, "server_goroutines_cold") <= 0 || benchtest.Figure(t, f, "cycles_per_s") <= 0 {
		t.Errorf("goroutines cold %v, cycles/s %v: want > 0", f["server_goroutines_cold"], f["cycles_per_s"])
	}
	checks := benchtest.Checks(v)
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
	s := benchtest.Start(t)
	o := testOptions(s)
	o.Window = time.Second
	r, v, err := runSlow(t.Context(), o, slowConfig{Play: scenario.PlayConfig{Rooms: 1, Players: 10, SlowFraction: 0.2}, RefWindow: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	benchtest.Log(t, "slow", v, r)
	f := benchtest.Figures(t, r)
	if benchtest.Figure(t, f, "slow_bots") != 2 {
		t.Fatalf("%v slow bots, want 2", f["slow_bots"])
	}
	// The same 8 readers are measured in both windows and keep getting
	// snapshots next to the slow ones.
	if benchtest.Figure(t, f, "ref_clients_measured") != 8 || benchtest.Figure(t, f, "clients_measured") != 8 {
		t.Errorf("readers measured: %v in the reference window, %v in the window; want 8",
			f["ref_clients_measured"], f["clients_measured"])
	}
	for _, k := range []string{"ref_gap_p99_ms", "gap_p99_ms", "ref_gap_p99_median_1s_ms", "gap_p99_median_1s_ms", "ref_snapshots_per_client_s", "snapshots_per_client_s"} {
		if benchtest.Figure(t, f, k) <= 0 {
			t.Errorf("%s = %v", k, f[k])
		}
	}
	// The rises are of the figures beside them; the bots saw as many slow
	// clients disconnected as the server closed (with its 10 s write
	// stall and a 1 s window, none: that the server kicks a client that
	// stops reading is the server's tests' business).
	for _, k := range []string{"gap_p99", "gap_p99_median_1s"} {
		rise, win, ref := benchtest.Figure(t, f, k+"_rise_ms"), benchtest.Figure(t, f, k+"_ms"), benchtest.Figure(t, f, "ref_"+k+"_ms")
		if !benchtest.Near(rise, win-ref) {
			t.Errorf("%s_rise_ms %v, but %v - %v = %v", k, rise, win, ref, win-ref)
		}
	}
	if d, c := benchtest.Figure(t, f, "slow_disconnected"), benchtest.Figure(t, f, "server_slow_closed"); d != c {
		t.Errorf("the bots saw %v slow clients disconnected, the server closed %v", d, c)
	}
	if ref, win := benchtest.Figure(t, f, "server_rss_ref_max_bytes"), benchtest.Figure(t, f, "server_rss_window_max_bytes"); ref <= 0 || win <= 0 || benchtest.Figure(t, f, "server_rss_bound_bytes") <= ref {
		t.Errorf("server RSS: %v in the reference window, %v in the window, bound %v", ref, win, f["server_rss_bound_bytes"])
	}
	series, ok := f["gap_p99_by_second_ms"]
	if s, _ := series.([]any); !ok || len(s) < 2 {
		t.Errorf("per-second gap series: %v", series)
	}
	checks := benchtest.Checks(v)
	for _, name := range []string{"all bots joined", "readers measured in both windows", "readers' gap p99 rise", "server RSS bounded", "slow bots disconnected by the server"} {
		if _, ok := checks[name]; !ok {
			t.Errorf("verdict lacks %q", name)
		}
	}
	if !checks["all bots joined"].OK || !checks["readers measured in both windows"].OK {
		t.Errorf("%s; %s", checks["all bots joined"].Detail, checks["readers measured in both windows"].Detail)
	}
}

func TestIntegrationAbuse(t *testing.T) {
	// Short server timeouts, so that the cases that hang are closed well
	// within the time each case waits.
	s := benchtest.Start(t, "-handshake-timeout", "1s", "-frame-timeout", "1s")
	results, err := runAbuse(t.Context(), abuseConfig{URL: s.URL, Hang: 5 * time.Second, Quick: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	results.WriteTable(&b)
	t.Logf("\n%s", b.String())
	for _, r := range results {
		if strings.HasPrefix(r.Note, "upgrade:") || strings.HasPrefix(r.Note, "dial:") || strings.HasPrefix(r.Note, "handshake:") {
			t.Errorf("%s: could not even start: %s", r.Case, r.Note)
		}
		if !r.AsExpected {
			t.Errorf("%s: the server answered %s; expected %s", r.Case, abuseOutcome(r), r.Expect)
		}
	}
	if len(results) != len(abuseCases()) {
		t.Errorf("%d results for %d cases", len(results), len(abuseCases()))
	}
	// The server survived and still serves.
	o := testOptions(s)
	o.ServerPID = 0
	res, err := botnet.Run(t.Context(), o.RunConfig("idle", o.ShardSpec(botnet.WorkIdle, 5)))
	if err != nil {
		t.Fatal(err)
	}
	if res.Stats.Connected != 5 {
		t.Errorf("after the abuse, %d of 5 bots connected", res.Stats.Connected)
	}
}
