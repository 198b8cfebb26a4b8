package botnet

import (
	"math/rand/v2"
	"slices"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	skirmishv1 "github.com/skirmishgg/skirmish/proto/skirmish/v1"
	"github.com/skirmishgg/skirmish/proto/wire"
)

// snapBody returns the encoded Snapshot inside an encoded ServerMessage.
func snapBody(t *testing.T, msg []byte) (wire.ServerScan, []byte) {
	t.Helper()
	s, err := wire.ScanServerMessage(msg)
	if err != nil {
		t.Fatal(err)
	}
	if s.Kind != wire.FieldServerSnapshot {
		t.Fatalf("not a snapshot: kind %d", s.Kind)
	}
	return s, s.Body
}

func TestScanSnapshotColumnsAgreesWithGenerated(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 200 {
		var snap skirmishv1.Snapshot
		snap.Tick = rng.Uint32N(1 << 20)
		if i%2 == 1 {
			snap.BaseTick = rng.Uint32N(snap.Tick + 1)
		}
		n := rng.IntN(80)
		id := uint32(0)
		var ids []uint32
		for k := range n {
			gap := 1 + rng.Uint32N(300)
			if k == 0 {
				gap = rng.Uint32N(1000)
			}
			id += gap
			ids = append(ids, id)
			snap.Id = append(snap.Id, gap)
			snap.X = append(snap.X, rng.Int32N(8000)-4000)
		}
		if i%3 == 0 && n > 0 {
			for range n {
				snap.Score = append(snap.Score, rng.Int32N(200)-100)
			}
		}
		for range rng.IntN(5) {
			snap.Removed = append(snap.Removed, rng.Uint32N(5000))
		}
		slices.Sort(snap.Removed)
		b, err := proto.Marshal(&skirmishv1.ServerMessage{Msg: &skirmishv1.ServerMessage_Snapshot{Snapshot: &snap}, InputAck: 9})
		if err != nil {
			t.Fatal(err)
		}
		s, body := snapBody(t, b)
		if s.Tick != snap.Tick || s.Base != snap.BaseTick {
			t.Fatalf("scan tick %d base %d, want %d %d", s.Tick, s.Base, snap.Tick, snap.BaseTick)
		}
		var c wire.SnapshotColumns
		if err := wire.ScanSnapshotColumns(body, &c); err != nil {
			t.Fatalf("snapshot %d: %v", i, err)
		}
		if c.Tick != snap.Tick || c.Base != snap.BaseTick || !slices.Equal(c.IDs, ids) ||
			!slices.Equal(c.Score, snap.Score) || !slices.Equal(c.Removed, snap.Removed) {
			t.Fatalf("snapshot %d: scanned %+v\nwant ids %v score %v removed %v", i, c, ids, snap.Score, snap.Removed)
		}
	}
}

func TestScanSnapshotColumnsUnpackedAndBad(t *testing.T) {
	// Repeated fields one varint each (not packed) are valid protobuf.
	var b []byte
	b = protowire.AppendTag(b, wire.FieldSnapTick, protowire.VarintType)
	b = protowire.AppendVarint(b, 50)
	for _, gap := range []uint64{3, 2, 10} {
		b = protowire.AppendTag(b, wire.FieldSnapID, protowire.VarintType)
		b = protowire.AppendVarint(b, gap)
	}
	for _, sc := range []int64{1, -2, 3} {
		b = protowire.AppendTag(b, wire.FieldSnapScore, protowire.VarintType)
		b = protowire.AppendVarint(b, protowire.EncodeZigZag(sc))
	}
	var c wire.SnapshotColumns
	if err := wire.ScanSnapshotColumns(b, &c); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.IDs, []uint32{3, 5, 15}) || !slices.Equal(c.Score, []int32{1, -2, 3}) || c.Tick != 50 {
		t.Fatalf("unpacked: %+v", c)
	}
	// A score column that does not match the ids, and garbage.
	bad := protowire.AppendTag(append([]byte(nil), b...), wire.FieldSnapScore, protowire.VarintType)
	bad = protowire.AppendVarint(bad, 2)
	if err := wire.ScanSnapshotColumns(bad, &c); err == nil {
		t.Error("4 scores for 3 ids accepted")
	}
	for _, g := range [][]byte{{0x1a, 0x05, 0x01}, {0xff}, {0x1d, 1, 2, 3, 4}} {
		if err := wire.ScanSnapshotColumns(g, &c); err == nil {
			t.Errorf("%x accepted", g)
		}
	}
}

func TestMergeIDs(t *testing.T) {
	for _, tc := range []struct{ base, listed, removed, want []uint32 }{
		{nil, []uint32{1, 2}, nil, []uint32{1, 2}},
		{[]uint32{1, 3, 5}, []uint32{2, 3, 6}, []uint32{5}, []uint32{1, 2, 3, 6}},
		{[]uint32{1, 3, 5}, nil, []uint32{1, 3, 5}, nil},
		{[]uint32{4}, []uint32{1}, []uint32{2, 3}, []uint32{1, 4}},
	} {
		if got := mergeIDs(nil, tc.base, tc.listed, tc.removed); !slices.Equal(got, tc.want) {
			t.Errorf("mergeIDs(%v, %v, %v) = %v, want %v", tc.base, tc.listed, tc.removed, got, tc.want)
		}
	}
	for _, id := range []uint32{0, 1, 4, 9, 10} {
		i, ok := indexID([]uint32{1, 4, 9}, id)
		wi, wok := slices.BinarySearch([]uint32{1, 4, 9}, id)
		if i != wi || ok != wok {
			t.Errorf("indexID(%d) = %d %v, want %d %v", id, i, ok, wi, wok)
		}
	}
}

