package robustness

import (
	"os"
	"testing"
	"time"

	"github.com/skirmishgg/skirmish/bench/internal/benchtest"
	"github.com/skirmishgg/skirmish/bench/measure"
	"github.com/skirmishgg/skirmish/bench/report"
	"github.com/skirmishgg/skirmish/bench/scenario"
)

func TestChurnShape(t *testing.T) {
	cc := churnConfig{Rate: 100, Duration: 10 * time.Second, Cycles: 2, WarmupCycles: -1}.withDefaults()
	if cc.Total != 2000 || cc.WarmupCycles != 100 || cc.Tolerance != 0.10 || cc.Settle != time.Second {
		t.Fatalf("%+v", cc)
	}
	cc = churnConfig{Rate: 1500, Total: 100000, Cycles: 3}.withDefaults()
	if cc.WarmupCycles != 0 {
		t.Fatalf("warmup %d, want none unless asked", cc.WarmupCycles)
	}
	if n := connsFor(100000, 3); n != 33334 {
		t.Fatalf("connsFor = %d", n)
	}
	if n := connsFor(0, 3); n != 1 {
		t.Fatalf("connsFor(0) = %d", n)
	}
}

func TestWithinRatio(t *testing.T) {
	for _, c := range []struct {
		before, after int64
		tol           float64
		want          bool
	}{
		{1000, 1100, 0.10, true},
		{1000, 900, 0.10, true},
		{1000, 1101, 0.10, false},
		{1000, 899, 0.10, false},
		{30, 33, 0.10, true}, // exactly on the bar, despite float error
		{0, 0, 0.10, true},
		{0, 1, 0.10, false},
	} {
		if got := withinRatio(c.before, c.after, c.tol); got != c.want {
			t.Errorf("withinRatio(%v, %v, %v) = %v", c.before, c.after, c.tol, got)
		}
	}
}

func TestSecondQuantilesAndMedian(t *testing.T) {
	var s measure.Stats
	for range 100 {
		s.RecordSecond(0, 33_000)
		s.RecordSecond(2, 40_000)
	}
	s.RecordSecond(4, 50_000)
	q := secondQuantiles(s.GapSeconds, 0, 10, 0.99) // empty seconds skipped
	if len(q) != 3 {
		t.Fatalf("quantiles %v", q)
	}
	if m := median(q); m < 39_000 || m > 41_000 {
		t.Fatalf("median %d of %v", m, q)
	}
	if median(nil) != 0 || median([]int64{1, 3}) != 2 || median([]int64{5, 1, 3}) != 3 {
		t.Fatal("median")
	}
	for _, c := range []struct {
		start, end time.Duration
		from, to   int
	}{
		{0, 10 * time.Second, 0, 10},
		{10 * time.Second, 35 * time.Second, 10, 35},
		{1500 * time.Millisecond, 4 * time.Second, 2, 4}, // the straddling second belongs to neither
		{0, 500 * time.Millisecond, 0, 0},
	} {
		if f, to := secondsRange(c.start, c.end); f != c.from || to != c.to {
			t.Errorf("secondsRange(%v, %v) = %d, %d; want %d, %d", c.start, c.end, f, to, c.from, c.to)
		}
	}
}

// robustness.json holds the names of the stall, churn and slow sections
// as the robust command writes them.
func TestRobustNamesAsCommitted(t *testing.T) {
	rep := report.New("robust")
	rep.AddMeta(scenario.ServerMeta{Server: "bin/skirmish", ServerArgs: new("-handshake-timeout 5s")})
	add := func(name string, parts []any, v *report.Verdict) {
		rep.AddVerdict(rep.Add(name, append(parts, robustEnd{ScenarioS: 1})...), v)
	}

	sr := &stallRun{sc: stallConfig{N: 10, Legit: 2}.withDefaults(), g: &stallGroup{}, legit: benchtest.MeasuredRun(false),
		rss: measure.StartRSSSampler(os.Getpid(), time.Hour, "stalling")}
	add("stall", sr.figures(), sr.verdict())

	cc := churnConfig{Total: 100, Rate: 10, RoomWait: time.Second}.withDefaults()
	level := serverLevel{Goroutines: 10, Rooms: 1, FDs: 10, Connections: 1, HeapInuse: 1, RSS: 1 << 20, HasStats: true}
	lv := &churnLevels{cold: level, start: level, after: level, final: level}
	res := benchtest.MeasuredRun(false)
	add("churn", churnFigures(cc, 100, res, lv), churnVerdict(cc, true, res, lv))

	sc := slowConfig{Play: scenario.PlayConfig{Rooms: 1, Players: 10, SlowFraction: 0.1}}.withDefaults()
	res = benchtest.MeasuredRun(false)
	slow := newSlowResult(sc, scenario.NewPlayResult(scenario.Options{}, sc.Play, res), res)
	slow.slowServer = &slowServer{}
	add("slow", []any{slow}, slowVerdict(sc, time.Second, res, slow))

	// robustness.json was written before play (which slow is) reported
	// its mode and the share of full snapshots.
	benchtest.CompareNames(t, "robustness.json", rep, map[string][]string{"slow": {"mode", "full_snapshot_fraction"}})
}
