package clientweb

// The web client decodes snapshots in TypeScript (src/world.ts). To make sure
// it reads what the server actually writes, this test encodes a short
// sequence of full and delta snapshots with wire.SnapshotEncoder (at tick
// rate 30, with moving entities so that the deltas' dead reckoning matters)
// into test/unit/fixtures/go-encoder-snapshots.json, which
// test/unit/go-encoder.test.mjs decodes and checks against the worlds. The
// test also checks that wire.ApplySnapshot rebuilds the same worlds.
//
// The test fails when the encoder's output no longer matches the committed
// fixture; regenerate it with
//
//	go test ./client-web -run TestSnapshotFixture -update
//
// and run `npm test` in client-web to see whether the client still agrees.

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	skirmishv1 "github.com/skirmishgg/skirmish/proto/skirmish/v1"
	"github.com/skirmishgg/skirmish/proto/wire"
)

var update = flag.Bool("update", false, "rewrite test/unit/fixtures/go-encoder-snapshots.json")

const fixturePath = "test/unit/fixtures/go-encoder-snapshots.json"

type fixtureEntity struct {
	ID    uint32 `json:"id"`
	Kind  int32  `json:"kind"`
	X     int32  `json:"x"`
	Y     int32  `json:"y"`
	VX    int32  `json:"vx"`
	VY    int32  `json:"vy"`
	Angle int32  `json:"angle"`
	HP    int32  `json:"hp"`
	Score int32  `json:"score"`
}

type fixtureStep struct {
	Tick     uint32          `json:"tick"`
	BaseTick uint32          `json:"baseTick"`
	InputAck uint32          `json:"inputAck"`
	Hex      string          `json:"hex"` // one encoded ServerMessage
	World    []fixtureEntity `json:"world"`
}

// fixtureTickRate is the tick rate the fixture's deltas are encoded at; the
// fixture records it for the client.
const fixtureTickRate = 30

// fixture is the file's content.
type fixture struct {
	TickRate int           `json:"tickRate"`
	Steps    []fixtureStep `json:"steps"`
}

// fixtureWorlds are the worlds the fixture encodes. Deltas are relative to
// dead reckoning (x += div_round(vx*d, 30)), so the velocities are chosen
// to exercise its rounding: 880/30 = 29.33 (down), -880/30 = -29.33
// (towards -inf: -29), 15/30 = 0.5 (a half: up to 1), -15/30 = -0.5 (a half:
// up to 0), ±45/30 = ±1.5 (2 and -1), and multi-tick deltas (d = 2, 3).
// Comments give the prediction each world is built to match or to miss.
var fixtureWorlds = [][]wire.Entity{
	{ // world 0
		{ID: 1, Kind: wire.KindPlayer, X: 400, Y: 800, VX: 880, Angle: 10, HP: 100},
		{ID: 2, Kind: wire.KindPlayer, X: 4000, Y: 3000, VY: -880, Angle: 250, HP: 60, Score: 2},
		{ID: 3, Kind: wire.KindPlayer, X: 2000, Y: 2000, VX: 15, VY: -15, Angle: 64, HP: 100},
		{ID: 4, Kind: wire.KindPlayer, X: 1000, Y: 1000, VX: -45, VY: 45, Angle: 160, HP: 100},
		{ID: 5, Kind: wire.KindPickup, X: 3200, Y: 2000},
	},
	{ // world 1, one tick after world 0
		// 1 turns: predicted x 429, right; only the angle is listed.
		{ID: 1, Kind: wire.KindPlayer, X: 429, Y: 800, VX: 880, Angle: 12, HP: 100},
		// 2 is hit: predicted y 2971, it is at 2970.
		{ID: 2, Kind: wire.KindPlayer, X: 4000, Y: 2970, VY: -880, Angle: 250, HP: 40, Score: 2},
		// 3 and 4 are exactly where the halves round to: not listed.
		{ID: 3, Kind: wire.KindPlayer, X: 2001, Y: 2000, VX: 15, VY: -15, Angle: 64, HP: 100},
		{ID: 4, Kind: wire.KindPlayer, X: 999, Y: 1002, VX: -45, VY: 45, Angle: 160, HP: 100},
		{ID: 5, Kind: wire.KindPickup, X: 3200, Y: 2000},
		// A projectile appears: all its values are listed.
		{ID: 9, Kind: wire.KindProjectile, X: 500, Y: 820, VX: 2400, Angle: 12},
	},
	{ // world 2, two ticks after world 0
		// 1 scores: predicted x 459 (58.67 rounds up), right.
		{ID: 1, Kind: wire.KindPlayer, X: 459, Y: 800, VX: 880, Angle: 12, HP: 100, Score: 1},
		// 2 dies where predicted (y 2941) and stops.
		{ID: 2, Kind: wire.KindPlayer, X: 4000, Y: 2941, Angle: 250, HP: 0, Score: 2},
		// 3: predicted (2001, 1999), right.
		{ID: 3, Kind: wire.KindPlayer, X: 2001, Y: 1999, VX: 15, VY: -15, Angle: 64, HP: 100},
		// 4: predicted (997, 1003), right, but it stops.
		{ID: 4, Kind: wire.KindPlayer, X: 997, Y: 1003, Angle: 160, HP: 100},
		// The pickup is taken; the projectile flew on.
		{ID: 9, Kind: wire.KindProjectile, X: 620, Y: 820, VX: 2400, Angle: 12},
	},
	{ // world 3, one tick after world 2: everything as predicted (an empty
		// delta, yet 1, 3 and the projectile moved)
		{ID: 1, Kind: wire.KindPlayer, X: 488, Y: 800, VX: 880, Angle: 12, HP: 100, Score: 1},
		{ID: 2, Kind: wire.KindPlayer, X: 4000, Y: 2941, Angle: 250, HP: 0, Score: 2},
		{ID: 3, Kind: wire.KindPlayer, X: 2002, Y: 1999, VX: 15, VY: -15, Angle: 64, HP: 100},
		{ID: 4, Kind: wire.KindPlayer, X: 997, Y: 1003, Angle: 160, HP: 100},
		{ID: 9, Kind: wire.KindProjectile, X: 700, Y: 820, VX: 2400, Angle: 12},
	},
	{ // world 4, two ticks after world 3
		// 1 turns back: predicted x 547, it is at 546 with the opposite
		// velocity.
		{ID: 1, Kind: wire.KindPlayer, X: 546, Y: 800, VX: -880, Angle: 140, HP: 100, Score: 1},
		{ID: 2, Kind: wire.KindPlayer, X: 4000, Y: 2941, Angle: 250, HP: 0, Score: 2},
		// 3: predicted (2003, 1998): -30/30 = -1 exactly, 30/30 = 1. Right.
		{ID: 3, Kind: wire.KindPlayer, X: 2003, Y: 1998, VX: 15, VY: -15, Angle: 64, HP: 100},
		{ID: 4, Kind: wire.KindPlayer, X: 997, Y: 1003, Angle: 160, HP: 100},
		{ID: 9, Kind: wire.KindProjectile, X: 860, Y: 820, VX: 2400, Angle: 12},
		// A new projectile flying up and left.
		{ID: 12, Kind: wire.KindProjectile, X: 540, Y: 790, VX: -1697, VY: -1697, Angle: 160},
	},
	{ // world 5, three ticks after world 4
		// 1: predicted 546 + div_round(-2640, 30) = 458, right.
		{ID: 1, Kind: wire.KindPlayer, X: 458, Y: 800, VX: -880, Angle: 140, HP: 100, Score: 1},
		{ID: 2, Kind: wire.KindPlayer, X: 4000, Y: 2941, Angle: 250, HP: 0, Score: 2},
		// 3: predicted 2003 + div_round(45, 30) = 2005 (1.5 up),
		// 1998 + div_round(-45, 30) = 1997 (-1.5 up); it is at (2005, 1996).
		{ID: 3, Kind: wire.KindPlayer, X: 2005, Y: 1996, VX: 15, VY: -15, Angle: 64, HP: 100},
		{ID: 4, Kind: wire.KindPlayer, X: 997, Y: 1003, Angle: 160, HP: 100},
		// The projectile hit something and is gone; 12 flies on:
		// 540 + div_round(-5091, 30) = 540 - 170 = 370 (-169.7), and so y.
		{ID: 12, Kind: wire.KindProjectile, X: 370, Y: 620, VX: -1697, VY: -1697, Angle: 160},
	},
}

