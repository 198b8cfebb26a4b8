// Package benchtest is what the bench's tests share: the real server,
// built once per test binary, started per test on a loopback port and
// stopped when the test ends; and a scenario's figures read back from
// their JSON, by the names that scripts use.
package benchtest

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/skirmishgg/skirmish/bench/baseline"
	"github.com/skirmishgg/skirmish/bench/botnet"
	"github.com/skirmishgg/skirmish/bench/child"
	"github.com/skirmishgg/skirmish/bench/measure"
	"github.com/skirmishgg/skirmish/bench/report"
	"github.com/skirmishgg/skirmish/bench/target"
)

var (
	bin      string
	buildErr error
)

// The windows of the integration tests' load runs: short, and long enough
// for a loaded machine.
const (
	Warmup         = 300 * time.Millisecond
	Window         = 1500 * time.Millisecond
	ConnectTimeout = 20 * time.Second
)

// Main is a TestMain: it hands child processes (extra shards, the
// baseline server, which re-execute the test binary) their roles, builds
// the server unless -short, runs the tests and removes the build.
func Main(m *testing.M) {
	if handled, code := child.RunHidden(botnet.ShardRole, baseline.ProcessRole); handled {
		os.Exit(code)
	}
	flag.Parse()
	var dir string
	if !testing.Short() {
		var err error
		if dir, err = os.MkdirTemp("", "skirmish-bench-test-"); err != nil {
			fmt.Fprintln(os.Stderr, "bench tests: temp dir:", err)
			os.Exit(1)
		}
		bin = filepath.Join(dir, "skirmish")
		cmd := exec.Command("go", "build", "-o", bin, "./server/cmd/skirmish")
		cmd.Dir = moduleRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./server/cmd/skirmish: %w\n%s", err, out)
		}
	}
	code := m.Run()
	if dir != "" {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

// moduleRoot is the repository root, three directories above this file.
func moduleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// Path is the built server binary. It skips the test under -short (saying
// so) and fails it when the server did not build.
func Path(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: needs the real server, skipped with -short")
	}
	if buildErr != nil {
		t.Fatalf("cannot run against the real server: %v", buildErr)
	}
	return bin
}

// Start starts the server (with args) for the test, and stops it when the
// test ends; the test fails if the server had exited meanwhile, and logs
// its output when it failed.
func Start(t *testing.T, args ...string) *target.Server {
	t.Helper()
	s, err := target.Start(Path(t), args...)
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
			t.Logf("server output (tail):\n%s", target.Tail(s.Logs(), 4000))
		}
	})
	return s
}

