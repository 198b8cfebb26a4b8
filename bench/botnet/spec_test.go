package botnet

import (
	"slices"
	"testing"
	"time"
)

func TestRoomOf(t *testing.T) {
	spec := ShardSpec{RoomPrefix: "churn-", RoomPool: 20, PlayersPerRoom: 50}
	if spec.roomOf(0) != "churn-0" || spec.roomOf(21) != "churn-1" || spec.roomOf(39) != "churn-19" {
		t.Fatalf("pool rooms: %s %s %s", spec.roomOf(0), spec.roomOf(21), spec.roomOf(39))
	}
	spec.RoomPool = 0
	if spec.roomOf(49) != "churn-0" || spec.roomOf(50) != "churn-1" {
		t.Fatal("grouped rooms")
	}
	if got := (ShardSpec{RoomPrefix: "bench-movers-large-", PlayersPerRoom: 500}).roomOf(999); got != "bench-movers-large-1" {
		t.Errorf("room %q", got)
	}
	if got := (ShardSpec{QuickMatch: true, RoomPrefix: "x-", PlayersPerRoom: 5}).roomOf(3); got != "" {
		t.Errorf("quick-match room %q, want empty", got)
	}
}

func TestDropOffsetSpreadsAndInterleavesRooms(t *testing.T) {
	const total, perRoom = 500, 50
	spread := 2 * time.Second
	seen := map[time.Duration]bool{}
	byRoom := map[int][]time.Duration{}
	for g := range total {
		d := dropOffset(g, total, perRoom, spread)
		if d < 0 || d >= spread {
			t.Fatalf("bot %d: offset %v outside [0, %v)", g, d, spread)
		}
		if seen[d] {
			t.Fatalf("bot %d: offset %v taken twice", g, d)
		}
		seen[d] = true
		byRoom[g/perRoom] = append(byRoom[g/perRoom], d)
	}
	// Each room's drops cover the whole spread, evenly: consecutive drops
	// of one room are spread/perRoom apart, so a room never loses more
	// than one player at a time.
	for r, ds := range byRoom {
		slices.Sort(ds)
		if ds[0] > spread/perRoom || ds[len(ds)-1] < spread-2*spread/perRoom {
			t.Errorf("room %d: drops from %v to %v, not across the spread", r, ds[0], ds[len(ds)-1])
		}
		for i := 1; i < len(ds); i++ {
			if gap := ds[i] - ds[i-1]; gap < spread/perRoom-time.Microsecond {
				t.Fatalf("room %d: two drops %v apart", r, gap)
			}
		}
	}
	// An uneven last room, one bot, no spread.
	for g := range 7 {
		if d := dropOffset(g, 7, 3, time.Second); d < 0 || d >= time.Second {
			t.Errorf("7 bots in rooms of 3: bot %d at %v", g, d)
		}
	}
	if dropOffset(0, 1, 50, time.Second) != 0 || dropOffset(3, 10, 5, 0) != 0 {
		t.Error("degenerate offsets not 0")
	}
}

// Bots are paced on one schedule across shards: a shard whose bots come
// later in the run does not dial before their slot.
func TestConnectRateIsGlobal(t *testing.T) {
	s := startTestBaseline(t, 5)
	epoch := time.Now()
	spec := ShardSpec{URL: s.URL(), Workload: WorkIdle, First: 10, Count: 2, Total: 12, ConnectRate: 20, DialEpoch: epoch.UnixNano()}
	e, err := newEngine(spec)
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
