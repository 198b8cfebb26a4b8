package bench

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skirmishgg/skirmish/bench/botnet"
)

// Integration tests: one short run per scenario against the real server
// (built by TestMain). They check that the scenario works end to end and
// that the figures are there and coherent, never how fast anything is.
// With -short they are skipped, saying so; a server that does not build
// fails them.

// requireServerBin skips under -short (saying so) and fails when the
// server did not build.
func requireServerBin(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: needs the real server, skipped with -short")
	}
	if serverBuildErr != nil {
		t.Fatalf("cannot run against the real server: %v", serverBuildErr)
	}
}

func startRealServer(t *testing.T) *ServerProcess {
	t.Helper()
	requireServerBin(t)
	s, err := StartServerProcess(serverBin)
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

func testOptions(s *ServerProcess) Options {
	return Options{
		URL:            s.URL,
		ServerPID:      s.PID,
		Warmup:         300 * time.Millisecond,
		Window:         1500 * time.Millisecond,
		ConnectTimeout: 20 * time.Second,
		Workers:        2,
	}
}

func figure(t *testing.T, f *Figures, key string) float64 {
	t.Helper()
	if _, ok := f.Get(key); !ok {
		t.Fatalf("figure %q missing; have %v", key, f.Keys())
	}
	return f.Float(key)
}

func logFigures(t *testing.T, name string, f *Figures) {
	t.Helper()
	rep := NewReport(name)
	rep.Add(name, f)
	var b bytes.Buffer
	rep.WriteTable(&b)
	t.Logf("\n%s", b.String())
}

func TestIntegrationIdle(t *testing.T) {
	s := startRealServer(t)
	f, res, err := RunIdle(t.Context(), testOptions(s), 50)
	if err != nil {
		t.Fatal(err)
	}
	logFigures(t, "idle", f)
	if got := figure(t, f, "clients_connected"); got != 50 {
		t.Errorf("clients_connected = %v, want 50 (fail reasons: %v)", got, res.Stats.FailReasons)
	}
	if got := figure(t, f, "clients_failed"); got != 0 {
		t.Errorf("clients_failed = %v", got)
	}
	if res.Stats.Snapshots != 0 {
		t.Errorf("idle bots outside rooms received %d snapshots", res.Stats.Snapshots)
	}
	if figure(t, f, "server_rss_bytes") <= 0 {
		t.Error("server RSS not sampled")
	}
	if figure(t, f, "server_connections") < 50 {
		t.Errorf("/debug/stats reports %v connections with 50 idle bots", figure(t, f, "server_connections"))
	}
	figure(t, f, "server_goroutines")
}

func checkPlay(t *testing.T, f *Figures, res *botnet.RunResult, bots int64) {
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
		if figure(t, f, k) <= 0 {
			t.Errorf("%s = %v, want > 0", k, f.Float(k))
		}
	}
	if figure(t, f, "wire_bytes_per_client_s") < figure(t, f, "payload_bytes_per_client_s") {
		t.Error("fewer wire bytes than payload bytes")
	}
}

func TestIntegrationPlay(t *testing.T) {
	s := startRealServer(t)
	o := testOptions(s)
	f, res, err := RunPlay(t.Context(), o, PlayConfig{Rooms: 2, Players: 5, Validate: true}, "play")
	if err != nil {
		t.Fatal(err)
	}
	logFigures(t, "play", f)
	checkPlay(t, f, res, 10)
	if figure(t, f, "server_cpu_us_per_client_tick") < 0 {
		t.Error("negative server CPU")
	}
	figure(t, f, "server_cpu_core_fraction")
	figure(t, f, "server_rss_per_conn_bytes")
}

