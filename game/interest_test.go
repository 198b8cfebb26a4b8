package game_test

import (
	"math/rand/v2"
	"testing"

	"github.com/skirmishgg/skirmish/game"
	"github.com/skirmishgg/skirmish/game/movers"
	"github.com/skirmishgg/skirmish/proto/wire"
)

type byteCounter struct{ bytes int }

func (d *byteCounter) Broadcast(msg []byte, to []game.Receiver) { d.bytes += len(msg) * len(to) }
func (d *byteCounter) Poll()                                    {}
func (d *byteCounter) Close()                                   {}

// BenchmarkRoomTickPerClient compares the room's cost per client per tick
// (simulate, encode the snapshots each client needs) in a 50-player movers
// room and in a 500-player large world with interest management, with
// clients acknowledging ticks 3 behind as over a real network. ns/client
// and bytes/client are per client per tick.
func BenchmarkRoomTickPerClient(b *testing.B) {
	for _, bc := range []struct {
		name      string
		mode      game.NewModeFunc
		players   int
		viewRange float64
	}{
		{"movers-50", movers.New, 50, 0},
		{"movers-large-500-view-1000", movers.NewLarge, 500, 1000},
	} {
		b.Run(bc.name, func(b *testing.B) {
			d := &byteCounter{}
			room := game.NewRoom(game.RoomConfig{ID: "b", Mode: bc.mode, Capacity: bc.players, Seed: 1, Link: d, ViewRange: bc.viewRange})
			r := rand.New(rand.NewPCG(1, 1))
			ids := make([]uint32, bc.players)
			for i := range ids {
				ids[i], _ = room.Join(nopPeer{}, "p")
			}
			var seq uint32
			step := func() {
				seq++
				for _, id := range ids {
					in := wire.Input{Seq: seq, AckTick: max(room.Tick(), 3) - 3}
					if seq%30 == 0 {
						in.DX, in.DY = float32(r.IntN(3)-1), float32(r.IntN(3)-1)
					}
					room.Input(id, nopPeer{}, in)
				}
				room.Step()
			}
			for range 64 { // warm the history and the buffers
				step()
			}
			d.bytes = 0
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				step()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*bc.players), "ns/client")
			b.ReportMetric(float64(d.bytes)/float64(b.N*bc.players), "bytes/client")
		})
	}
}
