package bench

import (
	"testing"
	"time"
)

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
}
