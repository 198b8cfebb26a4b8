package bench

import (
	"context"
	"errors"
	"time"

	"github.com/skirmishgg/skirmish/bench/diag"
	"github.com/skirmishgg/skirmish/bench/measure"
)

// SuiteConfig is what `make bench` runs: idle, play, and the baseline
// under the same play load, against a server binary it starts itself.
type SuiteConfig struct {
	ServerPath string
	IdleN      int
	Play       PlayConfig
	IdleWarmup time.Duration
	IdleWindow time.Duration
	Options    Options // URL and ServerPID are set by the suite
	// OneServer runs every scenario against one server process.
	OneServer bool
}

// RunSuite starts the server, runs the scenarios and returns the report.
// Each server-measured scenario gets a fresh server process (unless
// OneServer), so that its RSS growth per connection and its goroutines are
// not skewed by the previous one (a Go heap keeps memory it once used).
// A scenario that fails is reported (as an "error" figure) and the suite
// goes on, so that one broken part still leaves the others measured.
func RunSuite(ctx context.Context, cfg SuiteConfig) (*Report, error) {
	rep := NewReport("suite")
	rep.Meta.Set("server", cfg.ServerPath)
	var (
		errs []error
		srv  *ServerProcess
	)
	stop := func() {
		if srv == nil {
			return
		}
		if err := srv.Stop(); err != nil {
			errs = append(errs, err)
			diag.Logf("suite: %v", err)
		}
		srv = nil
	}
	defer stop()
	// start gives the next scenario a server: a fresh one, or the running
	// one once the previous scenario's connections are gone.
	start := func() (Options, error) {
		o := cfg.Options
		if srv != nil && cfg.OneServer {
			settle(ctx, srv.statsURL())
		} else {
			stop()
			s, err := StartServerProcess(cfg.ServerPath)
			if err != nil {
				return o, err
			}
			srv = s
		}
		o.URL, o.ServerPID = srv.URL, srv.PID
		return o, nil
	}
	fail := func(name string, err error) {
		errs = append(errs, err)
		f := NewFigures()
		f.Set("error", err.Error())
		if srv != nil && !srv.Alive() {
			f.Set("server", "exited; last output: "+tail(srv.Logs(), 400))
		}
		rep.Add(name, f)
	}

	o, err := start()
	if err != nil {
		return nil, err
	}
	rep.Meta.Set("server_url", srv.URL)
	idle := o
	idle.Warmup, idle.Window = cfg.IdleWarmup, cfg.IdleWindow
	if f, _, err := RunIdle(ctx, idle, cfg.IdleN); err != nil {
		fail("idle", err)
	} else {
		rep.Add("idle", f)
	}

	var play *Figures
	if o, err = start(); err != nil {
		fail("play", err)
	} else if play, _, err = RunPlay(ctx, o, cfg.Play, "play"); err != nil {
		fail("play", err)
	} else {
		rep.Add("play", play)
	}
	stop()

	// The floor: the same load against the raw broadcast server, with
	// snapshots as large as the real ones just measured.
	br := BaselineRun{Play: cfg.Play}
	if play != nil {
		br.SnapshotBytes = int(play.Float("snapshot_bytes_mean") + 0.5)
	}
	base, _, err := RunBaseline(ctx, cfg.Options, br)
	if err != nil {
		fail("baseline", err)
	} else {
		rep.Add("baseline", base)
		if play != nil {
			CompareToBaseline(play, base)
		}
	}
	return rep, errors.Join(errs...)
}

// settle waits (up to 10 s) until the server reports no connections, so
// that the next scenario starts from a quiet server.
func settle(ctx context.Context, statsURL string) {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		d, err := measure.FetchStats(ctx, statsURL)
		if err != nil || d.Connections == 0 {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
	diag.Logf("suite: server still reports connections 10s after the bots left")
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
