package vectors

import (
	"encoding/base64"
	"fmt"
	"maps"
	"slices"

	"google.golang.org/protobuf/proto"

	skirmishv1 "github.com/skirmishgg/skirmish/proto/skirmish/v1"
	"github.com/skirmishgg/skirmish/proto/wire"
)

// script writes one Stream the way a server sends it, keeping what the
// client must hold: the worlds sent since the latest Welcome (which the
// client reconstructs), the newest of them, and the roster.
type script struct {
	s      Stream
	enc    wire.SnapshotEncoder
	worlds map[uint32][]wire.Entity
	newest uint32
	roster map[uint32]string
}

func newScript(name, about string) *script {
	return &script{s: Stream{Name: name, About: about}}
}

func (sc *script) add(about string, msg []byte, x Expect) {
	sc.s.Steps = append(sc.s.Steps, Step{About: about, Message: base64.StdEncoding.EncodeToString(msg), Expect: x})
}

func marshal(m *skirmishv1.ServerMessage) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("marshal %v: %v", m, err))
	}
	return b
}

func u32(v uint32) *uint32 { return &v }

// welcome sends w: a new membership, so a new baseline history.
func (sc *script) welcome(about string, w *skirmishv1.Welcome) {
	sc.enc.TickRate = int(w.TickRate)
	sc.worlds, sc.newest, sc.roster = map[uint32][]wire.Entity{}, 0, map[uint32]string{}
	sc.add(about, marshal(&skirmishv1.ServerMessage{Msg: &skirmishv1.ServerMessage_Welcome{Welcome: w}}),
		Expect{Room: w.Room, PlayerID: u32(w.PlayerId), TickRate: w.TickRate, AckTick: u32(0)})
}

// players sends the Roster that follows a Welcome.
func (sc *script) players(about string, ps ...Player) {
	ro := &skirmishv1.Roster{}
	for _, p := range ps {
		ro.Players = append(ro.Players, &skirmishv1.RosterEntry{Id: p.ID, Name: p.Name})
		sc.roster[p.ID] = p.Name
	}
	sc.add(about, marshal(&skirmishv1.ServerMessage{Msg: &skirmishv1.ServerMessage_Roster{Roster: ro}}), Expect{Roster: sc.rosterNow()})
}

// update sends a RosterUpdate.
func (sc *script) update(about string, joined []Player, left []uint32) {
	ru := &skirmishv1.RosterUpdate{Left: left}
	for _, id := range left {
		delete(sc.roster, id)
	}
	for _, p := range joined {
		ru.Joined = append(ru.Joined, &skirmishv1.RosterEntry{Id: p.ID, Name: p.Name})
		sc.roster[p.ID] = p.Name
	}
	sc.add(about, marshal(&skirmishv1.ServerMessage{Msg: &skirmishv1.ServerMessage_RosterUpdate{RosterUpdate: ru}}), Expect{Roster: sc.rosterNow()})
}

func (sc *script) rosterNow() []Player {
	out := []Player{}
	for _, id := range slices.Sorted(maps.Keys(sc.roster)) {
		out = append(out, Player{ID: id, Name: sc.roster[id]})
	}
	return out
}

// snapshot sends world as the snapshot of tick, a delta against base (a
// tick sent since the Welcome) or full (base 0), as the server encodes it.
func (sc *script) snapshot(about string, tick, base uint32, world []wire.Entity, inputAck uint32) {
	if _, ok := sc.worlds[base]; base != 0 && !ok {
		panic(fmt.Sprintf("%s: tick %d: base %d was not sent in this membership", sc.s.Name, tick, base))
	}
	msg := sc.enc.Encode(nil, tick, base, sc.worlds[base], world)
	sc.received(about, wire.AppendInputAck(msg, inputAck), tick, world, inputAck)
}

// received records msg, which describes world at tick, as applied.
func (sc *script) received(about string, msg []byte, tick uint32, world []wire.Entity, inputAck uint32) {
	sc.worlds[tick] = slices.Clone(world)
	sc.newest = max(sc.newest, tick)
	sc.add(about, msg, Expect{AckTick: u32(sc.newest), InputAck: u32(inputAck), World: asWorld(tick, world)})
}

// refuse sends a message the client must not apply.
func (sc *script) refuse(about, why string, msg []byte) {
	sc.add(about, msg, Expect{Error: why, AckTick: u32(sc.newest)})
}

// world returns the world of tick the client reconstructed.
func (sc *script) world(tick uint32) []wire.Entity { return slices.Clone(sc.worlds[tick]) }

func asWorld(tick uint32, es []wire.Entity) *World {
	w := &World{Tick: tick, Entities: []Entity{}}
	for _, e := range es {
		w.Entities = append(w.Entities, Entity{ID: e.ID, Kind: e.Kind, X: e.X, Y: e.Y, VX: e.VX, VY: e.VY, Angle: e.Angle, HP: e.HP, Score: e.Score})
	}
	return w
}

// reckon is world moved by dead reckoning over ticks ticks at rate: what a
// delta predicts, so an entity left so costs nothing in it.
func reckon(world []wire.Entity, ticks uint32, rate int) []wire.Entity {
	out := make([]wire.Entity, len(world))
	for i, e := range world {
		out[i] = wire.Predict(e, ticks, rate)
	}
	return out
}

// with returns world with e in place of the entity of its id (or added),
// in id order.
func with(world []wire.Entity, es ...wire.Entity) []wire.Entity {
	out := slices.Clone(world)
	for _, e := range es {
		i, found := slices.BinarySearchFunc(out, e.ID, func(a wire.Entity, id uint32) int { return int(int64(a.ID) - int64(id)) })
		if found {
			out[i] = e
		} else {
			out = slices.Insert(out, i, e)
		}
	}
	return out
}

// without returns world without the entities of ids.
func without(world []wire.Entity, ids ...uint32) []wire.Entity {
	return slices.DeleteFunc(slices.Clone(world), func(e wire.Entity) bool { return slices.Contains(ids, e.ID) })
}

// find returns the entity of id in world.
func find(world []wire.Entity, id uint32) wire.Entity {
	for _, e := range world {
		if e.ID == id {
			return e
		}
	}
	panic(fmt.Sprintf("no entity %d", id))
}
