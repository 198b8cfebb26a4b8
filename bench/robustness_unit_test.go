package bench

import (
	"encoding/json"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestDeadlineStatsJudgesLateness(t *testing.T) {
	d := DeadlineStats{Peers: 6, Stalled: 6, GraceUs: 1_000_000, WantCode: 1008}
	d.Record(500, 1008)       // in time
	d.Record(999_999, 1008)   // in time, at the edge
	d.Record(1_000_001, 1008) // late
	d.Record(-5, 1008)        // early
	d.Record(10, 1006)        // in time, wrong code
	if d.Closed != 5 || d.InTime != 2 || d.Late != 1 || d.Early != 1 || d.WrongEnd != 1 {
		t.Fatalf("%+v", d)
	}
	if d.NotClosed() != 1 || d.AllInTime() {
		t.Fatalf("not closed %d, all in time %v", d.NotClosed(), d.AllInTime())
	}
	if d.MinLateUs != -5 || d.MaxLateUs != 1_000_001 {
		t.Fatalf("min %d max %d", d.MinLateUs, d.MaxLateUs)
	}
	// The early close is not in the lateness histogram (it has no
	// lateness); the other four are.
	if d.Lateness.Count() != 4 {
		t.Fatalf("lateness samples %d", d.Lateness.Count())
	}
	if d.CloseCodes["1008"] != 4 || d.CloseCodes["1006"] != 1 {
		t.Fatalf("codes %v", d.CloseCodes)
	}
	ok := DeadlineStats{Peers: 2, Stalled: 2, GraceUs: 1000}
	ok.Record(0, 0)
	ok.Record(1000, 0)
	if !ok.AllInTime() || ok.CloseCodes["none"] != 2 {
		t.Fatalf("%+v", ok)
	}
}

func TestRSSSamplerPhasesAndSeries(t *testing.T) {
	var v atomic.Int64
	v.Store(100)
	read := func(int) (int64, error) {
		if v.Load() < 0 {
			return 0, errors.New("gone")
		}
		return v.Load(), nil
	}
	s := startRSSSamplerWith(1, time.Hour, "a", read) // only explicit samples
	v.Store(300)
	s.sample()
	s.setPhase("b")
	v.Store(200)
	s.sample()
	v.Store(-1)
	s.sample()
	v.Store(250)
	s.stop()
	s.stop() // idempotent
	sum := s.summary()
	if sum.Max["a"] != 300 || sum.Max["b"] != 300 || sum.MaxOf("b") != 300 {
		// b's first sample (at setPhase) read 300.
		t.Fatalf("max %v", sum.Max)
	}
	if sum.MaxOf() != 300 || sum.Last != 250 || sum.Errors != 1 {
		t.Fatalf("summary %+v", sum)
	}
	if len(sum.Series) != 5 {
		t.Fatalf("series %v", sum.Series)
	}
}

func TestDownsampleKeepsPeaks(t *testing.T) {
	pts := []RSSPoint{{0, "a", 1}, {0.25, "a", 5}, {0.5, "a", 2}, {1.0, "a", 3}, {1.25, "b", 4}, {1.5, "b", 9}}
	got := Downsample(pts, 1)
	want := []RSSPoint{{0, "a", 5}, {1.0, "a", 3}, {1.25, "b", 9}}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}

func TestParseProcStatAndOtherCores(t *testing.T) {
	stat := []byte("cpu  100 5 50 1000 10 1 4 3 0 0\ncpu0 50 2 25 500 5 0 2 1 0 0\n")
	m, err := parseProcStat(stat)
	if err != nil {
		t.Fatal(err)
	}
	if m.Busy != 160*10*time.Millisecond || m.Idle != 1010*10*time.Millisecond || m.Steal != 30*time.Millisecond {
		t.Fatalf("%+v", m)
	}
	if _, err := parseProcStat([]byte("intr 1 2 3\n")); err == nil {
		t.Fatal("no error on a bad first line")
	}
	d := MachineCPU{Busy: 3 * time.Second}.Sub(MachineCPU{Busy: time.Second})
	if got := OtherCores(d, 500*time.Millisecond, time.Second); got != 1.5 {
		t.Fatalf("other cores %v", got)
	}
	if got := OtherCores(d, 5*time.Second, time.Second); got != 0 {
		t.Fatalf("other cores %v, want clamped to 0", got)
	}
	if _, err := ReadMachineCPU(); err != nil {
		t.Fatal(err)
	}
}

func TestSecondStatistics(t *testing.T) {
	var s Stats
	for i := 0; i < 100; i++ {
		s.recordSecond(0, 33_000)
		s.recordSecond(2, 40_000)
	}
	s.recordSecond(-1, 1)         // ignored
	s.recordSecond(maxSeconds, 1) // ignored
	if len(s.GapSeconds) != 3 || s.GapSeconds[1].Count() != 0 {
		t.Fatalf("%d seconds", len(s.GapSeconds))
	}
	var o Stats
	o.recordSecond(4, 50_000)
	s.Merge(&o)
	if len(s.GapSeconds) != 5 || s.GapSeconds[4].Count() != 1 || s.GapSeconds[0].Count() != 100 {
		t.Fatalf("merged %d seconds", len(s.GapSeconds))
	}
	b, err := json.Marshal(&s)
	if err != nil {
		t.Fatal(err)
	}
	var back Stats
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.GapSeconds) != 5 || back.GapSeconds[2].Count() != 100 {
		t.Fatalf("round trip: %d seconds", len(back.GapSeconds))
	}
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

func TestChurnShape(t *testing.T) {
	cc := ChurnConfig{Rate: 100, Duration: 10 * time.Second, Cycles: 2, WarmupCycles: -1}.withDefaults()
	if cc.Total != 2000 || cc.WarmupCycles != 100 || cc.Tolerance != 0.10 || cc.Settle != time.Second {
		t.Fatalf("%+v", cc)
	}
	cc = ChurnConfig{Rate: 1500, Total: 100000, Cycles: 3}.withDefaults()
	if cc.WarmupCycles != 0 {
		t.Fatalf("warmup %d, want none unless asked", cc.WarmupCycles)
	}
	if n := connsFor(100000, 3); n != 33334 {
		t.Fatalf("connsFor = %d", n)
	}
	if n := connsFor(0, 3); n != 1 {
		t.Fatalf("connsFor(0) = %d", n)
	}
	spec := ShardSpec{RoomPrefix: "churn-", RoomPool: 20, PlayersPerRoom: 50}
	if spec.roomOf(0) != "churn-0" || spec.roomOf(21) != "churn-1" || spec.roomOf(39) != "churn-19" {
		t.Fatalf("pool rooms: %s %s %s", spec.roomOf(0), spec.roomOf(21), spec.roomOf(39))
	}
	spec.RoomPool = 0
	if spec.roomOf(49) != "churn-0" || spec.roomOf(50) != "churn-1" {
		t.Fatal("grouped rooms")
	}
}

// Bots are paced on one schedule across shards: a shard whose bots come
// later in the run does not dial before their slot.
func TestConnectRateIsGlobal(t *testing.T) {
	s := startTestBaseline(t, 5)
	epoch := time.Now()
	spec := ShardSpec{URL: s.URL(), Workload: WorkIdle, First: 10, Count: 2, Total: 12, ConnectRate: 20, DialEpoch: epoch.UnixNano()}
	e, err := NewEngine(spec)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	e.Start()
	select {
	case <-e.Ready():
	case <-time.After(10 * time.Second):
		t.Fatalf("not ready: %+v", e.Progress())
	}
	// Bot 10 of a run paced at 20/s has its slot 500 ms after the epoch.
	if since := time.Since(epoch); since < 500*time.Millisecond {
		t.Fatalf("shard of bots 10-11 was ready %v after the epoch, before their slot at 500ms", since)
	}
	if st := e.Collect(); st.Connected != 2 {
		t.Fatalf("connected %d", st.Connected)
	}
}
