package botnet

import (
	"slices"
	"testing"
	"time"
)

func TestScheduleOffsetsSpreadEvenly(t *testing.T) {
	s := schedule{Period: time.Second / 30, Total: 1000}
	step := s.Period / time.Duration(s.Total)
	for g := 1; g < s.Total; g++ {
		d := s.Offset(g) - s.Offset(g-1)
		if d < step || d > step+1 {
			t.Fatalf("offset gap between bot %d and %d is %v, want %v", g-1, g, d, step)
		}
	}
	if last := s.Offset(s.Total - 1); last >= s.Period {
		t.Fatalf("last offset %v not inside the period %v", last, s.Period)
	}
}

// collect runs a cursor from 0 to end and returns the (local, due) slots,
// polling every poll.
func collect(c *scheduleCursor, end, poll int64) (locals []int, dues []int64) {
	for now := int64(0); now <= end; now += poll {
		c.due(now, func(local int, due int64) {
			locals = append(locals, local)
			dues = append(dues, due)
		})
	}
	return locals, dues
}

func TestScheduleCursorEachBotOncePerPeriodInOrder(t *testing.T) {
	p := time.Second / 30
	s := schedule{Period: p, Total: 100}
	c := newScheduleCursor(s, 0, 100, 0)
	locals, dues := collect(c, 3*int64(p)-1, int64(200*time.Microsecond))
	if len(locals) != 300 {
		t.Fatalf("%d sends in 3 periods, want 300", len(locals))
	}
	if !slices.IsSorted(dues) {
		t.Fatal("sends not in time order")
	}
	for k := 0; k < 3; k++ {
		seen := slices.Clone(locals[k*100 : (k+1)*100])
		slices.Sort(seen)
		for i, l := range seen {
			if l != i {
				t.Fatalf("period %d: bot %d sent %v times", k, i, seen)
			}
		}
	}
	// Consecutive sends are period/N apart, never bunched at the tick.
	for i := 1; i < len(dues); i++ {
		if gap := dues[i] - dues[i-1]; gap < int64(p)/100-1 || gap > int64(p)/100+1 {
			t.Fatalf("gap %v between send %d and %d, want %v", time.Duration(gap), i-1, i, p/100)
		}
	}
	if c.skipped != 0 {
		t.Fatalf("skipped %d", c.skipped)
	}
}

func TestScheduleShardsInterleaveAsOne(t *testing.T) {
	p := time.Second / 30
	s := schedule{Period: p, Total: 90}
	whole := newScheduleCursor(s, 0, 90, 0)
	_, all := collect(whole, int64(p)-1, int64(time.Millisecond))
	var merged []int64
	for first := 0; first < 90; first += 30 {
		_, d := collect(newScheduleCursor(s, first, 30, 0), int64(p)-1, int64(time.Millisecond))
		merged = append(merged, d...)
	}
	slices.Sort(merged)
	if !slices.Equal(all, merged) {
		t.Fatal("three shards do not produce the same send times as one schedule")
	}
}

func TestScheduleCursorSkipsWhenFarBehind(t *testing.T) {
	p := int64(time.Second / 30)
	c := newScheduleCursor(schedule{Period: time.Duration(p), Total: 10}, 0, 10, 0)
	n := 0
	c.due(5*p+p/2, func(int, int64) { n++ })
	// Five periods late: the old ones are skipped, not sent in a burst;
	// at most one period's worth is sent.
	if n > 10 {
		t.Fatalf("sent %d inputs in a burst after falling behind", n)
	}
	if c.skipped == 0 {
		t.Fatal("nothing counted as skipped")
	}
	if c.skipped+int64(n) != 56 { // periods 0-4, and offsets 0-5 of period 5
		t.Fatalf("skipped %d + sent %d, want 56 slots accounted for", c.skipped, n)
	}
}

func TestNewDirectionEvery30(t *testing.T) {
	for seq := uint32(0); seq < 100; seq++ {
		if got, want := newDirection(seq), seq%30 == 0; got != want {
			t.Fatalf("newDirection(%d) = %v", seq, got)
		}
	}
}

func TestSlowSelectionSpreads(t *testing.T) {
	n := 0
	for g := 0; g < 1000; g++ {
		if IsSlow(g, 0.1) {
			n++
		}
	}
	if n != 100 {
		t.Fatalf("%d of 1000 slow at 10%%", n)
	}
	if IsSlow(5, 0) {
		t.Fatal("slow at fraction 0")
	}
}
