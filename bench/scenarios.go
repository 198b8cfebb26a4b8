package bench

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/skirmishgg/skirmish/bench/baseline"
	"github.com/skirmishgg/skirmish/bench/botnet"
	"github.com/skirmishgg/skirmish/bench/diag"
	"github.com/skirmishgg/skirmish/bench/measure"
)

// Options are the settings every load scenario shares.
type Options struct {
	URL             string
	Latency         time.Duration
	Warmup          time.Duration
	Window          time.Duration
	ConnectTimeout  time.Duration
	ServerPID       int
	PerProcess      int
	DialConcurrency int
	ConnectRate     float64
	Workers         int
	SourceAddrs     []netip.Addr
	Progress        io.Writer
	// NoDebugStats: the server has no /debug/stats (the baseline).
	NoDebugStats bool
}

func (o Options) spec(w botnet.Workload, count int) botnet.ShardSpec {
	return botnet.ShardSpec{
		URL:             o.URL,
		Workload:        w,
		Count:           count,
		Latency:         o.Latency,
		DialConcurrency: o.DialConcurrency,
		ConnectRate:     o.ConnectRate,
		Workers:         o.Workers,
		SourceAddrs:     o.SourceAddrs,
	}
}

func (o Options) run(label string, spec botnet.ShardSpec) botnet.RunConfig {
	statsURL, err := measure.StatsURL(o.URL)
	if err != nil || o.NoDebugStats {
		statsURL = ""
	}
	return botnet.RunConfig{
		Label:          label,
		Spec:           spec,
		PerProcess:     o.PerProcess,
		ConnectTimeout: o.ConnectTimeout,
		Warmup:         o.Warmup,
		Window:         o.Window,
		ServerPID:      o.ServerPID,
		StatsURL:       statsURL,
		Progress:       o.Progress,
	}
}

// RunIdle connects n bots that finish the handshake and stay silent.
func RunIdle(ctx context.Context, o Options, n int) (*Figures, *botnet.RunResult, error) {
	res, err := botnet.Run(ctx, o.run("idle", o.spec(botnet.WorkIdle, n)))
	if err != nil {
		return nil, nil, fmt.Errorf("idle: %w", err)
	}
	f := NewFigures()
	f.Set("bots", int64(n))
	clientFigures(f, res, false)
	serverFigures(f, res, res.Stats.Connected, false)
	return f, res, nil
}

// PlayConfig shapes the play (and slow, and baseline) load.
type PlayConfig struct {
	Rooms, Players int
	// Mode is the rooms' game mode (default movers).
	Mode         string
	SlowFraction float64
	SlowRcvBuf   int
	Validate     bool
	// TrackEntities counts the entities in every snapshot (see
	// botnet.ShardSpec.TrackEntities).
	TrackEntities bool
}

// DefaultMode is the benchmark workload's game mode.
const DefaultMode = "movers"

// roomPrefix names the rooms of a mode: bench-0, bench-1, ... for movers,
// bench-MODE-0, ... for the others (so that a server that already runs
// movers rooms of those names does not refuse another mode's join).
func roomPrefix(mode string) string {
	if mode == "" || mode == DefaultMode {
		return "bench-"
	}
	return "bench-" + mode + "-"
}

// RunPlay runs rooms × players bots in rooms, sending inputs each tick.
func RunPlay(ctx context.Context, o Options, pc PlayConfig, label string) (*Figures, *botnet.RunResult, error) {
	return runPlay(ctx, o, pc, label, 0)
}

// runPlay is RunPlay with an optional reference window before the window
// (the slow scenario).
func runPlay(ctx context.Context, o Options, pc PlayConfig, label string, refWindow time.Duration) (*Figures, *botnet.RunResult, error) {
	spec := o.spec(botnet.WorkPlay, pc.Rooms*pc.Players)
	spec.PlayersPerRoom = pc.Players
	spec.GameMode = pc.Mode
	spec.RoomPrefix = roomPrefix(pc.Mode)
	spec.SlowFraction = pc.SlowFraction
	spec.SlowRcvBuf = pc.SlowRcvBuf
	spec.Validate = pc.Validate
	spec.TrackEntities = pc.TrackEntities
	rc := o.run(label, spec)
	rc.RefWindow = refWindow
	res, err := botnet.Run(ctx, rc)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", label, err)
	}
	f := NewFigures()
	f.Set("mode", cmp.Or(pc.Mode, DefaultMode))
	f.Set("bots", int64(pc.Rooms*pc.Players))
	f.Set("rooms", int64(pc.Rooms))
	f.Set("players_per_room", int64(pc.Players))
	if o.Latency > 0 {
		f.Set("latency_ms", measure.Round3(float64(o.Latency.Microseconds())/1000))
	}
	clientFigures(f, res, true)
	if pc.SlowFraction > 0 {
		s := res.Stats
		f.Set("slow_bots", s.SlowBots)
		f.Set("slow_disconnected", s.SlowDisconnected)
		f.Set("slow_disconnect_p50_ms", measure.Ms(s.SlowDisconnect.Quantile(0.5)))
		f.Set("slow_disconnect_max_ms", measure.Ms(s.SlowDisconnect.Max()))
	}
	// The server serves every joined bot, slow ones included.
	serverFigures(f, res, res.Stats.Joined, true)
	return f, res, nil
}

// BaselineRun configures RunBaseline.
type BaselineRun struct {
	Play PlayConfig
	// SnapshotBytes as the bots see them (input_ack included); 0 computes
	// the size of a full synthetic movers snapshot of Play.Players.
	SnapshotBytes int
}

// RunBaseline starts the baseline server in a child process and runs the
// play load against it, measuring its CPU like the real server's.
func RunBaseline(ctx context.Context, o Options, br BaselineRun) (*Figures, *botnet.RunResult, error) {
	size := br.SnapshotBytes
	if size <= 0 {
		size = baseline.ComputedSnapshotBytes(br.Play.Players)
	}
	bp, err := baseline.StartProcess(baseline.Config{SnapshotBytes: size, Players: br.Play.Players, MaxConns: br.Play.Rooms*br.Play.Players + 64})
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		if err := bp.Close(); err != nil {
			diag.Logf("baseline: %v", err)
		}
	}()
	bo := o
	bo.URL = bp.URL
	bo.ServerPID = bp.PID
	bo.NoDebugStats = true
	f, res, err := RunPlay(ctx, bo, br.Play, "baseline")
	if err != nil {
		return nil, nil, err
	}
	f.Set("baseline_snapshot_bytes", int64(size))
	f.Set("baseline_cpu_us_per_client_tick", f.Float("server_cpu_us_per_client_tick"))
	return f, res, nil
}

// CompareToBaseline adds the baseline's CPU and the ratio to a real
// server's play figures (and the ratio to the baseline's).
func CompareToBaseline(play, base *Figures) {
	b := base.Float("server_cpu_us_per_client_tick")
	s := play.Float("server_cpu_us_per_client_tick")
	play.Set("baseline_cpu_us_per_client_tick", b)
	play.Set("cpu_ratio_to_baseline", measure.Round3(measure.Ratio(s, b)))
	base.Set("cpu_ratio_to_baseline", measure.Round3(measure.Ratio(s, b)))
}
