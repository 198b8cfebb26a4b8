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
