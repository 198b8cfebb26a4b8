package botnet

import (
	"bytes"
	"testing"
)

func TestDelayQueueFIFOAndBound(t *testing.T) {
	q := newDelayQueue(100)
	b := &bot{}
	big := bytes.Repeat([]byte{1}, 200)
	for i := 0; i < 100; i++ {
		f := []byte{byte(i)}
		if i == 50 {
			f = big
		}
		if !q.push(b, int64(i*10), f) {
			t.Fatalf("push %d refused", i)
		}
	}
	if q.push(b, 2000, []byte{0}) {
		t.Fatal("push beyond the bound accepted")
	}
	got, next := q.popDue(495, make([]delayed, 0, 1000))
	if len(got) != 50 || next != 500 {
		t.Fatalf("popped %d, next %d", len(got), next)
	}
	for i, d := range got {
		if d.frame()[0] != byte(i) {
			t.Fatalf("entry %d out of order", i)
		}
	}
	got, _ = q.popDue(10000, make([]delayed, 0, 10))
	if len(got) != 10 || !bytes.Equal(got[0].frame(), big) {
		t.Fatalf("batch of %d, first %d bytes", len(got), len(got[0].frame()))
	}
	if q.len() != 40 {
		t.Fatalf("%d left", q.len())
	}
}

func TestTimerQueueOrderAndBound(t *testing.T) {
	q := newTimerQueue(16)
	b := &bot{}
	for _, at := range []int64{50, 10, 40, 20, 30} {
		q.push(at, b, actLeave)
	}
	got, next := q.popDue(35, nil)
	if len(got) != 3 || got[0].at != 10 || got[1].at != 20 || got[2].at != 30 || next != 40 {
		t.Fatalf("got %v next %d", got, next)
	}
	for i := 0; i < 14; i++ {
		q.push(100, b, actJoin)
	}
	if q.push(100, b, actJoin) {
		t.Fatal("push beyond the bound accepted")
	}
}
