package scenario

import (
	"context"
	"flag"

	"github.com/skirmishgg/skirmish/bench/baseline"
	"github.com/skirmishgg/skirmish/bench/botnet"
	"github.com/skirmishgg/skirmish/bench/diag"
	"github.com/skirmishgg/skirmish/bench/measure"
	"github.com/skirmishgg/skirmish/bench/report"
)

// Baseline runs the play load against the raw broadcast server (package
// baseline) in a child process, measured like the real server: the floor
// of the server's CPU. With -url it first runs play against that server
// and reports its CPU as a multiple of the floor.
type Baseline struct {
	load          LoadFlags
	play          PlayConfig
	snapshotBytes int
}

// Name is "baseline".
func (*Baseline) Name() string { return "baseline" }

// Flags registers the load flags, the play load's shape and
// -snapshot-bytes.
func (s *Baseline) Flags(fs *flag.FlagSet) {
	s.load.Register(fs)
	s.play.RegisterPlay(fs)
	fs.IntVar(&s.snapshotBytes, "snapshot-bytes", 0, "snapshot payload bytes as bots see them (0: the mean measured against -url, or computed for -players)")
}

// Run runs play against -url if given, then the baseline.
func (s *Baseline) Run(ctx context.Context, env Env) (*report.Report, error) {
	o, err := s.load.Options(env)
	if err != nil {
		return nil, err
	}
	if err := s.play.check(); err != nil {
		return nil, err
	}
	rep := report.New("baseline")
	size := s.snapshotBytes
	var play *PlayResult
	var playSec *report.Section
	if s.load.urlGiven() {
		if play, _, err = RunPlay(ctx, o, s.play, "play", 0); err != nil {
			return nil, err
		}
		playSec = rep.Add("play", play)
		if size == 0 {
			size = play.snapshotBytes()
		}
	}
	bo := o
	bo.ServerPID = 0
	base, _, err := runBaseline(ctx, bo, s.play, size)
	if err != nil {
		return nil, err
	}
	rep.Add("baseline", base)
	if play != nil {
		playSec.Append(compare(play, base))
	}
	return rep, nil
}

// baselineResult is the play load's figures against the baseline server.
type baselineResult struct {
	*PlayResult
	SnapshotBytes int64 `json:"baseline_snapshot_bytes"`
	comparison
}

// comparison is the floor, and a server's CPU as a multiple of it.
type comparison struct {
	BaselineCPUUsPerClientTick float64  `json:"baseline_cpu_us_per_client_tick"`
	CPURatioToBaseline         *float64 `json:"cpu_ratio_to_baseline,omitempty"`
}

// snapshotBytes is the mean snapshot size the play load measured, rounded
// (0 without snapshots).
func (p *PlayResult) snapshotBytes() int {
	if p == nil || p.snapshotFigures == nil {
		return 0
	}
	return int(p.SnapshotBytesMean + 0.5)
}

// runBaseline starts the baseline server in a child process, sending
// snapshots of size bytes (0: a full synthetic movers snapshot of the
// players), and runs the play load against it.
func runBaseline(ctx context.Context, o Options, pc PlayConfig, size int) (*baselineResult, *botnet.RunResult, error) {
	if size <= 0 {
		size = baseline.ComputedSnapshotBytes(pc.Players)
	}
	bp, err := baseline.StartProcess(baseline.Config{SnapshotBytes: size, Players: pc.Players, MaxConns: pc.Rooms*pc.Players + 64})
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
	bo.AdminURL = "" // the baseline has no /debug/stats
	play, res, err := RunPlay(ctx, bo, pc, "baseline", 0)
	if err != nil {
		return nil, nil, err
	}
	return newBaselineResult(play, size), res, nil
}

func newBaselineResult(play *PlayResult, size int) *baselineResult {
	cpu, _ := play.serverCPUPerClientTick()
	return &baselineResult{PlayResult: play, SnapshotBytes: int64(size),
		comparison: comparison{BaselineCPUUsPerClientTick: cpu}}
}

// compare sets the ratio of a real server's CPU to the baseline's in both
// and returns the comparison for the real server's section.
func compare(play *PlayResult, base *baselineResult) comparison {
	s, _ := play.serverCPUPerClientTick()
	c := comparison{BaselineCPUUsPerClientTick: base.BaselineCPUUsPerClientTick,
		CPURatioToBaseline: new(measure.Round3(measure.Ratio(s, base.BaselineCPUUsPerClientTick)))}
	base.CPURatioToBaseline = c.CPURatioToBaseline
	return c
}
