package game_test

import (
	"bytes"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/skirmishgg/skirmish/game"
	"github.com/skirmishgg/skirmish/game/arena"
	"github.com/skirmishgg/skirmish/game/movers"
	"github.com/skirmishgg/skirmish/proto/wire"
)

func TestRoomSnapshotsEveryStepToEveryMember(t *testing.T) {
	for _, md := range modes {
		t.Run(md.name, func(t *testing.T) {
			r := newRoom(t, md.new, game.RoomConfig{Seed: 7})
			peers := []*fakePeer{{name: "a"}, {name: "b"}, {name: "c"}}
			ids := make([]uint32, len(peers))
			for i, p := range peers {
				ids[i] = r.join(t, p)
			}
			// a steers and fires (arena makes projectiles), b sends one
			// input, c none: each receiver gets its own ack.
			for tick := uint32(1); tick <= 40; tick++ {
				if !r.Input(ids[0], wire.Input{Seq: 100 + tick, DX: 1, DY: -0.5, Aim: float32(tick) / 5, Buttons: wire.ButtonFire}) {
					t.Fatal("wire.Input of a member returned false")
				}
				if tick == 3 {
					r.Input(ids[1], wire.Input{Seq: 9, DY: 1})
				}
				bc := r.step(t)
				if !slices.Equal(receiverPeers(bc), []game.Peer{peers[0], peers[1], peers[2]}) {
					t.Fatalf("tick %d: receivers %v, want a b c in id order", tick, bc.to)
				}
				wantAck := []uint32{100 + tick, 0, 0}
				if tick >= 3 {
					wantAck[1] = 9
				}
				s, world := snapshot(t, bc)
				if s.Tick != tick || r.Tick() != tick {
					t.Fatalf("snapshot tick %d, room tick %d, want %d", s.Tick, r.Tick(), tick)
				}
				if want := r.entities(); !slices.Equal(world, want) {
					t.Fatalf("tick %d: snapshot world\n%+v\nmode entities\n%+v", tick, world, want)
				}
				for i := range bc.to {
					if bc.to[i].InputAck != wantAck[i] {
						t.Errorf("tick %d: receiver %d InputAck %d, want %d", tick, i, bc.to[i].InputAck, wantAck[i])
					}
					m := deliver(t, bc, i)
					if m.InputAck != wantAck[i] {
						t.Errorf("tick %d: receiver %d decodes input_ack %d, want %d", tick, i, m.InputAck, wantAck[i])
					}
					if !proto.Equal(m.GetSnapshot(), s) {
						t.Errorf("tick %d: receiver %d decodes another snapshot", tick, i)
					}
				}
			}
			if got := r.Stats().Ticks; got != 40 {
				t.Errorf("Stats().Ticks = %d, want 40", got)
			}
		})
	}
}

// TestRoomSnapshotWorldAcrossChanges checks, tick by tick, that a client
// applying the broadcast payload reconstructs exactly the mode's entities
// while players join, steer, fire and leave.
func TestRoomSnapshotWorldAcrossChanges(t *testing.T) {
	for _, md := range modes {
		t.Run(md.name, func(t *testing.T) {
			r := newRoom(t, md.new, game.RoomConfig{Seed: 99, Capacity: 8})
			var live []uint32
			seq := uint32(0)
			sawProjectile := false
			for tick := 1; tick <= 200; tick++ {
				if tick%15 == 1 && len(live) < 6 {
					live = append(live, r.join(t, &fakePeer{name: "p"}))
				}
				if tick%40 == 0 {
					r.Leave(live[0])
					live = live[1:]
				}
				for i, id := range live {
					seq++
					dir := float32(1 - 2*((tick/20+i)%2))
					r.Input(id, wire.Input{Seq: seq, DX: dir, DY: -dir / 2, Aim: float32(i + tick), Buttons: wire.ButtonFire})
				}
				bc := r.step(t)
				_, world := snapshot(t, bc)
				if want := r.entities(); !slices.Equal(world, want) {
					t.Fatalf("tick %d: snapshot world\n%+v\nmode entities\n%+v", tick, world, want)
				}
				players := 0
				for _, e := range world {
					switch e.Kind {
					case wire.KindPlayer:
						players++
					case wire.KindProjectile:
						sawProjectile = true
					}
				}
				if players != len(live) || len(bc.to) != len(live) {
					t.Fatalf("tick %d: %d players, %d receivers, want %d", tick, players, len(bc.to), len(live))
				}
			}
			if md.name == arena.Name && !sawProjectile {
				t.Error("arena players held fire for 200 ticks but no projectile was ever in a snapshot")
			}
		})
	}
}

// TestRoomSnapshotEncodedOncePerTick checks that a tick produces one
// payload shared by every receiver: one Broadcast call, no snapshot sent
// through Peer.Send, and byte-identical content before each receiver's
// five input_ack bytes.
func TestRoomSnapshotEncodedOncePerTick(t *testing.T) {
	r := newRoom(t, arena.New, game.RoomConfig{Seed: 3})
	peers := make([]*fakePeer, 5)
	ids := make([]uint32, len(peers))
	for i := range peers {
		peers[i] = &fakePeer{name: "p"}
		ids[i] = r.join(t, peers[i])
	}
	r.step(t)
	for _, p := range peers {
		p.take(t)
	}
	for tick := range 10 {
		for i, id := range ids {
			r.Input(id, wire.Input{Seq: uint32(10*tick + i + 1), DX: 1})
		}
		bc := r.step(t)
		for _, p := range peers {
			if n := p.count(); n != 0 {
				t.Fatalf("tick %d: peer got %d messages through Send; snapshots go through the Link", tick, n)
			}
		}
		var first []byte
		for i := range bc.to {
			out := wire.AppendInputAck(bytes.Clone(bc.msg), bc.to[i].InputAck)
			if len(out) != len(bc.msg)+wire.InputAckSize {
				t.Fatalf("ack suffix is %d bytes, want %d", len(out)-len(bc.msg), wire.InputAckSize)
			}
			payload := out[:len(out)-wire.InputAckSize]
			if first == nil {
				first = payload
			} else if !bytes.Equal(payload, first) {
				t.Fatalf("tick %d: receiver %d payload differs from receiver 0", tick, i)
			}
			if got, want := bc.to[i].InputAck, uint32(10*tick+i+1); got != want {
				t.Errorf("tick %d: receiver %d InputAck %d, want %d", tick, i, got, want)
			}
		}
	}
}

func TestRoomNoBroadcastWhenEmpty(t *testing.T) {
	r := newRoom(t, movers.New, game.RoomConfig{})
	r.Step()
	id := r.join(t, &fakePeer{name: "a"})
	r.step(t)
	r.Leave(id)
	r.Step()
	if calls := r.bc.take(); len(calls) != 0 {
		t.Errorf("room with no members broadcast %d snapshots: %+v", len(calls), calls)
	}
	if got := r.Stats(); got.Players != 0 || got.Ticks != 3 {
		t.Errorf("Stats() = %+v, want 0 players, 3 ticks", got)
	}
}

func TestRoomWithoutLink(t *testing.T) {
	// A nil Link is allowed (the room still sends Welcome/Roster).
	tr := &testRoom{owners: map[uint32]game.Peer{}}
	r := game.NewRoom(game.RoomConfig{Mode: movers.New, Logger: quietLogger()})
	tr.Room = r
	p := &fakePeer{name: "a"}
	id := tr.join(t, p)
	r.Step()
	if m := p.take(t); len(m) != 2 || m[0].GetWelcome().GetPlayerId() != id {
		t.Errorf("got %v, want Welcome(%d) and Roster", m, id)
	}
}
