package measure

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
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
	s.SetPhase("b")
	v.Store(200)
	s.sample()
	v.Store(-1)
	s.sample()
	v.Store(250)
	s.Stop()
	s.Stop() // idempotent
	sum := s.Summary()
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
		s.RecordSecond(0, 33_000)
		s.RecordSecond(2, 40_000)
	}
	s.RecordSecond(-1, 1)         // ignored
	s.RecordSecond(maxSeconds, 1) // ignored
	if len(s.GapSeconds) != 3 || s.GapSeconds[1].Count() != 0 {
		t.Fatalf("%d seconds", len(s.GapSeconds))
	}
	var o Stats
	o.RecordSecond(4, 50_000)
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
}

// TestStatsMergeCoversEveryField fills every field of a Stats with
// something non-zero and checks that merging it into an empty one keeps
// every field non-zero (a field left out of Merge would be lost between
// processes), and that it survives the JSON that carries it.
func TestStatsMergeCoversEveryField(t *testing.T) {
	var src Stats
	v := reflect.ValueOf(&src).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.Int64:
			f.SetInt(int64(i + 1))
		case reflect.Uint32:
			f.SetUint(uint64(i + 1))
		case reflect.Map:
			f.Set(reflect.ValueOf(map[string]int64{"k": 1}))
		case reflect.Slice:
			switch f.Type().Elem() {
			case reflect.TypeOf(Histogram{}):
				var h Histogram
				h.Record(int64(i + 1))
				f.Set(reflect.ValueOf([]Histogram{h}))
			case reflect.TypeOf(int64(0)):
				f.Set(reflect.ValueOf([]int64{0, int64(i + 1)}))
			default:
				t.Fatalf("field %s: slice of %v", v.Type().Field(i).Name, f.Type().Elem())
			}
		case reflect.Struct:
			h, ok := f.Addr().Interface().(*Histogram)
			if !ok {
				t.Fatalf("field %s: struct %v", v.Type().Field(i).Name, f.Type())
			}
			h.Record(int64(i + 1))
		default:
			t.Fatalf("field %s: kind %v not covered by this test", v.Type().Field(i).Name, f.Kind())
		}
	}
	var dst Stats
	dst.Merge(&src)
	dv := reflect.ValueOf(dst)
	for i := range dv.NumField() {
		if dv.Field(i).IsZero() {
			t.Errorf("Merge loses %s", dv.Type().Field(i).Name)
		}
	}
	js, err := json.Marshal(&dst)
	if err != nil {
		t.Fatal(err)
	}
	var back Stats
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, dst) {
		t.Fatalf("stats changed through JSON:\n%+v\n%+v", back, dst)
	}
	// The first-time figures merge as minima, the last as maxima.
	a := Stats{FirstJoinNs: 5, FirstWelcomeNs: 0, LastWelcomeNs: 9}
	a.Merge(&Stats{FirstJoinNs: 3, FirstWelcomeNs: 7, LastWelcomeNs: 8})
	a.Merge(&Stats{})
	if a.FirstJoinNs != 3 || a.FirstWelcomeNs != 7 || a.LastWelcomeNs != 9 {
		t.Errorf("merged times %d %d %d", a.FirstJoinNs, a.FirstWelcomeNs, a.LastWelcomeNs)
	}
	var w Stats
	w.RecordWelcome(2)
	w.RecordWelcome(2)
	w.RecordWelcome(-1)
	w.RecordWelcome(maxSeconds)
	if !slices.Equal(w.WelcomesBySecond, []int64{0, 0, 2}) {
		t.Errorf("welcomes by second %v", w.WelcomesBySecond)
	}
}

func TestEndpointURLs(t *testing.T) {
	u, err := RoomsURL("ws://127.0.0.1:9/ws")
	if err != nil || u != "http://127.0.0.1:9/rooms" {
		t.Errorf("rooms url %q %v", u, err)
	}
	u, err = StatsURL("http://127.0.0.1:9/")
	if err != nil || u != "http://127.0.0.1:9/debug/stats" {
		t.Errorf("stats url %q %v", u, err)
	}
}
