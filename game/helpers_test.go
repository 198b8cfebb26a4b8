package game_test

// The fakes and helpers shared by the tests of rooms and hubs. Room tests
// drive a Room by calling Step directly: no network, no sleeping, no loop
// goroutine (except where a test runs a hub or Run itself). The game
// rules are the real movers and arena modes; only the server side (Peer
// and Link) is faked. The tests live in package game_test because
// movers and arena import game.

import (
	"bytes"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/skirmishgg/skirmish/game"
	"github.com/skirmishgg/skirmish/game/arena"
	"github.com/skirmishgg/skirmish/game/movers"
	skirmishv1 "github.com/skirmishgg/skirmish/proto/skirmish/v1"
	"github.com/skirmishgg/skirmish/proto/wire"
)

// fakePeer records every message the room sends it.
type fakePeer struct {
	mu      sync.Mutex
	name    string
	raw     [][]byte
	dropped []game.DropReason
	// onDrop, when set, runs in Drop: it sees the world as the peer is
	// dropped.
	onDrop func(game.DropReason)
}

func (p *fakePeer) Send(msg []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.raw = append(p.raw, bytes.Clone(msg))
}

func (p *fakePeer) Drop(reason game.DropReason) {
	if p.onDrop != nil {
		p.onDrop(reason)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dropped = append(p.dropped, reason)
}

// drops returns the reasons the room dropped this peer for.
func (p *fakePeer) drops() []game.DropReason {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.dropped)
}

// count is the number of messages received so far and not taken.
func (p *fakePeer) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.raw)
}

// take decodes and removes the messages received so far.
func (p *fakePeer) take(t *testing.T) []*skirmishv1.ServerMessage {
	t.Helper()
	p.mu.Lock()
	raw := p.raw
	p.raw = nil
	p.mu.Unlock()
	out := make([]*skirmishv1.ServerMessage, len(raw))
	for i, b := range raw {
		out[i] = decode(t, b)
	}
	return out
}

// broadcast is one recorded Link.Broadcast call.
type broadcast struct {
	msg []byte
	to  []game.Receiver
}

// recLink records every broadcast, copying msg because the room
// reuses it for the next tick.
type recLink struct {
	mu    sync.Mutex
	calls []broadcast
}

func (b *recLink) Poll()  {}
func (b *recLink) Close() {}

func (b *recLink) Broadcast(msg []byte, to []game.Receiver) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls = append(b.calls, broadcast{msg: bytes.Clone(msg), to: slices.Clone(to)})
}

func (b *recLink) take() []broadcast {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.calls
	b.calls = nil
	return c
}

// discard is a Link that drops everything; safe for concurrent use.
type discard struct{}

func (discard) Broadcast([]byte, []game.Receiver) {}
func (discard) Poll()                             {}
func (discard) Close()                            {}

type nopPeer struct{}

func (nopPeer) Send([]byte) {}

func (nopPeer) Drop(game.DropReason) {}

func decode(t testing.TB, b []byte) *skirmishv1.ServerMessage {
	t.Helper()
	var m skirmishv1.ServerMessage
	if err := proto.Unmarshal(b, &m); err != nil {
		t.Fatalf("unmarshal server message: %v", err)
	}
	return &m
}

// deliver builds what receiver i of bc gets on the wire, as the contract of
// Link.Broadcast says: msg followed by that receiver's input_ack.
func deliver(t *testing.T, bc broadcast, i int) *skirmishv1.ServerMessage {
	t.Helper()
	return decode(t, wire.AppendInputAck(bytes.Clone(bc.msg), bc.to[i].InputAck))
}

// appliedInput is one Mode.ApplyInput call.
type appliedInput struct {
	id uint32
	in wire.Input
}

// recordingMode wraps a real mode and records the inputs the room hands it.
// It changes nothing: every call goes to the real rules.
type recordingMode struct {
	game.Mode
	inputs []appliedInput
}

func (m *recordingMode) ApplyInput(id uint32, in wire.Input) {
	m.inputs = append(m.inputs, appliedInput{id, in})
	m.Mode.ApplyInput(id, in)
}

// takeInputs returns and clears the inputs applied for id.
func (m *recordingMode) takeInputs(id uint32) []wire.Input {
	var out []wire.Input
	kept := m.inputs[:0]
	for _, a := range m.inputs {
		if a.id == id {
			out = append(out, a.in)
		} else {
			kept = append(kept, a)
		}
	}
	m.inputs = kept
	return out
}

// placedMode wraps a real mode and reports the entities named in at at
// those positions (world units), whatever the rules did with them: a
// room's interest grid then sees exactly the layout a test describes.
// Everything else is the real mode's.
type placedMode struct {
	game.Mode
	at map[uint32][2]float64
}

func (m *placedMode) AppendEntities(dst []wire.Entity) []wire.Entity {
	n := len(dst)
	dst = m.Mode.AppendEntities(dst)
	for i := n; i < len(dst); i++ {
		if p, ok := m.at[dst[i].ID]; ok {
			dst[i].X, dst[i].Y = game.Quantize(p[0]), game.Quantize(p[1])
		}
	}
	return dst
}