func fixtureSteps(t *testing.T) fixture {
	// Tick 100 full; 101 delta on 100; 102 delta on 100 again (the client's
	// ack had not arrived yet); 103 delta on 102; 105 delta on 103 (104 was
	// lost); 108 delta on 105; 109 full again (say, after a long stall).
	plan := []struct {
		tick, base       uint32
		world, baseWorld int
	}{
		{100, 0, 0, -1}, {101, 100, 1, 0}, {102, 100, 2, 0}, {103, 102, 3, 2},
		{105, 103, 4, 3}, {108, 105, 5, 4}, {109, 0, 5, -1},
	}
	enc := wire.SnapshotEncoder{TickRate: fixtureTickRate}
	f := fixture{TickRate: fixtureTickRate}
	for i, p := range plan {
		var base []wire.Entity
		if p.baseWorld >= 0 {
			base = fixtureWorlds[p.baseWorld]
		}
		ack := uint32(10 + i)
		msg := enc.Encode(nil, p.tick, p.base, base, fixtureWorlds[p.world])
		msg = wire.AppendInputAck(msg, ack)
		// The fixture is only useful if it is right: the Go reference
		// decoder must rebuild the world from it too.
		var sm skirmishv1.ServerMessage
		if err := proto.Unmarshal(msg, &sm); err != nil {
			t.Fatalf("tick %d: %v", p.tick, err)
		}
		got, err := wire.ApplySnapshot(nil, base, sm.GetSnapshot(), fixtureTickRate)
		if err != nil {
			t.Fatalf("tick %d: %v", p.tick, err)
		}
		if !slices.Equal(got, fixtureWorlds[p.world]) {
			t.Fatalf("tick %d: wire.ApplySnapshot rebuilt\n%v\nnot\n%v", p.tick, got, fixtureWorlds[p.world])
		}
		var world []fixtureEntity
		for _, e := range fixtureWorlds[p.world] {
			world = append(world, fixtureEntity(e))
		}
		f.Steps = append(f.Steps, fixtureStep{p.tick, p.base, ack, hex.EncodeToString(msg), world})
	}
	return f
}

func TestSnapshotFixture(t *testing.T) {
	want, err := json.MarshalIndent(fixtureSteps(t), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, '\n')
	if *update {
		if err := os.WriteFile(fixturePath, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(fixturePath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is stale: wire.SnapshotEncoder output changed; regenerate with -update and run npm test in client-web", fixturePath)
	}
}
