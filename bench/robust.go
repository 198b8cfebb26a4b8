package bench

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/skirmishgg/skirmish/bench/measure"
)

// RobustConfig is the robustness run: stall, churn and slow, each against
// a fresh server process started with the deadlines the stall scenario
// is told about.
type RobustConfig struct {
	ServerPath string
	Stall      StallConfig
	Churn      ChurnConfig
	Slow       SlowConfig
	// Options are shared (URL and ServerPID are set per scenario);
	// Options.Warmup and Options.Window are slow's.
	Options Options
	Only    []string // scenarios to run (all when empty)
}

// DefaultRobustConfig is the shape: stall 5 000 peers next to 200
// bots; 100 000 churn cycles at 1 500 a second, one per connection,
// through 20 rooms, with the rooms' close awaited; slow at 20 rooms × 50
// with 10 % not reading, a 10 s reference window and a 25 s window.
func DefaultRobustConfig() RobustConfig {
	return RobustConfig{
		Stall: StallConfig{N: 5000, Legit: 200, LegitPlayers: 50,
			HandshakeTimeout: 5 * time.Second, FrameTimeout: 10 * time.Second,
			LegitWarmup: 200 * time.Millisecond, LegitWindow: time.Second},
		Churn: ChurnConfig{Total: 100000, Rate: 1500, Cycles: 1, Hold: 100 * time.Millisecond,
			Rooms: 20, WarmupCycles: -1, RoomWait: 40 * time.Second},
		Slow: SlowConfig{Play: PlayConfig{Rooms: 20, Players: 50, SlowFraction: 0.1, SlowRcvBuf: 8192},
			RefWindow: 10 * time.Second},
	}
}

// RunRobust runs the scenarios and returns the report with their pass
// lines. A scenario that cannot run is reported (an "error" figure and a
// failed verdict) and the others still run.
func RunRobust(ctx context.Context, cfg RobustConfig) (*Report, error) {
	rep := NewReport("robust")
	rep.Separate = true
	rep.Meta.Set("server", cfg.ServerPath)
	serverArgs := []string{
		"-handshake-timeout", cfg.Stall.HandshakeTimeout.String(),
		"-frame-timeout", cfg.Stall.FrameTimeout.String(),
	}
	rep.Meta.Set("server_args", fmt.Sprint(serverArgs))
	var errs []error
	want := func(name string) bool { return len(cfg.Only) == 0 || slices.Contains(cfg.Only, name) }
	// with runs fn against a fresh server and reports its outcome.
	with := func(name string, fn func(o Options) (*Figures, *Verdict, error)) {
		if !want(name) || ctx.Err() != nil {
			return
		}
		t0 := time.Now()
		srv, err := StartServerProcess(cfg.ServerPath, serverArgs...)
		var f *Figures
		var v *Verdict
		if err == nil {
			o := cfg.Options
			o.URL, o.ServerPID = srv.URL, srv.PID
			f, v, err = fn(o)
			if !srv.Alive() {
				err = errors.Join(err, fmt.Errorf("%s: the server exited; last output: %s", name, tail(srv.Logs(), 400)))
			}
			if serr := srv.Stop(); serr != nil {
				err = errors.Join(err, serr)
			}
		}
		if f == nil {
			f = NewFigures()
		}
		if v == nil {
			v = &Verdict{Scenario: name}
		}
		if err != nil {
			errs = append(errs, err)
			f.Set("error", err.Error())
			v.Add("ran", false, "%v", err)
		}
		f.Set("scenario_s", measure.Round3(time.Since(t0).Seconds()))
		rep.Add(name, f)
		rep.AddVerdict(v, f)
	}
	with("stall", func(o Options) (*Figures, *Verdict, error) {
		return RunStall(ctx, o, cfg.Stall)
	})
	with("churn", func(o Options) (*Figures, *Verdict, error) {
		f, v, _, err := RunChurn(ctx, o, cfg.Churn)
		return f, v, err
	})
	with("slow", func(o Options) (*Figures, *Verdict, error) {
		return RunSlow(ctx, o, cfg.Slow)
	})
	return rep, errors.Join(errs...)
}
