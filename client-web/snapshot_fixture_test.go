package clientweb

// The web client decodes snapshots in TypeScript (src/world.ts). To make sure
// it reads what the server actually writes, this test encodes a short
// sequence of full and delta snapshots with game.SnapshotEncoder into
// test/unit/fixtures/go-encoder-snapshots.json, which
// test/unit/go-encoder.test.mjs decodes and checks against the worlds.
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
	"testing"

	"github.com/skirmishgg/skirmish/game"
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

func fixtureSteps() []fixtureStep {
	worlds := [][]game.Entity{
		{
			{ID: 1, Kind: game.KindPlayer, X: 400, Y: 800, VX: 880, Angle: 10, HP: 100},
			{ID: 2, Kind: game.KindPlayer, X: 4000, Y: 3000, VY: -880, Angle: 250, HP: 60, Score: 2},
			{ID: 5, Kind: game.KindPickup, X: 3200, Y: 2000},
		},
		{ // 1 moves and turns, 2 is hit, a projectile appears
			{ID: 1, Kind: game.KindPlayer, X: 444, Y: 800, VX: 880, Angle: 12, HP: 100},
			{ID: 2, Kind: game.KindPlayer, X: 4000, Y: 2956, VY: -880, Angle: 250, HP: 40, Score: 2},
			{ID: 5, Kind: game.KindPickup, X: 3200, Y: 2000},
			{ID: 9, Kind: game.KindProjectile, X: 500, Y: 820, VX: 2400, Angle: 12},
		},
		{ // 1 scores, 2 dies, the pickup is taken
			{ID: 1, Kind: game.KindPlayer, X: 488, Y: 800, VX: 880, Angle: 12, HP: 100, Score: 1},
			{ID: 2, Kind: game.KindPlayer, X: 4000, Y: 2956, Angle: 250, HP: 0, Score: 2},
			{ID: 9, Kind: game.KindProjectile, X: 620, Y: 820, VX: 2400, Angle: 12},
		},
	}
	// Tick 100 full; 101 delta on 100; 102 delta on 100 again (the client's
	// ack had not arrived yet); 103 delta on 102 with nothing changed.
	plan := []struct {
		tick, base       uint32
		world, baseWorld int
	}{
		{100, 0, 0, -1}, {101, 100, 1, 0}, {102, 100, 2, 0}, {103, 102, 2, 2},
	}
	var enc game.SnapshotEncoder
	var steps []fixtureStep
	for i, p := range plan {
		var base []game.Entity
		if p.baseWorld >= 0 {
			base = worlds[p.baseWorld]
		}
		ack := uint32(10 + i)
		msg := enc.Encode(nil, p.tick, p.base, base, worlds[p.world])
		msg = game.AppendInputAck(msg, ack)
		var world []fixtureEntity
		for _, e := range worlds[p.world] {
			world = append(world, fixtureEntity(e))
		}
		steps = append(steps, fixtureStep{p.tick, p.base, ack, hex.EncodeToString(msg), world})
	}
	return steps
}

func TestSnapshotFixture(t *testing.T) {
	want, err := json.MarshalIndent(fixtureSteps(), "", "  ")
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
		t.Fatalf("%s is stale: game.SnapshotEncoder output changed; regenerate with -update and run npm test in client-web", fixturePath)
	}
}
