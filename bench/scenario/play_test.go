package scenario

import (
	"testing"
	"time"

	"github.com/skirmishgg/skirmish/bench/botnet"
	"github.com/skirmishgg/skirmish/bench/internal/benchtest"
)

func TestIntegrationIdle(t *testing.T) {
	s := benchtest.Start(t)
	r, res, err := runIdle(t.Context(), testOptions(s), 50)
	if err != nil {
		t.Fatal(err)
	}
	benchtest.Log(t, "idle", nil, r)
	f := benchtest.Figures(t, r)
	if got := benchtest.Figure(t, f, "clients_connected"); got != 50 {
		t.Errorf("clients_connected = %v, want 50 (fail reasons: %v)", got, res.Stats.FailReasons)
	}
	if got := benchtest.Figure(t, f, "clients_failed"); got != 0 {
		t.Errorf("clients_failed = %v", got)
	}
	if res.Stats.Snapshots != 0 {
		t.Errorf("idle bots outside rooms received %d snapshots", res.Stats.Snapshots)
	}
	if _, ok := f["clients_joined"]; ok {
		t.Error("idle bots report joins")
	}
	if benchtest.Figure(t, f, "server_rss_bytes") <= 0 {
		t.Error("server RSS not sampled")
	}
	if benchtest.Figure(t, f, "server_connections") < 50 {
		t.Errorf("/debug/stats reports %v connections with 50 idle bots", f["server_connections"])
	}
	benchtest.Figure(t, f, "server_goroutines")
	benchtest.Figure(t, f, "server_cpu_us_per_client_s")
}

func checkPlay(t *testing.T, f map[string]any, res *botnet.RunResult, bots int64) {
	t.Helper()
	st := res.Stats
	if st.Joined != bots || st.Failed != 0 {
		t.Errorf("joined %d of %d, failed %d (%v, errors %v)", st.Joined, bots, st.Failed, st.FailReasons, st.ErrorCodes)
	}
	if st.TickRate == 0 {
		t.Error("Welcome carried no tick_rate")
	}
	if st.Snapshots == 0 || st.Gap.Count() == 0 {
		t.Fatalf("no snapshots measured (%d)", st.Snapshots)
	}
	if st.RTT.Count() == 0 {
		t.Errorf("input_ack never advanced: no input→ack round trip measured (%d inputs sent, %d acks lost)", st.InputsSent, st.AcksLost)
	}
	if st.ProtocolErrors != 0 {
		t.Errorf("%d protocol errors", st.ProtocolErrors)
	}
	for _, k := range []string{"join_p50_ms", "join_p99_ms", "snapshots_per_client_s", "gap_p50_ms", "gap_p99_ms", "gap_max_ms",
		"rtt_p50_ms", "rtt_p99_ms", "payload_bytes_per_client_s", "wire_bytes_per_client_s"} {
		if v := benchtest.Figure(t, f, k); v <= 0 {
			t.Errorf("%s = %v, want > 0", k, v)
		}
	}
	if benchtest.Figure(t, f, "wire_bytes_per_client_s") < benchtest.Figure(t, f, "payload_bytes_per_client_s") {
		t.Error("fewer wire bytes than payload bytes")
	}
}

func TestIntegrationPlay(t *testing.T) {
	s := benchtest.Start(t)
	o := testOptions(s)
	r, res, err := RunPlay(t.Context(), o, PlayConfig{Rooms: 2, Players: 5, Validate: true}, "play", 0)
	if err != nil {
		t.Fatal(err)
	}
	benchtest.Log(t, "play", nil, r)
	f := benchtest.Figures(t, r)
	checkPlay(t, f, res, 10)
	if benchtest.Figure(t, f, "server_cpu_us_per_client_tick") < 0 {
		t.Error("negative server CPU")
	}
	benchtest.Figure(t, f, "server_cpu_core_fraction")
	benchtest.Figure(t, f, "server_rss_per_conn_bytes")
	if f["mode"] != "movers" {
		t.Errorf("mode %v", f["mode"])
	}
}

