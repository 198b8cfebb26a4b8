package robustness

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/skirmishgg/skirmish/bench/measure"
	"github.com/skirmishgg/skirmish/bench/report"
	"github.com/skirmishgg/skirmish/bench/scenario"
)

// Robust is the robustness run (what `make robust` runs): stall, churn
// and slow, each against a fresh server process started with the
// deadlines the stall scenario is told about. A scenario that cannot run
// is reported (an "error" figure and a failed pass line) and the others
// still run.
type Robust struct {
	load   scenario.LoadFlags
	server string
	only   string
	stall  stallConfig
	churn  churnConfig
	slow   slowConfig
}

// Name is "robust".
func (*Robust) Name() string { return "robust" }

// Flags registers the load flags (-window 25s, slow's) and the shape of
// each scenario: stall 5 000 peers next to 200 bots; 100 000 churn cycles
// at 1 500 a second, one per connection, through 20 rooms, with the
// rooms' close awaited; slow at 20 rooms × 50 with 10 % not reading, a
// 10 s reference window and a 25 s window.
func (s *Robust) Flags(fs *flag.FlagSet) {
	s.load.Register(fs)
	scenario.SetDefault(fs, "window", "25s")
	s.stall = stallConfig{LegitPlayers: 50, LegitWarmup: 200 * time.Millisecond, LegitWindow: time.Second}
	s.churn = churnConfig{Cycles: 1, WarmupCycles: -1}
	s.slow = slowConfig{Play: scenario.PlayConfig{SlowRcvBuf: 8192}}
	fs.StringVar(&s.server, "server", "", "path to a built server binary (required)")
	fs.StringVar(&s.only, "only", "", "comma-separated scenarios among stall,churn,slow (default: all)")
	fs.IntVar(&s.stall.N, "stall-n", 5000, "stall: stalled peers")
	fs.IntVar(&s.stall.Legit, "legit", 200, "stall: legitimate bots")
	fs.DurationVar(&s.stall.HandshakeTimeout, "handshake-timeout", 5*time.Second, "the server's -handshake-timeout (passed to it)")
	fs.DurationVar(&s.stall.FrameTimeout, "frame-timeout", 10*time.Second, "the server's -frame-timeout (passed to it)")
	fs.IntVar(&s.churn.Total, "churn-total", 100000, "churn: connect/join/leave cycles")
	fs.Float64Var(&s.churn.Rate, "churn-rate", 1500, "churn: new connections per second")
	fs.IntVar(&s.churn.Cycles, "churn-cycles", 1, "churn: cycles per connection")
	fs.DurationVar(&s.churn.Hold, "churn-hold", 100*time.Millisecond, "churn: time in the room per join")
	fs.IntVar(&s.churn.Rooms, "churn-rooms", 20, "churn: room pool")
	fs.IntVar(&s.churn.WarmupCycles, "warmup-cycles", -1, "churn: cycles before the start level is read (-1: total/20)")
	fs.DurationVar(&s.churn.RoomWait, "room-wait", 40*time.Second, "churn: wait up to this long for the rooms to close, then compare with the cold level (0: skip)")
	fs.IntVar(&s.slow.Play.Rooms, "rooms", 20, "slow: rooms")
	fs.IntVar(&s.slow.Play.Players, "players", 50, "slow: players per room")
	fs.Float64Var(&s.slow.Play.SlowFraction, "fraction", 0.1, "slow: fraction of the bots that stop reading")
	fs.DurationVar(&s.slow.RefWindow, "ref-window", 10*time.Second, "slow: reference window (the window is -window)")
	fs.StringVar(&s.slow.GapStat, "gap-stat", gapStatMedian, "slow: what the gap bar compares, "+gapStatMedian+" or "+gapStatWindow)
}

// Run runs the scenarios and reports them with their pass lines.
func (s *Robust) Run(ctx context.Context, env scenario.Env) (*report.Report, error) {
	if s.server == "" {
		return nil, scenario.Usagef("robust: -server is required")
	}
	var only []string
	if s.only != "" {
		only = strings.Split(s.only, ",")
		for _, name := range only {
			if name != "stall" && name != "churn" && name != "slow" {
				return nil, scenario.Usagef("robust: -only: unknown scenario %q", name)
			}
		}
	}
	o, err := s.load.Options(env)
	if err != nil {
		return nil, err
	}
	rep := report.New("robust")
	rep.Separate = true
	serverArgs := []string{
		"-handshake-timeout", s.stall.HandshakeTimeout.String(),
		"-frame-timeout", s.stall.FrameTimeout.String(),
	}
	rep.AddMeta(scenario.ServerMeta{Server: s.server, ServerArgs: new(fmt.Sprint(serverArgs))})
	var errs []error
	run := func(name string, fn func(o scenario.Options) ([]any, *report.Verdict, error)) {
		if (len(only) > 0 && !slices.Contains(only, name)) || ctx.Err() != nil {
			return
		}
		if err := s.runOne(rep, name, serverArgs, o, fn); err != nil {
			errs = append(errs, err)
		}
	}
	run("stall", func(o scenario.Options) ([]any, *report.Verdict, error) {
		return runStall(ctx, o, s.stall)
	})
	run("churn", func(o scenario.Options) ([]any, *report.Verdict, error) {
		return runChurn(ctx, o, s.churn)
	})
	run("slow", func(o scenario.Options) ([]any, *report.Verdict, error) {
		r, v, err := runSlow(ctx, o, s.slow)
		if r == nil {
			return nil, v, err
		}
		return []any{r}, v, err
	})
	return rep, errors.Join(errs...)
}

// robustEnd closes a robust scenario's section.
type robustEnd struct {
	scenario.Failure
	ScenarioS float64 `json:"scenario_s"`
}

// runOne runs a scenario against a fresh server and adds its section and
// pass line to rep, whatever its outcome.
func (s *Robust) runOne(rep *report.Report, name string, serverArgs []string, o scenario.Options,
	fn func(o scenario.Options) ([]any, *report.Verdict, error)) error {
	t0 := time.Now()
	var parts []any
	var v *report.Verdict
	err := scenario.WithServer(s.server, serverArgs, o, func(o scenario.Options) (err error) {
		parts, v, err = fn(o)
		return err
	})
	if v == nil {
		v = &report.Verdict{Scenario: name}
	}
	end := robustEnd{ScenarioS: measure.Round3(time.Since(t0).Seconds())}
	if err != nil {
		end.Error = err.Error()
		v.Add("ran", false, "%v", err)
	}
	rep.AddVerdict(rep.Add(name, append(parts, end)...), v)
	return err
}
