package game_test

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/skirmishgg/skirmish/game"
	"github.com/skirmishgg/skirmish/game/arena"
	"github.com/skirmishgg/skirmish/game/movers"
	skirmishv1 "github.com/skirmishgg/skirmish/proto/skirmish/v1"
	"github.com/skirmishgg/skirmish/proto/wire"
)

// worldRecorder remembers the world the room recorded at every tick.
type worldRecorder struct {
	game.Mode
	tick   *uint32
	worlds map[uint32][]wire.Entity
}

func (m *worldRecorder) AppendEntities(dst []wire.Entity) []wire.Entity {
	dst = m.Mode.AppendEntities(dst)
	m.worlds[*m.tick] = slices.Clone(dst)
	return dst
}

// lossyClient is one player whose link loses and delays snapshots and
// acknowledgements, and who rebuilds the world from what arrives.
type lossyClient struct {
	id      uint32
	peer    game.Peer
	refPeer game.Peer           // the same player in the reference room
	inbox   map[uint32][][]byte // tick it arrives at → snapshots
	worlds  map[uint32][]wire.Entity
	newest  uint32
	checked int
	deltas  int
	maxSeen int // most entities in one rebuilt world
}

// routeLink delivers each receiver's snapshot into its client's
// inbox, after a random delay, or loses it.
type routeLink struct {
	r       *rand.Rand
	now     *uint32
	clients map[game.Peer]*lossyClient
	loss    float64
}

func (b *routeLink) Poll()  {}
func (b *routeLink) Close() {}

func (b *routeLink) Broadcast(msg []byte, to []game.Receiver) {
	for _, rc := range to {
		c := b.clients[rc.Peer]
		if b.r.Float64() < b.loss {
			continue
		}
		at := *b.now + uint32(b.r.IntN(4)) // up to 3 ticks late, reordered
		c.inbox[at] = append(c.inbox[at], wire.AppendInputAck(bytes.Clone(msg), rc.InputAck))
	}
}

// viewRecorder is the link to the lossless clients of a room without
// deltas: it keeps every full snapshot each player receives, by player
// and tick. The property test compares what lossy delta clients rebuild
// with these views, so it needs no model of interest management of its
// own.
type viewRecorder struct {
	ids   map[game.Peer]uint32
	views map[uint32]map[uint32][]byte // player → tick → snapshot
	now   *uint32
}

func (v *viewRecorder) Poll()  {}
func (v *viewRecorder) Close() {}

func (v *viewRecorder) Broadcast(msg []byte, to []game.Receiver) {
	for _, rc := range to {
		id := v.ids[rc.Peer]
		if v.views[id] == nil {
			v.views[id] = map[uint32][]byte{}
		}
		v.views[id][*v.now] = bytes.Clone(msg)
	}
}

// view is the world player saw at tick, decoded.
func (v *viewRecorder) view(t *testing.T, player, tick uint32) []wire.Entity {
	t.Helper()
	raw, ok := v.views[player][tick]
	if !ok {
		t.Fatalf("the reference room sent player %d nothing at tick %d", player, tick)
	}
	s := decode(t, raw).GetSnapshot()
	if s == nil || s.BaseTick != 0 {
		t.Fatalf("the reference room sent player %d a delta or no snapshot at tick %d", player, tick)
	}
	world, err := wire.ApplySnapshot(nil, nil, s, game.DefaultTickRate)
	if err != nil {
		t.Fatal(err)
	}
	return world
}

