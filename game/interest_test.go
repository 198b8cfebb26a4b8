package game_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/skirmishgg/skirmish/game"
	"github.com/skirmishgg/skirmish/game/arena"
	"github.com/skirmishgg/skirmish/game/movers"
	"github.com/skirmishgg/skirmish/proto/wire"
)

type byteCounter struct{ bytes int }

func (d *byteCounter) Broadcast(msg []byte, to []game.Receiver) { d.bytes += len(msg) * len(to) }
func (d *byteCounter) Poll()                                    {}
func (d *byteCounter) Close()                                   {}

// BenchmarkRoomTickPerClient compares the room's cost per client per tick
// (simulate, encode the snapshots each client needs) in a 50-player movers
// room and in a 500-player large world with interest management, with
// clients acknowledging ticks 3 behind as over a real network. ns/client
// and bytes/client are per client per tick.
func BenchmarkRoomTickPerClient(b *testing.B) {
	for _, bc := range []struct {
		name      string
		mode      game.NewModeFunc
		players   int
		viewRange float64
	}{
		{"movers-50", movers.New, 50, 0},
		{"movers-large-500-view-1000", movers.NewLarge, 500, 1000},
	} {
		b.Run(bc.name, func(b *testing.B) {
			d := &byteCounter{}
			room := game.NewRoom(game.RoomConfig{ID: "b", Mode: bc.mode, Capacity: bc.players, Seed: 1, Link: d, ViewRange: bc.viewRange})
			r := rand.New(rand.NewPCG(1, 1))
			ids := make([]uint32, bc.players)
			for i := range ids {
				ids[i], _ = room.Join(nopPeer{}, "p")
			}
			var seq uint32
			step := func() {
				seq++
				for _, id := range ids {
					in := wire.Input{Seq: seq, AckTick: max(room.Tick(), 3) - 3}
					if seq%30 == 0 {
						in.DX, in.DY = float32(r.IntN(3)-1), float32(r.IntN(3)-1)
					}
					room.Input(id, nopPeer{}, in)
				}
				room.Step()
			}
			for range 64 { // warm the history and the buffers
				step()
			}
			d.bytes = 0
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				step()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*bc.players), "ns/client")
			b.ReportMetric(float64(d.bytes)/float64(b.N*bc.players), "bytes/client")
		})
	}
}

// placedRoom is a room of mode whose entities stand where the test puts
// them (see placedMode).
func placedRoom(t *testing.T, newMode game.NewModeFunc, cfg game.RoomConfig) (*testRoom, *placedMode) {
	t.Helper()
	pm := &placedMode{at: map[uint32][2]float64{}}
	r := newRoom(t, func(c game.ModeConfig) game.Mode {
		pm.Mode = newMode(c)
		return pm
	}, cfg)
	return r, pm
}

// seen decodes one tick's broadcasts and returns the entity ids each peer
// received. Every snapshot must be full (nobody acknowledges in these
// tests) and reach each peer once.
func seen(t *testing.T, calls []broadcast) map[game.Peer][]uint32 {
	t.Helper()
	out := map[game.Peer][]uint32{}
	for _, bc := range calls {
		s, world := snapshot(t, bc)
		if s.BaseTick != 0 {
			t.Fatalf("tick %d: a delta against %d, but nobody acknowledged a tick", s.Tick, s.BaseTick)
		}
		ids := make([]uint32, len(world))
		for i, e := range world {
			ids[i] = e.ID
		}
		for _, rc := range bc.to {
			if _, dup := out[rc.Peer]; dup {
				t.Fatalf("tick %d: a peer got two snapshots", s.Tick)
			}
			out[rc.Peer] = ids
		}
	}
	return out
}