// Figures is the JSON object of a section made of parts: its figures by
// name.
func Figures(t *testing.T, parts ...any) map[string]any {
	t.Helper()
	b, err := (&report.Section{Name: "test", Parts: parts}).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// Figure is the number named key, failing the test when it is missing.
func Figure(t *testing.T, m map[string]any, key string) float64 {
	t.Helper()
	v, ok := m[key]
	if !ok {
		t.Fatalf("figure %q missing; have %v", key, slices.Sorted(maps.Keys(m)))
	}
	f, ok := v.(float64)
	if !ok {
		t.Fatalf("figure %q is %T, not a number", key, v)
	}
	return f
}

// Checks indexes a verdict's checks by name.
func Checks(v *report.Verdict) map[string]report.Check {
	m := map[string]report.Check{}
	for _, c := range v.Checks {
		m[c.Name] = c
	}
	return m
}

// Log logs a section's table, and its pass line if v is not nil.
func Log(t *testing.T, name string, v *report.Verdict, parts ...any) {
	t.Helper()
	rep := report.New(name)
	s := rep.Add(name, parts...)
	if v != nil {
		rep.AddVerdict(s, v)
	}
	var b bytes.Buffer
	if err := rep.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", b.String())
}

// The JSON names of the figures are a contract: people have scripts on
// bench/results/*.json. The tests build each command's report the way the
// command does, from a run in which everything was measured, and compare
// its names with the committed file's.

// MeasuredRun is a run in which every figure was measured; entities adds
// the entity counts.
func MeasuredRun(entities bool) *botnet.RunResult {
	var s measure.Stats
	s.Bots, s.Connected, s.Joined, s.Clients, s.Snapshots, s.SnapshotsFull = 10, 10, 10, 10, 300, 10
	s.WindowNanos, s.RefWindowNanos, s.TickRate = int64(2*time.Second), int64(time.Second), 30
	s.RefClients, s.SlowBots, s.SlowDisconnected, s.Drops, s.Resumed = 9, 1, 1, 10, 10
	s.RecvPayload, s.RecvWire, s.SentWire = 1000, 1100, 100
	s.FirstWelcomeNs, s.LastWelcomeNs = 1, int64(time.Second)
	s.WelcomesBySecond = []int64{5, 5}
	for _, h := range []*measure.Histogram{&s.Connect, &s.Handshake, &s.Join, &s.Gap, &s.RTT, &s.SnapshotSize,
		&s.RefGap, &s.RefRTT, &s.SlowDisconnect, &s.ResumeLatency, &s.ResumeConnect, &s.ResumeHandshake,
		&s.ResumeJoin, &s.ResumeWorld} {
		h.Record(1000)
	}
	s.RecordSecond(1, 1000)
	if entities {
		s.Entities.Record(5)
	}
	return &botnet.RunResult{
		Stats: &s,
		Server: measure.ServerSample{Measured: true, HasDebug: true, CPU: time.Second, RSSBefore: 1 << 20, RSSAfter: 2 << 20,
			RefCPU: time.Second, RefRSS: 2 << 20, RSS: measure.RSSSummary{Max: map[string]int64{"ref": 2 << 20, "window": 2 << 20}}},
		Bots:    measure.ProcSample{CPU: time.Second, RSS: 1 << 20},
		Machine: measure.MachineCPU{Busy: 5 * time.Second}, RefMachine: measure.MachineCPU{Busy: 3 * time.Second},
		ConnectTime: time.Second, Elapsed: 3 * time.Second, Processes: 1,
	}
}

// committed reads the names of every section of a committed results file.
func committed(t *testing.T, file string) map[string][]string {
	t.Helper()
	return sectionNames(t, must(os.ReadFile(filepath.Join(moduleRoot(), "bench", "results", file))))
}

func sectionNames(t *testing.T, b []byte) map[string][]string {
	t.Helper()
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for name, raw := range doc {
		var sec map[string]any
		if json.Unmarshal(raw, &sec) == nil {
			out[name] = slices.Sorted(maps.Keys(sec))
		}
	}
	return out
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// CompareNames checks that rep writes the names of the committed file,
// section by section: none missing, and none more than added lists (the
// figures added since the file was committed).
func CompareNames(t *testing.T, file string, rep *report.Report, added map[string][]string) {
	t.Helper()
	want := committed(t, file)
	got := sectionNames(t, must(json.Marshal(rep)))
	for _, name := range slices.Sorted(maps.Keys(want)) {
		w, g := want[name], got[name]
		if g == nil {
			t.Errorf("%s: section %q not written", file, name)
			continue
		}
		var missing, extra []string
		for _, k := range w {
			if !slices.Contains(g, k) {
				missing = append(missing, k)
			}
		}
		for _, k := range g {
			if !slices.Contains(w, k) {
				extra = append(extra, k)
			}
		}
		if len(missing) > 0 {
			t.Errorf("%s: %s: names no longer written: %v", file, name, missing)
		}
		if !slices.Equal(extra, slices.Sorted(slices.Values(added[name]))) {
			t.Errorf("%s: %s: names written beyond the file: %v, want %v", file, name, extra, added[name])
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: section %q is not in the file", file, name)
		}
	}
}
