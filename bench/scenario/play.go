package scenario

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/skirmishgg/skirmish/bench/botnet"
	"github.com/skirmishgg/skirmish/bench/measure"
	"github.com/skirmishgg/skirmish/bench/report"
)

// Idle connects -n bots that finish the handshake (Hello → ServerHello)
// without joining a room, then stay silent.
type Idle struct {
	load LoadFlags
	n    int
}

// Name is "idle".
func (*Idle) Name() string { return "idle" }

// Flags registers the load flags and -n.
func (s *Idle) Flags(fs *flag.FlagSet) {
	s.load.Register(fs)
	fs.IntVar(&s.n, "n", 1000, "bots")
}

// Run runs the idle bots.
func (s *Idle) Run(ctx context.Context, env Env) (*report.Report, error) {
	o, err := s.load.Options(env)
	if err != nil {
		return nil, err
	}
	res, _, err := runIdle(ctx, o, s.n)
	if err != nil {
		return nil, err
	}
	rep := report.New("idle")
	rep.Add("idle", res)
	return rep, nil
}

// idleResult is what the idle scenario measured.
type idleResult struct {
	Bots int64 `json:"bots"`
	clientFigures
	serverUse
}

func runIdle(ctx context.Context, o Options, n int) (*idleResult, *botnet.RunResult, error) {
	res, err := botnet.Run(ctx, o.RunConfig("idle", o.ShardSpec(botnet.WorkIdle, n)))
	if err != nil {
		return nil, nil, fmt.Errorf("idle: %w", err)
	}
	return newIdleResult(n, res), res, nil
}

func newIdleResult(n int, res *botnet.RunResult) *idleResult {
	return &idleResult{Bots: int64(n), clientFigures: newClients(res, false),
		serverUse: newServerUse(res, res.Stats.Connected, false)}
}

// Play runs -rooms × -players bots in rooms of -mode, each sending one
// input per tick on a schedule spread evenly over the tick period.
type Play struct {
	load LoadFlags
	play PlayConfig
}

// Name is "play".
func (*Play) Name() string { return "play" }

// Flags registers the load flags and the play load's shape.
func (s *Play) Flags(fs *flag.FlagSet) {
	s.load.Register(fs)
	s.play.RegisterPlay(fs)
}

// Run runs the play load.
func (s *Play) Run(ctx context.Context, env Env) (*report.Report, error) {
	o, err := s.load.Options(env)
	if err != nil {
		return nil, err
	}
	if err := s.play.check(); err != nil {
		return nil, err
	}
	res, _, err := RunPlay(ctx, o, s.play, "play", 0)
	if err != nil {
		return nil, err
	}
	rep := report.New("play")
	rep.Add("play", res)
	return rep, nil
}

// PlayResult is what the play load measured.
type PlayResult struct {
	Mode           string  `json:"mode"`
	Bots           int64   `json:"bots"`
	Rooms          int64   `json:"rooms"`
	PlayersPerRoom int64   `json:"players_per_room"`
	LatencyMs      float64 `json:"latency_ms,omitempty"`
	clientFigures
	*stalledFigures
	serverUse
}

// stalledFigures are the bots that stopped reading (a slow load).
type stalledFigures struct {
	Bots            int64   `json:"slow_bots"`
	Disconnected    int64   `json:"slow_disconnected"`
	DisconnectP50Ms float64 `json:"slow_disconnect_p50_ms"`
	DisconnectMaxMs float64 `json:"slow_disconnect_max_ms"`
}

// roomPrefix names the rooms of a mode: bench-0, bench-1, ... for movers,
// bench-MODE-0, ... for the others (so that a server that already runs
// movers rooms of those names does not refuse another mode's join).
func roomPrefix(mode string) string {
	if mode == "" || mode == defaultMode {
		return "bench-"
	}
	return "bench-" + mode + "-"
}

// RunPlay runs pc's rooms × players bots in rooms, sending inputs each
// tick, with a reference window of refWindow before the window when it
// is not 0 (the slow scenario).
func RunPlay(ctx context.Context, o Options, pc PlayConfig, label string, refWindow time.Duration) (*PlayResult, *botnet.RunResult, error) {
	spec := o.ShardSpec(botnet.WorkPlay, pc.Rooms*pc.Players)
	spec.PlayersPerRoom = pc.Players
	spec.GameMode = pc.Mode
	spec.RoomPrefix = roomPrefix(pc.Mode)
	spec.SlowFraction = pc.SlowFraction
	spec.SlowRcvBuf = pc.SlowRcvBuf
	spec.Validate = pc.Validate
	spec.TrackEntities = pc.TrackEntities
	rc := o.RunConfig(label, spec)
	rc.RefWindow = refWindow
	res, err := botnet.Run(ctx, rc)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", label, err)
	}
	return NewPlayResult(o, pc, res), res, nil
}

// NewPlayResult reads the play load's figures from its run.
func NewPlayResult(o Options, pc PlayConfig, res *botnet.RunResult) *PlayResult {
	p := &PlayResult{
		Mode: cmp.Or(pc.Mode, defaultMode), Bots: int64(pc.Rooms * pc.Players), Rooms: int64(pc.Rooms),
		PlayersPerRoom: int64(pc.Players), LatencyMs: measure.Round3(float64(o.Latency.Microseconds()) / 1000),
		clientFigures: newClients(res, true),
		// The server serves every joined bot, slow ones included.
		serverUse: newServerUse(res, res.Stats.Joined, true),
	}
	if s := res.Stats; pc.SlowFraction > 0 {
		p.stalledFigures = &stalledFigures{s.SlowBots, s.SlowDisconnected, measure.Ms(s.SlowDisconnect.Quantile(0.5)), measure.Ms(s.SlowDisconnect.Max())}
	}
	return p
}

// serverCPUPerClientTick is the server's CPU per client·tick, and whether
// it was measured.
func (p *PlayResult) serverCPUPerClientTick() (float64, bool) {
	if p == nil || p.serverCPU == nil || p.CPUUsPerClientTick == nil {
		return 0, false
	}
	return *p.CPUUsPerClientTick, true
}