// TestInterestCellBoundaries places players on both sides of cell
// boundaries in the movers-large world (8000 units, cells of 1000, so 8
// columns and rows) and checks who sees whom. The expectations are written
// out, not computed: a player sees the 3×3 block of cells around its own;
// a position at a cell's lower edge belongs to that cell, one quantum
// (0.25 units) below it to the cell before; the far edge of the world
// (8000) belongs to the last cell.
func TestInterestCellBoundaries(t *testing.T) {
	r, pm := placedRoom(t, movers.NewLarge, game.RoomConfig{ID: "grid", Capacity: 20, ViewRange: 1000})
	layout := []struct {
		name string
		x, y float64
	}{
		{"origin", 0, 0},           // cell (0, 0)
		{"a", 999.75, 500},         // cell (0, 0): the last position in it
		{"b", 1000, 500},           // cell (1, 0): the first position in it
		{"c", 1999.75, 999.75},     // cell (1, 0)
		{"d", 2000, 500},           // cell (2, 0)
		{"edge", 8000, 8000},       // cell (7, 7): the far corner
		{"f", 7000, 7000},          // cell (7, 7)
		{"g", 6999.75, 6999.75},    // cell (6, 6)
		{"h", 5999.75, 5999.75},    // cell (5, 5)
		{"column", 1000, 7999.75},  // cell (1, 7)
		{"bottom", 500, 8000},      // cell (0, 7)
		{"far-col", 2000, 7999.75}, // cell (2, 7)
	}
	peers := map[string]*fakePeer{}
	ids := map[string]uint32{}
	names := map[uint32]string{}
	for _, p := range layout {
		peers[p.name] = &fakePeer{name: p.name}
		id := r.join(t, peers[p.name])
		ids[p.name], names[id] = id, p.name
		pm.at[id] = [2]float64{p.x, p.y}
	}
	want := map[string][]string{
		"origin":  {"origin", "a", "b", "c"},
		"a":       {"origin", "a", "b", "c"},
		"b":       {"origin", "a", "b", "c", "d"},
		"c":       {"origin", "a", "b", "c", "d"},
		"d":       {"b", "c", "d"},
		"edge":    {"edge", "f", "g"},
		"f":       {"edge", "f", "g"},
		"g":       {"edge", "f", "g", "h"},
		"h":       {"g", "h"},
		"column":  {"column", "bottom", "far-col"},
		"bottom":  {"column", "bottom"},
		"far-col": {"column", "far-col"},
	}
	r.Step()
	got := seen(t, r.bc.take())
	for name, p := range peers {
		var saw []string
		for _, id := range got[p] {
			saw = append(saw, names[id])
		}
		w := slices.Clone(want[name])
		slices.Sort(saw)
		slices.Sort(w)
		if !slices.Equal(saw, w) {
			t.Errorf("%s at %v sees %v, want %v", name, pm.at[ids[name]], saw, w)
		}
	}
}

// TestInterestSpectatorSeesWholeRoom: a spectator has no entity, hence no
// cell; in a room with interest management it still sees every entity,
// and all spectators share one encoding, while players keep seeing only
// their neighbourhood.
func TestInterestSpectatorSeesWholeRoom(t *testing.T) {
	const players = 200
	r := newRoom(t, movers.NewLarge, game.RoomConfig{ID: "watched", Capacity: players, ViewRange: 1000, Seed: 5})
	for i := range players {
		r.join(t, &fakePeer{name: fmt.Sprint("p", i)})
	}
	watchers := []*fakePeer{{name: "w1"}, {name: "w2"}, {name: "w3"}}
	for _, w := range watchers {
		if _, err := r.JoinSpectator(w); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		r.Step()
		calls := r.bc.take()
		got := seen(t, calls)
		all := r.entities()
		if len(all) != players {
			t.Fatalf("%d entities in the world, want %d players", len(all), players)
		}
		for _, w := range watchers {
			if n := len(got[w]); n != players {
				t.Fatalf("spectator %s sees %d of %d players", w.name, n, players)
			}
		}
		shared := 0
		for _, bc := range calls {
			if slices.ContainsFunc(bc.to, func(rc game.Receiver) bool { return rc.Peer == game.Peer(watchers[0]) }) {
				shared++
				if !slices.Equal(receiverPeers(bc), []game.Peer{watchers[0], watchers[1], watchers[2]}) {
					t.Fatalf("the spectators' snapshot goes to %d receivers, want the 3 spectators only", len(bc.to))
				}
			}
		}
		if shared != 1 {
			t.Fatalf("spectators got %d encodings, want 1 shared", shared)
		}
		most := 0
		for p, ids := range got {
			if !slices.Contains(watchers, p.(*fakePeer)) {
				most = max(most, len(ids))
			}
		}
		if most == 0 || most > players/2 {
			t.Fatalf("a player sees up to %d of %d players: interest management is not filtering", most, players)
		}
	}
	// The whole-world view is bounded: a room takes MaxSpectators.
	for i := len(watchers); i < game.MaxSpectators; i++ {
		if _, err := r.JoinSpectator(&fakePeer{}); err != nil {
			t.Fatalf("spectator %d refused: %v", i+1, err)
		}
	}
	if _, err := r.JoinSpectator(&fakePeer{}); !errors.Is(err, game.ErrRoomFull) {
		t.Fatalf("spectator %d: err %v, want ErrRoomFull", game.MaxSpectators+1, err)
	}
}

