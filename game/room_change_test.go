package game_test

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	"github.com/skirmishgg/skirmish/game"
	"github.com/skirmishgg/skirmish/game/movers"
	"github.com/skirmishgg/skirmish/proto/wire"
)

// baseFor runs one tick of r and returns the base_tick of the snapshot
// that peer p received in it.
func baseFor(t *testing.T, r *testRoom, p game.Peer) uint32 {
	t.Helper()
	r.Step()
	for _, bc := range r.bc.take() {
		if slices.Contains(receiverPeers(bc), p) {
			s, _ := snapshot(t, bc)
			return s.BaseTick
		}
	}
	t.Fatalf("tick %d: no snapshot for %v", r.Tick(), p)
	return 0
}

// TestRoomChangeRefusesAcksOfTheOldRoom: ticks count per room, so an
// ack_tick the client sent about room X names nothing in room Y, even
// when Y has a tick of that number in its history. Joining Y starts a new
// baseline history: until the client acknowledges a tick Y sent it, Y
// sends full snapshots.
func TestRoomChangeRefusesAcksOfTheOldRoom(t *testing.T) {
	x := newRoom(t, movers.New, game.RoomConfig{ID: "x"})
	y := newRoom(t, movers.New, game.RoomConfig{ID: "y"})
	other := &fakePeer{name: "other"}
	y.join(t, other) // y ticks with a player of its own
	for range 44 {
		y.Step()
	}
	y.bc.take()

	client := &fakePeer{name: "client"}
	idX := x.join(t, client)
	for range 40 {
		x.Step()
	}
	x.bc.take()
	x.Input(idX, wire.Input{Seq: 1, AckTick: 32})
	if base := baseFor(t, x, client); base != 32 {
		t.Fatalf("in room x, an ack of x's tick 32 gave base %d, want 32", base)
	}

	// The client moves to y (the server leaves x and joins y on one
	// Join); inputs it sent before y's Welcome reached it still carry
	// x's ticks.
	x.Leave(idX)
	x.Step()
	client.take(t)
	idY := y.join(t, client)
	y.Step() // y's tick 45: Welcome, Roster and a full snapshot
	y.bc.take()
	since := welcomeOf(t, client.take(t)).Tick
	if since != 45 {
		t.Fatalf("Welcome.tick %d, want 45", since)
	}
	for _, stale := range []uint32{32, 40, 41} {
		y.Input(idY, wire.Input{Seq: 2, AckTick: stale})
		if base := baseFor(t, y, client); base != 0 {
			t.Fatalf("room y based its snapshot on tick %d after an ack of room x's tick %d (y welcomed the client at %d)", base, stale, since)
		}
	}
	// An ack of a tick y sent is a baseline.
	y.Input(idY, wire.Input{Seq: 3, AckTick: since + 1})
	if base := baseFor(t, y, client); base != since+1 {
		t.Fatalf("ack of y's tick %d gave base %d", since+1, base)
	}
}

// changingClient plays in one room at a time over a connection that
// delays everything by lag ticks both ways, as a real client does: its
// inputs carry the newest tick it reconstructed, it keeps the worlds it
// reconstructed, and it drops them on every Welcome.
type changingClient struct {
	t      *testing.T
	now    *uint32
	lag    uint32
	inbox  map[uint32][][]byte // arrival tick → messages, in sending order
	truth  map[string]*worldRecorder
	room   string
	worlds map[uint32][]wire.Entity // this membership's reconstructed worlds
	newest uint32

	deltas, checked, stale int
}

// Send is the server sending to the client (Welcome, Roster).
func (c *changingClient) Send(msg []byte) {
	at := *c.now + c.lag
	c.inbox[at] = append(c.inbox[at], bytes.Clone(msg))
}

func (c *changingClient) Drop(game.DropReason) { c.t.Error("client dropped") }

// Poll, Broadcast and Close make the client the rooms' link too: it takes
// the snapshots addressed to it.
func (c *changingClient) Poll()  {}
func (c *changingClient) Close() {}
func (c *changingClient) Broadcast(msg []byte, to []game.Receiver) {
	for _, rc := range to {
		if rc.Peer == c {
			c.Send(wire.AppendInputAck(bytes.Clone(msg), rc.InputAck))
		}
	}
}

