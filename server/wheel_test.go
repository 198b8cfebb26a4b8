package server

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestWheelFiresEachDeadlineOnceInItsSlot arms, moves and disarms many
// deadlines at random and walks the wheel with a synthetic clock: every
// armed deadline comes out exactly once, never early and at most one slot
// late, and a disarmed or moved one never comes out at its old time.
func TestWheelFiresEachDeadlineOnceInItsSlot(t *testing.T) {
	w := newWheel(nil)
	r := rand.New(rand.NewPCG(1, 2))
	conns := make([]Conn, 3000)
	want := map[*Conn]int64{}
	for i := range conns {
		c := &conns[i]
		at := int64(r.IntN(int(3 * wheelSlots * int(wheelSlot)))) // up to three turns out
		w.arm(c, at)
		want[c] = at
		switch r.IntN(4) {
		case 0:
			w.disarm(c)
			delete(want, c)
		case 1:
			at = int64(r.IntN(int(wheelSlots * int(wheelSlot))))
			w.arm(c, at)
			want[c] = at
		}
	}
	if w.len() != len(want) {
		t.Fatalf("%d armed, want %d", w.len(), len(want))
	}
	fired := map[*Conn]int64{}
	step := int64(wheelSlot) / 3 // walks more often than one per slot, as a late ticker would not
	for now := int64(0); now <= int64(4*wheelSlots)*int64(wheelSlot); now += step {
		for _, c := range w.collect(now, nil) {
			if _, twice := fired[c]; twice {
				t.Fatalf("deadline %d fired twice", want[c])
			}
			fired[c] = now
		}
	}
	for c, at := range want {
		got, ok := fired[c]
		switch {
		case !ok:
			t.Fatalf("deadline %d never fired", at)
		case got < at:
			t.Fatalf("deadline %d fired early, at %d", at, got)
		case got > at+int64(wheelSlot)+step:
			t.Fatalf("deadline %d fired %v late", at, time.Duration(got-at))
		}
	}
	if len(fired) != len(want) || w.len() != 0 {
		t.Fatalf("%d fired, %d wanted, %d still armed", len(fired), len(want), w.len())
	}
}

// TestWheelPastDeadlineFiresAtNextWalk arms a deadline behind the wheel's
// walk: it must fire at the next walk, not a turn later.
func TestWheelPastDeadlineFiresAtNextWalk(t *testing.T) {
	w := newWheel(nil)
	now := int64(10 * wheelSlot)
	w.collect(now, nil)
	var c Conn
	w.arm(&c, now-int64(5*wheelSlot))
	if due := w.collect(now+1, nil); len(due) != 1 || due[0] != &c {
		t.Fatalf("a past deadline did not fire at the next walk: %v", due)
	}
}

// TestWheelCatchesUpAfterAStop walks after a pause longer than a turn.
func TestWheelCatchesUpAfterAStop(t *testing.T) {
	w := newWheel(nil)
	var a, b Conn
	w.arm(&a, int64(3*wheelSlot))
	w.arm(&b, int64(3*wheelSlots)*int64(wheelSlot))
	due := w.collect(int64(2*wheelSlots)*int64(wheelSlot), nil)
	if len(due) != 1 || due[0] != &a {
		t.Fatalf("after a stop: %v", due)
	}
	if due := w.collect(int64(3*wheelSlots)*int64(wheelSlot)+1, nil); len(due) != 1 || due[0] != &b {
		t.Fatalf("the later deadline: %v", due)
	}
}