// testRoom is a room driven by Step, with the mode it created and the
// link it sends to. It remembers which peer owns each member, so
// that tests can send inputs and leaves by id as that peer.
type testRoom struct {
	*game.Room
	mode   *recordingMode
	bc     *recLink
	owners map[uint32]game.Peer
}

// Join joins as game.Room.Join does, remembering the owner.
func (r *testRoom) Join(p game.Peer, name string) (uint32, error) {
	id, err := r.Room.Join(p, name)
	if err == nil {
		r.owners[id] = p
	}
	return id, err
}

// JoinSpectator joins as game.Room.JoinSpectator does, remembering the
// owner.
func (r *testRoom) JoinSpectator(p game.Peer) (uint32, error) {
	id, err := r.Room.JoinSpectator(p)
	if err == nil {
		r.owners[id] = p
	}
	return id, err
}

// Resume resumes as game.Room.Resume does; the new peer owns the player.
func (r *testRoom) Resume(s game.Session, p game.Peer) error {
	err := r.Room.Resume(s, p)
	if err == nil {
		r.owners[s.Player] = p
	}
	return err
}

// Input sends an input of member id as its owner.
func (r *testRoom) Input(id uint32, in wire.Input) bool {
	return r.Room.Input(id, r.owners[id], in)
}

// Leave leaves as member id's owner.
func (r *testRoom) Leave(id uint32) { r.Room.Leave(id, r.owners[id]) }

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// newRoom creates a room of the given real mode. cfg.Mode and
// cfg.Link are filled in.
func newRoom(t testing.TB, newMode game.NewModeFunc, cfg game.RoomConfig) *testRoom {
	t.Helper()
	tr := &testRoom{bc: &recLink{}, owners: map[uint32]game.Peer{}}
	cfg.Mode = func(c game.ModeConfig) game.Mode {
		tr.mode = &recordingMode{Mode: newMode(c)}
		return tr.mode
	}
	if cfg.Link == nil {
		cfg.Link = tr.bc
	}
	if cfg.Logger == nil {
		cfg.Logger = quietLogger()
	}
	tr.Room = game.NewRoom(cfg)
	if tr.mode == nil {
		t.Fatal("NewRoom did not create its mode")
	}
	return tr
}

func (r *testRoom) join(t *testing.T, p *fakePeer) uint32 {
	t.Helper()
	id, err := r.Join(p, p.name)
	if err != nil {
		t.Fatalf("Join(%s): %v", p.name, err)
	}
	return id
}

// entities is the world as the real mode holds it now.
func (r *testRoom) entities() []wire.Entity { return r.mode.Mode.AppendEntities(nil) }

// step runs one tick and returns its single broadcast.
func (r *testRoom) step(t *testing.T) broadcast {
	t.Helper()
	r.Step()
	calls := r.bc.take()
	if len(calls) != 1 {
		t.Fatalf("tick %d: %d broadcasts, want exactly 1", r.Tick(), len(calls))
	}
	return calls[0]
}

// snapshot decodes bc's shared payload and reconstructs its world.
func snapshot(t *testing.T, bc broadcast) (*skirmishv1.Snapshot, []wire.Entity) {
	t.Helper()
	m := decode(t, bc.msg)
	s := m.GetSnapshot()
	if s == nil {
		t.Fatalf("broadcast is not a snapshot: %v", m)
	}
	if m.InputAck != 0 {
		t.Fatalf("shared payload carries input_ack %d; it must be appended per receiver", m.InputAck)
	}
	world, err := wire.ApplySnapshot(nil, nil, s, game.DefaultTickRate)
	if err != nil {
		t.Fatalf("apply snapshot %d: %v", s.Tick, err)
	}
	return s, world
}

// entityByID finds id in world.
func entityByID(world []wire.Entity, id uint32) (wire.Entity, bool) {
	i := slices.IndexFunc(world, func(e wire.Entity) bool { return e.ID == id })
	if i < 0 {
		return wire.Entity{}, false
	}
	return world[i], true
}

func mustEntity(t *testing.T, world []wire.Entity, id uint32) wire.Entity {
	t.Helper()
	e, ok := entityByID(world, id)
	if !ok {
		t.Fatalf("entity %d not in world %+v", id, world)
	}
	return e
}

// receiverPeers lists the peers of a broadcast in order.
func receiverPeers(bc broadcast) []game.Peer {
	out := make([]game.Peer, len(bc.to))
	for i, r := range bc.to {
		out[i] = r.Peer
	}
	return out
}

func welcomeOf(t *testing.T, msgs []*skirmishv1.ServerMessage) *skirmishv1.Welcome {
	t.Helper()
	for _, m := range msgs {
		if w := m.GetWelcome(); w != nil {
			return w
		}
	}
	t.Fatalf("no Welcome among %v", msgs)
	return nil
}

var modes = []struct {
	name     string
	new      game.NewModeFunc
	w, h     uint32
	extra    int // non-player entities the mode creates on its own at start
	movement *skirmishv1.Movement
}{
	{movers.Name, movers.New, 1000, 1000, 0, &skirmishv1.Movement{Speed: 100}},
	{arena.Name, arena.New, 1600, 1000, 4, &skirmishv1.Movement{Speed: 220, Radius: 20, NormalizeDiagonal: true}}, // four health pickups
}

// waitFor polls cond until it holds, failing after a generous timeout.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