// receive handles the messages that arrive at tick now.
func (c *changingClient) receive() {
	t := c.t
	for _, b := range c.inbox[*c.now] {
		m := decode(t, b)
		if w := m.GetWelcome(); w != nil {
			// Every Welcome starts a new baseline history.
			c.room, c.worlds, c.newest = w.Room, map[uint32][]wire.Entity{}, 0
			continue
		}
		s := m.GetSnapshot()
		if s == nil {
			continue
		}
		var base []wire.Entity
		if s.BaseTick != 0 {
			var ok bool
			if base, ok = c.worlds[s.BaseTick]; !ok {
				t.Fatalf("room %s: delta %d against tick %d, which the client did not reconstruct in this room", c.room, s.Tick, s.BaseTick)
			}
			c.deltas++
		}
		got, err := wire.ApplySnapshot(nil, base, s, game.DefaultTickRate)
		if err != nil {
			t.Fatal(err)
		}
		if want := c.truth[c.room].worlds[s.Tick]; !slices.Equal(got, want) {
			t.Fatalf("room %s tick %d (base %d): reconstructed\n%v\nwant\n%v", c.room, s.Tick, s.BaseTick, got, want)
		}
		c.worlds[s.Tick] = got
		c.newest = max(c.newest, s.Tick)
		c.checked++
	}
	delete(c.inbox, *c.now)
}

// TestRoomChangeWithAcksInFlight: a client that changes rooms while its
// inputs, with acks of the old room's ticks, are still on their way, and
// that starts a new history at each Welcome as the protocol says,
// reconstructs every snapshot of every room exactly: whether the new room
// is far ahead of the old one in ticks, far behind it, or just behind it
// (so that the old room's ticks in the stale acks are soon ticks the new
// room has sent too).
func TestRoomChangeWithAcksInFlight(t *testing.T) {
	for _, tc := range []struct {
		name     string
		xAt, yAt int // ticks each room has run before the client arrives
		lag      uint32
	}{
		{"new room ahead", 40, 300, 3},
		{"new room behind", 300, 40, 3},
		{"new room just behind", 60, 50, 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var now uint32
			c := &changingClient{t: t, now: &now, lag: tc.lag, inbox: map[uint32][][]byte{}, truth: map[string]*worldRecorder{}}
			var rooms []*game.Room
			for i, at := range []int{tc.xAt, tc.yAt} {
				rec := &worldRecorder{tick: new(uint32), worlds: map[uint32][]wire.Entity{}}
				r := game.NewRoom(game.RoomConfig{
					ID: fmt.Sprint("room", i), Seed: uint64(i + 1), Link: c, Logger: quietLogger(),
					Mode: func(cfg game.ModeConfig) game.Mode {
						rec.Mode = movers.New(cfg)
						return rec
					},
				})
				c.truth[r.ID()] = rec
				for j := range 3 { // players who stay and move
					id, err := r.Join(nopPeer{}, "p")
					if err != nil {
						t.Fatal(err)
					}
					r.Input(id, nopPeer{}, wire.Input{Seq: 1, DX: float32(j - 1), DY: 0.5})
				}
				for range at {
					*rec.tick = r.Tick() + 1
					r.Step()
				}
				rooms = append(rooms, r)
			}

			type sent struct {
				at uint32
				in wire.Input
			}
			var inFlight []sent
			cur := 0
			id, err := rooms[cur].Join(c, "client")
			if err != nil {
				t.Fatal(err)
			}
			changes := 0
			for seq := uint32(1); seq <= 400; seq++ {
				now++
				// What reaches the server now goes to the room the server
				// has the client in now.
				for len(inFlight) > 0 && inFlight[0].at <= now {
					rooms[cur].Input(id, c, inFlight[0].in)
					inFlight = inFlight[1:]
				}
				if now%40 == 0 {
					// A Join of the other room: the server leaves this one
					// and joins that one at once.
					rooms[cur].Leave(id, c)
					cur = 1 - cur
					if id, err = rooms[cur].Join(c, "client"); err != nil {
						t.Fatal(err)
					}
					changes++
				}
				for _, r := range rooms {
					*c.truth[r.ID()].tick = r.Tick() + 1
					r.Step()
				}
				c.receive()
				inFlight = append(inFlight, sent{at: now + c.lag, in: wire.Input{Seq: seq, DX: 1, AckTick: c.newest}})
			}
			if changes < 5 || c.deltas < c.checked/2 {
				t.Fatalf("%d room changes, %d of %d worlds from deltas: the test did not exercise room changes with deltas", changes, c.deltas, c.checked)
			}
		})
	}
}
