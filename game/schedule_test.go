package game

import (
	"testing"
	"time"
)

func TestScheduleOnTime(t *testing.T) {
	start := time.Unix(1000, 0)
	s := schedule{start: start, period: 10 * time.Millisecond, maxCatchUp: 3}
	if run, _ := s.due(start.Add(-time.Millisecond)); run != 0 {
		t.Fatalf("before start: run %d, want 0", run)
	}
	if run, _ := s.due(start); run != 1 {
		t.Fatalf("at start: run %d, want 1", run)
	}
	if got, want := s.wakeAt(), start.Add(10*time.Millisecond); !got.Equal(want) {
		t.Fatalf("wakeAt %v, want %v", got, want)
	}
	// Waking a little late does not shift the next deadline.
	if run, _ := s.due(start.Add(13 * time.Millisecond)); run != 1 {
		t.Fatalf("late wake: run %d, want 1", run)
	}
	if got, want := s.wakeAt(), start.Add(20*time.Millisecond); !got.Equal(want) {
		t.Fatalf("wakeAt after late wake %v, want %v (work must not stretch the period)", got, want)
	}
	if run, _ := s.due(start.Add(15 * time.Millisecond)); run != 0 {
		t.Fatalf("early: run %d, want 0", run)
	}
}

func TestScheduleCatchUpThenSkip(t *testing.T) {
	start := time.Unix(1000, 0)
	s := schedule{start: start, period: 10 * time.Millisecond, maxCatchUp: 3}
	s.due(start)
	// Two periods late: both missed ticks run, nothing skipped.
	if run, skipped := s.due(start.Add(25 * time.Millisecond)); run != 2 || skipped != 0 {
		t.Fatalf("2 behind: run %d skipped %d, want 2 0", run, skipped)
	}
	// Ten periods late: three run, the rest are skipped.
	run, skipped := s.due(start.Add(125 * time.Millisecond))
	if run != 3 || skipped != 7 {
		t.Fatalf("10 behind: run %d skipped %d, want 3 7", run, skipped)
	}
	if got, want := s.wakeAt(), start.Add(130*time.Millisecond); !got.Equal(want) {
		t.Fatalf("after skip wakeAt %v, want %v", got, want)
	}
}