func TestIntegrationPlayWithLatency(t *testing.T) {
	s := benchtest.Start(t)
	o := testOptions(s)
	o.Latency = 50 * time.Millisecond
	r, res, err := RunPlay(t.Context(), o, PlayConfig{Rooms: 1, Players: 4}, "play", 0)
	if err != nil {
		t.Fatal(err)
	}
	f := benchtest.Figures(t, r)
	checkPlay(t, f, res, 4)
	if min := res.Stats.RTT.Min(); min < o.Latency.Microseconds() {
		t.Errorf("RTT min %dus below the %v simulated latency", min, o.Latency)
	}
	if got := benchtest.Figure(t, f, "latency_ms"); got != 50 {
		t.Errorf("latency_ms = %v", got)
	}
}

func TestIntegrationBaseline(t *testing.T) {
	s := benchtest.Start(t)
	o := testOptions(s)
	pc := PlayConfig{Rooms: 1, Players: 10}
	play, _, err := RunPlay(t.Context(), o, pc, "play", 0)
	if err != nil {
		t.Fatal(err)
	}
	size := play.snapshotBytes()
	bo := o
	bo.ServerPID = 0
	base, res, err := runBaseline(t.Context(), bo, pc, size)
	if err != nil {
		t.Fatal(err)
	}
	cmp := compare(play, base)
	benchtest.Log(t, "baseline", nil, base)
	fb := benchtest.Figures(t, base)
	checkPlay(t, fb, res, 10)
	// The baseline sends snapshots of the measured size.
	if got := benchtest.Figure(t, fb, "snapshot_bytes_mean"); got != float64(size) {
		t.Errorf("baseline snapshots are %v bytes, asked %d", got, size)
	}
	if benchtest.Figure(t, fb, "server_rss_bytes") <= 0 {
		t.Error("baseline process not sampled")
	}
	if _, ok := fb["server_goroutines"]; ok {
		t.Error("the baseline has no /debug/stats, yet its goroutines are reported")
	}
	benchtest.Figure(t, fb, "cpu_ratio_to_baseline")
	fp := benchtest.Figures(t, play, cmp)
	benchtest.Figure(t, fp, "cpu_ratio_to_baseline")
	if got, want := benchtest.Figure(t, fp, "baseline_cpu_us_per_client_tick"), benchtest.Figure(t, fb, "server_cpu_us_per_client_tick"); got != want {
		t.Errorf("baseline CPU %v in the play section, the baseline measured %v", got, want)
	}
}

func TestIntegrationPlayModeLargeCountsEntities(t *testing.T) {
	s := benchtest.Start(t)
	o := testOptions(s)
	o.Window = time.Second
	r, res, err := RunPlay(t.Context(), o, PlayConfig{Mode: "movers-large", Rooms: 1, Players: 12, TrackEntities: true}, "play", 0)
	if err != nil {
		t.Fatal(err)
	}
	benchtest.Log(t, "play", nil, r)
	f := benchtest.Figures(t, r)
	checkPlay(t, f, res, 12)
	if mode := f["mode"]; mode != "movers-large" {
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
	if benchtest.Figure(t, f, "full_snapshot_fraction") >= 0.5 {
		t.Errorf("bots that acknowledge every tick got %v full snapshots", f["full_snapshot_fraction"])
	}
	benchtest.Figure(t, f, "entities_per_snapshot_mean")
}

func TestIntegrationPlayUnknownMode(t *testing.T) {
	s := benchtest.Start(t)
	o := testOptions(s)
	o.ServerPID = 0
	o.Window = 300 * time.Millisecond
	_, res, err := RunPlay(t.Context(), o, PlayConfig{Mode: "no-such-mode", Rooms: 1, Players: 2}, "play", 0)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stats.Joined != 0 || res.Stats.ErrorCodes["ERROR_CODE_UNKNOWN_MODE"] != 2 {
		t.Errorf("joined %d, errors %v", res.Stats.Joined, res.Stats.ErrorCodes)
	}
}