// TestInterestAwayMember: a player whose connection dropped keeps its
// entity, which its neighbours still see, and receives nothing; resumed,
// it gets a full snapshot of the neighbourhood its entity is in now.
func TestInterestAwayMember(t *testing.T) {
	r, pm := placedRoom(t, movers.NewLarge, game.RoomConfig{ID: "away", Capacity: 8, ViewRange: 1000, Sessions: plainTokens{}})
	near, away, far := &fakePeer{name: "near"}, &fakePeer{name: "away"}, &fakePeer{name: "far"}
	nearID, awayID, farID := r.join(t, near), r.join(t, away), r.join(t, far)
	pm.at[nearID] = [2]float64{1500, 500} // cell (1, 0)
	pm.at[awayID] = [2]float64{500, 500}  // cell (0, 0)
	pm.at[farID] = [2]float64{2500, 500}  // cell (2, 0)
	r.Step()
	r.bc.take()
	sess := sessionOf(t, welcomeOf(t, away.take(t)).SessionToken)
	r.Disconnect(awayID, away)
	r.Step()
	got := seen(t, r.bc.take())
	if _, ok := got[away]; ok || away.count() != 0 {
		t.Fatal("an away player still receives messages")
	}
	if !slices.Contains(got[near], awayID) {
		t.Fatalf("its neighbour lost sight of the away player: sees %v", got[near])
	}
	if slices.Contains(got[far], awayID) {
		t.Fatalf("a player two cells off sees the away player: %v", got[far])
	}

	// The entity is now elsewhere (say the rules moved it): two cells on.
	pm.at[awayID] = [2]float64{3500, 500} // cell (3, 0)
	back := &fakePeer{name: "back"}
	if err := r.Resume(sess, back); err != nil {
		t.Fatal(err)
	}
	r.Step()
	calls := r.bc.take()
	got = seen(t, calls)
	if want := []uint32{awayID, farID}; !slices.Equal(got[back], want) {
		t.Fatalf("resumed player sees %v, want itself and far %v (its cell now, not where it left)", got[back], want)
	}
	if slices.Contains(got[near], awayID) {
		t.Fatalf("near still sees the player that moved two cells off: %v", got[near])
	}
}

// TestInterestArena runs the arena (1600×1000, with pickups) with a view
// range of 400: cells are 400 units, the world's right edge (1600) falls
// in the last column (3) and its bottom edge (1000) in row 2. Pickups are
// filtered like players; a spectator sees everything.
func TestInterestArena(t *testing.T) {
	r, pm := placedRoom(t, arena.New, game.RoomConfig{ID: "arena", Capacity: 8, ViewRange: 400, Seed: 3})
	var pickups []uint32
	for _, e := range r.entities() {
		if e.Kind == wire.KindPickup {
			pickups = append(pickups, e.ID)
		}
	}
	if len(pickups) != 4 {
		t.Fatalf("arena starts with %d pickups, want 4", len(pickups))
	}
	peers := map[string]*fakePeer{}
	names := map[uint32]string{}
	place := func(name string, id uint32, x, y float64) {
		names[id] = name
		pm.at[id] = [2]float64{x, y}
	}
	for _, p := range []struct {
		name string
		x, y float64
	}{
		{"p1", 100, 100},        // cell (0, 0)
		{"corner", 1600, 1000},  // cell (3, 2): right and bottom edges
		{"p3", 1200, 900},       // cell (3, 2)
		{"p4", 1199.75, 799.75}, // cell (2, 1)
	} {
		peers[p.name] = &fakePeer{name: p.name}
		place(p.name, r.join(t, peers[p.name]), p.x, p.y)
	}
	place("k1", pickups[0], 500, 100) // cell (1, 0)
	place("k2", pickups[1], 900, 100) // cell (2, 0)
	place("k3", pickups[2], 1550, 50) // cell (3, 0)
	place("k4", pickups[3], 50, 950)  // cell (0, 2)
	watcher := &fakePeer{name: "watcher"}
	if _, err := r.JoinSpectator(watcher); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"p1":     {"p1", "k1"},
		"corner": {"corner", "p3", "p4"},
		"p3":     {"corner", "p3", "p4"},
		"p4":     {"corner", "p3", "p4", "k1", "k2", "k3"},
	}
	r.Step()
	got := seen(t, r.bc.take())
	for name, p := range peers {
		var saw []string
		for _, id := range got[p] {
			saw = append(saw, names[id])
		}
		w := slices.Clone(want[name])
		slices.Sort(saw)
		slices.Sort(w)
		if !slices.Equal(saw, w) {
			t.Errorf("%s sees %v, want %v", name, saw, w)
		}
	}
	var all []uint32
	for _, e := range r.entities() {
		all = append(all, e.ID)
	}
	if !slices.Equal(got[watcher], all) {
		t.Errorf("the spectator sees %v, want every entity %v", got[watcher], all)
	}
}
