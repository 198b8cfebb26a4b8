package server

import (
	"log/slog"
	"testing"
	"time"

	"github.com/skirmishgg/skirmish/game"
)

// BenchmarkObserveTick is what the metrics cost a room per tick: one
// report of a tick that encoded three snapshots (a full one for a new
// player, deltas for two baselines), as a 50-player room without interest
// management does.
func BenchmarkObserveTick(b *testing.B) {
	o := NewRoomObserver(slog.New(slog.DiscardHandler))
	ticks := &roomTicks{o: o, tick: o.mode("movers").tick}
	rep := &game.TickReport{Tick: 100, Work: 300 * time.Microsecond, Snapshots: []game.SnapshotReport{
		{Bytes: 2100, Receivers: 1},
		{Bytes: 310, BaseAge: 3, Receivers: 30},
		{Bytes: 360, BaseAge: 4, Receivers: 19},
	}}
	b.ReportAllocs()
	for b.Loop() {
		ticks.ObserveTick(rep)
	}
}