func TestIntegrationPlayWithLatency(t *testing.T) {
	s := startRealServer(t)
	o := testOptions(s)
	o.Latency = 50 * time.Millisecond
	f, res, err := RunPlay(t.Context(), o, PlayConfig{Rooms: 1, Players: 4}, "play")
	if err != nil {
		t.Fatal(err)
	}
	checkPlay(t, f, res, 4)
	if min := res.Stats.RTT.Min(); min < o.Latency.Microseconds() {
		t.Errorf("RTT min %dus below the %v simulated latency", min, o.Latency)
	}
}

func TestIntegrationBaseline(t *testing.T) {
	s := startRealServer(t)
	o := testOptions(s)
	pc := PlayConfig{Rooms: 1, Players: 10}
	play, _, err := RunPlay(t.Context(), o, pc, "play")
	if err != nil {
		t.Fatal(err)
	}
	size := int(play.Float("snapshot_bytes_mean") + 0.5)
	bo := o
	bo.ServerPID = 0
	base, res, err := RunBaseline(t.Context(), bo, BaselineRun{Play: pc, SnapshotBytes: size})
	if err != nil {
		t.Fatal(err)
	}
	CompareToBaseline(play, base)
	logFigures(t, "baseline", base)
	checkPlay(t, base, res, 10)
	// The baseline sends snapshots of the measured size.
	if got := figure(t, base, "snapshot_bytes_mean"); got != float64(size) {
		t.Errorf("baseline snapshots are %v bytes, asked %d", got, size)
	}
	if figure(t, base, "server_rss_bytes") <= 0 {
		t.Error("baseline process not sampled")
	}
	figure(t, play, "cpu_ratio_to_baseline")
	figure(t, play, "baseline_cpu_us_per_client_tick")
}

func TestIntegrationAbuse(t *testing.T) {
	s := startRealServer(t)
	results, err := RunAbuse(t.Context(), AbuseConfig{URL: s.URL, Hang: 3 * time.Second, Quick: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	writeAbuseTable(&b, results)
	t.Logf("\n%s", b.String())
	for _, r := range results {
		if strings.HasPrefix(r.Note, "upgrade:") || strings.HasPrefix(r.Note, "dial:") || strings.HasPrefix(r.Note, "handshake:") {
			t.Errorf("%s: could not even start: %s", r.Case, r.Note)
		}
		// The contract names this one: text frames are refused with 1003.
		if r.Case == "text_frame" && r.CloseCode != 1003 {
			t.Errorf("text frame: close code %d, the contract says 1003", r.CloseCode)
		}
	}
	// The server survived and still serves.
	o := testOptions(s)
	o.ServerPID = 0
	f, _, err := RunIdle(t.Context(), o, 5)
	if err != nil {
		t.Fatal(err)
	}
	if f.Float("clients_connected") != 5 {
		t.Errorf("after the abuse, %v of 5 bots connected", f.Float("clients_connected"))
	}
}

func TestIntegrationSuiteCommand(t *testing.T) {
	requireServerBin(t)
	out := filepath.Join(t.TempDir(), "latest.json")
	var stdout, stderr bytes.Buffer
	code := Main(t.Context(), []string{"suite", "-server", serverBin, "-json", out,
		"-idle-n", "20", "-rooms", "2", "-players", "5",
		"-idle-warmup", "200ms", "-idle-window", "1s", "-warmup", "300ms", "-window", "1s", "-quiet"}, &stdout, &stderr)
	t.Logf("stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	if code != 0 {
		t.Fatalf("suite exited %d", code)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	for section, keys := range map[string][]string{
		"idle":     {"clients_connected", "clients_failed", "server_rss_per_conn_bytes", "server_goroutines"},
		"play":     {"join_p50_ms", "snapshots_per_client_s", "gap_p99_ms", "rtt_p99_ms", "server_cpu_us_per_client_tick", "cpu_ratio_to_baseline"},
		"baseline": {"baseline_cpu_us_per_client_tick", "snapshots_per_client_s"},
	} {
		for _, k := range keys {
			if _, ok := doc[section][k]; !ok {
				t.Errorf("latest.json: %s.%s missing", section, k)
			}
		}
	}
}