// TestDeltaStreamReconstructsWorld is the property of delta snapshots:
// clients that apply whatever full and delta snapshots reach them, with
// random loss, delay, reordering and late acknowledgements, rebuild exactly
// what a lossless client of the same room sending only full snapshots sees
// at every tick they receive: the whole world, or with interest management
// the player's neighbourhood. The reference is a second room with the
// same seed and inputs and FullSnapshots set.
func TestDeltaStreamReconstructsWorld(t *testing.T) {
	for _, mode := range []struct {
		name      string
		new       game.NewModeFunc
		viewRange float64
		players   int
	}{
		{"movers", movers.New, 0, 12},
		{"arena", arena.New, 0, 12},
		{"movers-large with interest management", movers.NewLarge, 1000, 120},
		{"arena with interest management", arena.New, 400, 12},
	} {
		t.Run(mode.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(7, 11))
			var tick uint32
			rec := &worldRecorder{tick: &tick, worlds: map[uint32][]wire.Entity{}}
			rb := &routeLink{r: r, now: &tick, clients: map[game.Peer]*lossyClient{}, loss: 0.2}
			ref := &viewRecorder{ids: map[game.Peer]uint32{}, views: map[uint32]map[uint32][]byte{}, now: &tick}
			cfg := game.RoomConfig{ID: "prop", TickRate: 30, Capacity: 200, Seed: 3, ViewRange: mode.viewRange}
			lossy, full := cfg, cfg
			lossy.Link = rb
			lossy.Mode = func(cfg game.ModeConfig) game.Mode {
				rec.Mode = mode.new(cfg)
				return rec
			}
			full.Link, full.FullSnapshots, full.Mode = ref, true, mode.new
			room, refRoom := game.NewRoom(lossy), game.NewRoom(full)
			var clients []*lossyClient
			var seq uint32
			for range mode.players {
				p, q := &fakePeer{name: "p"}, &fakePeer{name: "p"}
				id, err := room.Join(p, "p")
				if err != nil {
					t.Fatal(err)
				}
				if rid, err := refRoom.Join(q, "p"); err != nil || rid != id {
					t.Fatalf("reference room gave id %d (%v), want %d", rid, err, id)
				}
				ref.ids[q] = id
				c := &lossyClient{id: id, peer: p, refPeer: q, inbox: map[uint32][][]byte{}, worlds: map[uint32][]wire.Entity{}}
				rb.clients[p] = c
				clients = append(clients, c)
			}
			filtered := 0
			for tick = 1; tick <= 600; tick++ {
				// Inputs reach the room with the client's newest rebuilt
				// tick as ack, sometimes late (acks are lost too).
				for _, c := range clients {
					seq++
					if r.Float64() < 0.3 {
						continue
					}
					in := wire.Input{Seq: seq, DX: float32(r.IntN(3) - 1), DY: float32(r.IntN(3) - 1),
						Aim: r.Float32() * 6, Buttons: uint32(r.IntN(2)), AckTick: c.newest}
					room.Input(c.id, c.peer, in)
					refRoom.Input(c.id, c.refPeer, in)
				}
				room.Step()
				refRoom.Step()
				if room.Tick() != tick {
					t.Fatalf("room tick %d, want %d", room.Tick(), tick)
				}
				for _, c := range clients {
					for _, msg := range c.inbox[tick] {
						if at, n := c.apply(t, msg, ref); n < len(rec.worlds[at]) {
							filtered++
						}
					}
					delete(c.inbox, tick)
				}
				// Snapshots arrive at most 3 ticks late: older references
				// are never asked for again.
				for _, v := range ref.views {
					delete(v, tick-4)
				}
			}
			for _, c := range clients {
				if c.checked < 300 || c.deltas < c.checked/2 {
					t.Fatalf("client %d rebuilt %d worlds, %d from deltas: the stream did not exercise deltas", c.id, c.checked, c.deltas)
				}
				if mode.viewRange > 0 && mode.players > 100 && c.maxSeen > mode.players/2 {
					t.Fatalf("client %d saw up to %d of %d players: interest management is not filtering", c.id, c.maxSeen, mode.players)
				}
			}
			if mode.viewRange == 0 && filtered != 0 {
				t.Fatalf("without interest management %d rebuilt worlds lacked entities", filtered)
			}
			if mode.viewRange > 0 && filtered == 0 {
				t.Fatal("with interest management no client ever saw less than the whole world")
			}
		})
	}
}

// apply rebuilds the world of one snapshot, checks it against the
// reference room's view and returns its tick and number of entities.
func (c *lossyClient) apply(t *testing.T, msg []byte, ref *viewRecorder) (tick uint32, entities int) {
	t.Helper()
	var m skirmishv1.ServerMessage
	if err := proto.Unmarshal(msg, &m); err != nil {
		t.Fatal(err)
	}
	s := m.GetSnapshot()
	var base []wire.Entity
	if s.BaseTick != 0 {
		var ok bool
		if base, ok = c.worlds[s.BaseTick]; !ok {
			t.Fatalf("client %d: delta %d against tick %d it never acknowledged", c.id, s.Tick, s.BaseTick)
		}
	}
	got, err := wire.ApplySnapshot(nil, base, s, 30)
	if err != nil {
		t.Fatal(err)
	}
	if want := ref.view(t, c.id, s.Tick); !slices.Equal(got, want) {
		t.Fatalf("client %d tick %d (base %d): rebuilt\n%v\nwant\n%v", c.id, s.Tick, s.BaseTick, got, want)
	}
	c.worlds[s.Tick] = got
	c.maxSeen = max(c.maxSeen, len(got))
	if s.BaseTick != 0 {
		c.deltas++
	}
	c.newest = max(c.newest, s.Tick)
	c.checked++
	return s.Tick, len(got)
}