// TestWorldTrackerFollowsDeltas drives the server's snapshot Encoder over
// a changing world (entities coming and going, moving, scoring) and checks
// that a tracker fed full snapshots and deltas against the ticks it
// acknowledged knows at every tick the entities and the own score.
func TestWorldTrackerFollowsDeltas(t *testing.T) {
	const own, rate = 7, 30
	rng := rand.New(rand.NewPCG(3, 4))
	world := map[uint32]*wire.Entity{}
	nextID := uint32(1)
	for range 40 {
		world[nextID] = &wire.Entity{ID: nextID, Kind: 1}
		nextID++
	}
	history := map[uint32][]wire.Entity{}
	enc := wire.SnapshotEncoder{TickRate: rate}
	tr := worldTracker{ids: true, own: own}
	var acked []uint32 // ticks the client resolved, newest last
	var c wire.SnapshotColumns
	var fulls, deltas, removals int
	for tick := uint32(1); tick <= 400; tick++ {
		// The world moves on: new entities, some leave (the own one
		// leaves for a while and comes back), some turn and score.
		if rng.IntN(3) == 0 {
			world[nextID] = &wire.Entity{ID: nextID, Kind: 1, X: rng.Int32N(4000)}
			nextID++
		}
		for id, e := range world {
			switch r := rng.IntN(100); {
			case r < 2 && id != own:
				delete(world, id)
			case r < 12:
				e.VX, e.VY = rng.Int32N(800)-400, rng.Int32N(800)-400
				e.Score++
			}
			e.X += e.VX / rate
			e.Y += e.VY / rate
		}
		switch tick {
		case 150:
			delete(world, own)
		case 170:
			world[own] = &wire.Entity{ID: own, Kind: 1, Score: 3}
		}
		cur := make([]wire.Entity, 0, len(world))
		for _, e := range world {
			cur = append(cur, *e)
		}
		slices.SortFunc(cur, func(a, b wire.Entity) int { return int(a.ID) - int(b.ID) })
		history[tick] = cur
		// Baseline: the newest acknowledged tick within 32, sometimes
		// an older one, sometimes none (full).
		var base uint32
		if len(acked) > 0 && rng.IntN(10) > 0 {
			base = acked[len(acked)-1-rng.IntN(min(len(acked), 4))]
			if tick-base > 32 {
				base = 0
			}
		}
		msg := enc.Encode(nil, tick, base, history[base], cur)
		_, body := snapBody(t, msg)
		if err := wire.ScanSnapshotColumns(body, &c); err != nil {
			t.Fatal(err)
		}
		// The client sometimes misses a tick (never acknowledges it).
		if rng.IntN(8) == 0 {
			continue
		}
		if base == 0 {
			fulls++
		} else {
			deltas++
		}
		removals += len(c.Removed)
		got := tr.apply(&c)
		if !got.ok {
			t.Fatalf("tick %d: baseline %d not resolved", tick, base)
		}
		acked = append(acked, tick)
		if got.entities != len(cur) {
			t.Fatalf("tick %d (base %d): %d entities, want %d", tick, base, got.entities, len(cur))
		}
		ids := make([]uint32, len(cur))
		for i, e := range cur {
			ids[i] = e.ID
		}
		if !slices.Equal(tr.ticks[tick%trackDepth].ids, ids) {
			t.Fatalf("tick %d: ids %v, want %v", tick, tr.ticks[tick%trackDepth].ids, ids)
		}
		e, present := world[own]
		if got.own != present || present && got.score != e.Score {
			t.Fatalf("tick %d (base %d): own %v score %d, want %v %d", tick, base, got.own, got.score, present, e.Score)
		}
		latest, ok := tr.latest()
		if !ok || latest.tick != tick {
			t.Fatalf("tick %d: latest %d", tick, latest.tick)
		}
	}
	if fulls < 20 || deltas < 200 || removals < 20 {
		t.Fatalf("the test did not exercise enough: %d full, %d deltas, %d removals", fulls, deltas, removals)
	}
	// A delta against a tick the tracker never saw is not resolved, and
	// neither is one against that unresolved tick.
	c = wire.SnapshotColumns{Tick: 1000, Base: 999}
	if tr.apply(&c).ok {
		t.Fatal("delta against an unknown tick resolved")
	}
	c = wire.SnapshotColumns{Tick: 1001, Base: 1000}
	if tr.apply(&c).ok {
		t.Fatal("delta against an unresolved tick resolved")
	}
	tr.reset()
	if _, ok := tr.latest(); ok {
		t.Fatal("reset tracker still has a tick")
	}
}
