package game_test

import (
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/skirmishgg/skirmish/game"
	"github.com/skirmishgg/skirmish/game/movers"
	"github.com/skirmishgg/skirmish/proto/wire"
)

// recObserver records what a hub tells its Observer.
type recObserver struct {
	mu      sync.Mutex
	opened  []string
	closed  []string
	reports []game.TickReport // copies
}

func (o *recObserver) RoomOpened(r *game.Room) game.TickObserver {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.opened = append(o.opened, r.ID())
	return o
}

func (o *recObserver) RoomClosed(r *game.Room) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.closed = append(o.closed, r.ID())
}

func (o *recObserver) ObserveTick(t *game.TickReport) {
	o.mu.Lock()
	defer o.mu.Unlock()
	c := *t
	c.Snapshots = slices.Clone(t.Snapshots)
	o.reports = append(o.reports, c)
}

// find returns the newest report that pred accepts.
func (o *recObserver) find(pred func(game.TickReport) bool) (game.TickReport, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := len(o.reports) - 1; i >= 0; i-- {
		if pred(o.reports[i]) {
			return o.reports[i], true
		}
	}
	return game.TickReport{}, false
}

func TestObserverHearsRoomsAndTheirTicks(t *testing.T) {
	obs := &recObserver{}
	h := game.NewHub(game.HubConfig{
		Modes:       map[string]game.ModeSpec{movers.Name: {New: movers.New}},
		DefaultMode: movers.Name,
		TickRate:    game.MaxTickRate,
		IdleTimeout: 10 * time.Millisecond,
		NewLink:     func() game.Link { return discard{} },
		Observer:    obs,
		Logger:      quietLogger(),
	})
	t.Cleanup(h.Close)
	peer := &fakePeer{name: "a"}
	r, id, err := h.JoinWith(peer, game.JoinRequest{Name: "a", Room: "watched"})
	if err != nil {
		t.Fatal(err)
	}
	obs.mu.Lock()
	opened := slices.Clone(obs.opened)
	obs.mu.Unlock()
	if !slices.Equal(opened, []string{"watched"}) {
		t.Fatalf("RoomOpened for %v, want [watched] before the join returned", opened)
	}

	var full game.TickReport
	waitFor(t, "a tick that sent a full snapshot", func() bool {
		var ok bool
		full, ok = obs.find(func(rep game.TickReport) bool { return len(rep.Snapshots) > 0 })
		return ok
	})
	if s := full.Snapshots[0]; s.BaseAge != 0 || s.Receivers != 1 || s.Bytes <= 0 || full.Work <= 0 {
		t.Fatalf("first snapshot report %+v (work %v), want a full snapshot of some bytes to 1 receiver", s, full.Work)
	}
	// Acknowledging that tick makes the next snapshots deltas against it.
	seq := uint32(0)
	waitFor(t, "a tick that sent a delta", func() bool {
		seq++
		r.Input(id, peer, wire.Input{Seq: seq, AckTick: full.Tick})
		_, ok := obs.find(func(rep game.TickReport) bool {
			return len(rep.Snapshots) == 1 && rep.Snapshots[0].BaseAge == rep.Tick-full.Tick
		})
		return ok
	})

	if st := h.Stats(); st.Modes[movers.Name] != (game.ModeStats{Rooms: 1, Players: 1}) {
		t.Fatalf("mode stats %+v, want 1 room with 1 player", st.Modes)
	}
	r.Leave(id, peer)
	waitFor(t, "RoomClosed once the room idled out", func() bool {
		obs.mu.Lock()
		defer obs.mu.Unlock()
		return slices.Equal(obs.closed, []string{"watched"})
	})
	// The closed room's ticks still count: the hub's counters only grow.
	st := h.Stats()
	if st.Ticks < uint64(full.Tick) || st.Modes[movers.Name] != (game.ModeStats{}) {
		t.Fatalf("after the room closed: %d ticks (the room ran %d and more), modes %+v", st.Ticks, full.Tick, st.Modes)
	}
}

// stuckMode is movers whose Step blocks while hold is set: a stuck loop.
type stuckMode struct {
	game.Mode
	hold    *atomic.Bool
	release chan struct{}
}

func (m *stuckMode) Step(dt float64) {
	if m.hold.Load() {
		<-m.release
	}
	m.Mode.Step(dt)
}

func TestStalledRoomsNamesAStuckLoop(t *testing.T) {
	var hold atomic.Bool
	release := make(chan struct{})
	h := game.NewHub(game.HubConfig{
		Modes: map[string]game.ModeSpec{"stuck": {New: func(c game.ModeConfig) game.Mode {
			return &stuckMode{Mode: movers.New(c), hold: &hold, release: release}
		}}},
		DefaultMode: "stuck",
		TickRate:    game.MaxTickRate,
		NewLink:     func() game.Link { return discard{} },
		Logger:      quietLogger(),
	})
	t.Cleanup(h.Close)
	var once sync.Once
	unblock := func() {
		hold.Store(false)
		once.Do(func() { close(release) })
	}
	t.Cleanup(unblock) // runs before h.Close, even when the test fails
	r, _, err := h.JoinWith(&fakePeer{name: "a"}, game.JoinRequest{Name: "a", Room: "stuck"})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the room to tick", func() bool { return r.Tick() > 2 })
	if ids := h.StalledRooms(time.Second); len(ids) != 0 {
		t.Fatalf("a ticking room reported stalled: %v", ids)
	}
	hold.Store(true)
	waitFor(t, "the stuck room to be reported", func() bool {
		return slices.Equal(h.StalledRooms(20*time.Millisecond), []string{"stuck"})
	})
	unblock()
	tick := r.Tick()
	waitFor(t, "the room to tick again", func() bool { return r.Tick() > tick+2 })
	waitFor(t, "the stall to clear", func() bool { return len(h.StalledRooms(time.Second)) == 0 })
}
