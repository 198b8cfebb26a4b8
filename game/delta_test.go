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

// TestDeltaStreamReconstructsWorld is the property of delta snapshots:
// clients that apply whatever full and delta snapshots reach them, with
// random loss, delay, reordering and late acknowledgements, rebuild exactly
// the server's world of every tick they receive.
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
	} {
		t.Run(mode.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(7, 11))
			var tick uint32
			rec := &worldRecorder{tick: &tick, worlds: map[uint32][]wire.Entity{}}
			rb := &routeLink{r: r, now: &tick, clients: map[game.Peer]*lossyClient{}, loss: 0.2}
			room := game.NewRoom(game.RoomConfig{
				ID: "prop", TickRate: 30, Capacity: 200, Seed: 3, Link: rb, ViewRange: mode.viewRange,
				Mode: func(cfg game.ModeConfig) game.Mode {
					rec.Mode = mode.new(cfg)
					return rec
				},
			})
			var clients []*lossyClient
			var seq uint32
			for range mode.players {
				p := &fakePeer{name: "p"}
				id, err := room.Join(p, "p")
				if err != nil {
					t.Fatal(err)
				}
				c := &lossyClient{id: id, peer: p, inbox: map[uint32][][]byte{}, worlds: map[uint32][]wire.Entity{}}
				rb.clients[p] = c
				clients = append(clients, c)
			}
			for tick = 1; tick <= 600; tick++ {
				// Inputs reach the room with the client's newest rebuilt
				// tick as ack, sometimes late (acks are lost too).
				for _, c := range clients {
					seq++
					if r.Float64() < 0.3 {
						continue
					}
					room.Input(c.id, c.peer, wire.Input{Seq: seq, DX: float32(r.IntN(3) - 1), DY: float32(r.IntN(3) - 1),
						Aim: r.Float32() * 6, Buttons: uint32(r.IntN(2)), AckTick: c.newest})
				}
				room.Step()
				if room.Tick() != tick {
					t.Fatalf("room tick %d, want %d", room.Tick(), tick)
				}
				for _, c := range clients {
					for _, msg := range c.inbox[tick] {
						c.apply(t, msg, rec.worlds, mode.viewRange)
					}
					delete(c.inbox, tick)
				}
			}
			for _, c := range clients {
				if c.checked < 300 || c.deltas < c.checked/2 {
					t.Fatalf("client %d rebuilt %d worlds, %d from deltas: the stream did not exercise deltas", c.id, c.checked, c.deltas)
				}
				if mode.viewRange > 0 && c.maxSeen > mode.players/2 {
					t.Fatalf("client %d saw up to %d of %d players: interest management is not filtering", c.id, c.maxSeen, mode.players)
				}
			}
		})
	}
}

// visible is what a player sees of world with interest management: the
// entities in the 3×3 block of view-range cells around its own.
func visible(world []wire.Entity, player uint32, viewRange float64) []wire.Entity {
	if viewRange == 0 {
		return world
	}
	cell := game.Quantize(viewRange)
	last := int32(movers.LargeSize/viewRange) - 1 // the far edge belongs to the last cell
	at := func(v int32) int32 { return min(v/cell, last) }
	var px, py int32 = -1, -1
	for _, e := range world {
		if e.ID == player {
			px, py = at(e.X), at(e.Y)
		}
	}
	var out []wire.Entity
	for _, e := range world {
		if dx, dy := at(e.X)-px, at(e.Y)-py; dx >= -1 && dx <= 1 && dy >= -1 && dy <= 1 {
			out = append(out, e)
		}
	}
	return out
}

func (c *lossyClient) apply(t *testing.T, msg []byte, truth map[uint32][]wire.Entity, viewRange float64) {
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
	if want := visible(truth[s.Tick], c.id, viewRange); !slices.Equal(got, want) {
		t.Fatalf("client %d tick %d (base %d): rebuilt\n%v\nwant\n%v", c.id, s.Tick, s.BaseTick, got, want)
	}
	c.worlds[s.Tick] = got
	c.maxSeen = max(c.maxSeen, len(got))
	if s.BaseTick != 0 {
		c.deltas++
	}
	c.newest = max(c.newest, s.Tick)
	c.checked++
}
