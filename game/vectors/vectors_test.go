package vectors_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/skirmishgg/skirmish/game"
	"github.com/skirmishgg/skirmish/game/modes"
	"github.com/skirmishgg/skirmish/game/vectors"
	skirmishv1 "github.com/skirmishgg/skirmish/proto/skirmish/v1"
	"github.com/skirmishgg/skirmish/proto/wire"
)

const file = "../../proto/testdata/vectors.json"

func load(t *testing.T) vectors.File {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var f vectors.File
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if len(f.Streams) == 0 || len(f.Movement) == 0 {
		t.Fatalf("%s holds no vectors", file)
	}
	return f
}

// client is the smallest client that follows the contract: the Go
// reference for the others.
type client struct {
	room     string
	player   uint32
	tickRate int
	history  map[uint32][]wire.Entity // since the latest Welcome
	newest   uint32
	roster   map[uint32]string
}

// handle applies one ServerMessage; the world it reconstructed, if any.
func (c *client) handle(msg []byte) (world []wire.Entity, inputAck uint32, err error) {
	var m skirmishv1.ServerMessage
	if err := proto.Unmarshal(msg, &m); err != nil {
		return nil, 0, err
	}
	switch x := m.Msg.(type) {
	case *skirmishv1.ServerMessage_Welcome:
		// Every Welcome starts a new baseline history.
		c.room, c.player, c.tickRate = x.Welcome.Room, x.Welcome.PlayerId, int(x.Welcome.TickRate)
		c.history, c.newest, c.roster = map[uint32][]wire.Entity{}, 0, map[uint32]string{}
	case *skirmishv1.ServerMessage_Roster:
		c.roster = map[uint32]string{}
		for _, p := range x.Roster.Players {
			c.roster[p.Id] = p.Name
		}
	case *skirmishv1.ServerMessage_RosterUpdate:
		for _, id := range x.RosterUpdate.Left {
			delete(c.roster, id)
		}
		for _, p := range x.RosterUpdate.Joined {
			c.roster[p.Id] = p.Name
		}
	case *skirmishv1.ServerMessage_Snapshot:
		s := x.Snapshot
		var base []wire.Entity
		if s.BaseTick != 0 {
			var ok bool
			if base, ok = c.history[s.BaseTick]; !ok {
				return nil, 0, fmt.Errorf("baseline %d not reconstructed since the latest Welcome", s.BaseTick)
			}
		}
		world, err := wire.ApplySnapshot(nil, base, s, c.tickRate)
		if err != nil {
			return nil, 0, err
		}
		c.history[s.Tick] = world
		c.newest = max(c.newest, s.Tick)
		return world, m.InputAck, nil
	}
	return nil, 0, nil
}

// TestGoClientPassesVectors: the Go reference code (the generated parser,
// wire.ApplySnapshot) reconstructs what every step expects and refuses
// what it must.
func TestGoClientPassesVectors(t *testing.T) {
	for _, st := range load(t).Streams {
		t.Run(st.Name, func(t *testing.T) {
			var c client
			for i, step := range st.Steps {
				msg, err := base64.StdEncoding.DecodeString(step.Message)
				if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				world, inputAck, err := c.handle(msg)
				x := step.Expect
				if (err != nil) != (x.Error != "") {
					t.Fatalf("step %d (%s): error %v, want %q", i, step.About, err, x.Error)
				}
				if x.AckTick != nil && c.newest != *x.AckTick {
					t.Errorf("step %d (%s): ack_tick %d, want %d", i, step.About, c.newest, *x.AckTick)
				}
				if x.Room != "" && (c.room != x.Room || c.player != *x.PlayerID || c.tickRate != int(x.TickRate)) {
					t.Errorf("step %d: room %s player %d rate %d, want %s %d %d", i, c.room, c.player, c.tickRate, x.Room, *x.PlayerID, x.TickRate)
				}
				if x.InputAck != nil && inputAck != *x.InputAck {
					t.Errorf("step %d: input_ack %d, want %d", i, inputAck, *x.InputAck)
				}
				if x.World != nil {
					var want []wire.Entity
					for _, e := range x.World.Entities {
						want = append(want, wire.Entity{ID: e.ID, Kind: e.Kind, X: e.X, Y: e.Y, VX: e.VX, VY: e.VY, Angle: e.Angle, HP: e.HP, Score: e.Score})
					}
					if !slices.Equal(world, want) {
						t.Errorf("step %d (%s): world\n%v\nwant\n%v", i, step.About, world, want)
					}
				}
				if x.Roster != nil {
					var got []vectors.Player
					for _, id := range slices.Sorted(maps.Keys(c.roster)) {
						got = append(got, vectors.Player{ID: id, Name: c.roster[id]})
					}
					if !slices.Equal(got, x.Roster) {
						t.Errorf("step %d: roster %v, want %v", i, got, x.Roster)
					}
				}
			}
		})
	}
}

// TestMovementVectorsFollowTheModes: the shipped modes move a player as
// the movement vectors say (so the vectors state what the server does).
func TestMovementVectorsFollowTheModes(t *testing.T) {
	for _, v := range load(t).Movement {
		spec, ok := modes.Shipped()[v.Mode]
		if !ok {
			t.Fatalf("%s: no mode %q", v.Name, v.Mode)
		}
		rule := spec.New(game.ModeConfig{IDs: &game.IDs{}}).Movement()
		if got := (vectors.Rule{Speed: rule.Speed, Radius: rule.Radius, NormalizeDiagonal: rule.NormalizeDiagonal}); got != v.Rule {
			t.Fatalf("%s: the vectors say %+v, mode %s moves by %+v", v.Name, v.Rule, v.Mode, got)
		}
		x, y := v.Start.X, v.Start.Y
		for i, m := range v.Ticks {
			var vx, vy float64
			x, y, vx, vy = rule.Move(x, y, float64(game.ClampAxis(m.DX)), float64(game.ClampAxis(m.DY)), float64(v.TickPeriodNs)/1e9, float64(v.WorldWidth), float64(v.WorldHeight))
			for _, d := range []float64{x - m.X, y - m.Y, vx - m.VX, vy - m.VY} {
				if math.Abs(d) > 1e-6 {
					t.Fatalf("%s tick %d: (%v, %v) moving (%v, %v), want %+v", v.Name, i, x, y, vx, vy, m)
				}
			}
		}
	}
}
