package bench

import (
	"testing"
	"time"

	"github.com/skirmishgg/skirmish/bench/measure"
)

func TestSecondQuantilesAndMedian(t *testing.T) {
	var s measure.Stats
	for i := 0; i < 100; i++ {
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
