package scenario

import (
	"context"
	"errors"
	"flag"
	"time"

	"github.com/skirmishgg/skirmish/bench/diag"
	"github.com/skirmishgg/skirmish/bench/measure"
	"github.com/skirmishgg/skirmish/bench/report"
	"github.com/skirmishgg/skirmish/bench/target"
)

// Suite is what `make bench` runs: idle, play, and the baseline under the
// same play load, against a server binary it starts itself. Each
// server-measured scenario gets a fresh server process (unless
// -one-server), so that its RSS growth per connection and its goroutines
// are not skewed by the previous one (a Go heap keeps memory it once
// used). A scenario that fails is reported (an "error" figure) and the
// suite goes on, so that one broken part still leaves the others
// measured.
type Suite struct {
	load       LoadFlags
	server     string
	idleN      int
	idleWarmup time.Duration
	idleWindow time.Duration
	play       PlayConfig
	oneServer  bool
}

// Name is "suite".
func (*Suite) Name() string { return "suite" }

// Flags registers the load flags (the play load's warmup and window), the
// server and the two loads' shapes.
func (s *Suite) Flags(fs *flag.FlagSet) {
	s.load.Register(fs)
	fs.StringVar(&s.server, "server", "", "path to a built server binary (required)")
	fs.IntVar(&s.idleN, "idle-n", 10000, "idle bots")
	fs.DurationVar(&s.idleWarmup, "idle-warmup", time.Second, "idle: warmup")
	fs.DurationVar(&s.idleWindow, "idle-window", 3*time.Second, "idle: window")
	fs.IntVar(&s.play.Rooms, "rooms", 20, "play: rooms")
	fs.IntVar(&s.play.Players, "players", 50, "play: players per room")
	fs.BoolVar(&s.oneServer, "one-server", false, "run every scenario against one server process (default: a fresh one each)")
}

// suiteFailure is the section of a scenario of the suite that failed.
type suiteFailure struct {
	Error  string `json:"error"`
	Server string `json:"server,omitempty"` // the server's end, if it died
}

// suiteRun is one run of the suite.
type suiteRun struct {
	*Suite
	o    Options
	rep  *report.Report
	srv  *target.Server
	errs []error
}

// Run runs idle, play and the baseline.
func (s *Suite) Run(ctx context.Context, env Env) (*report.Report, error) {
	if s.server == "" {
		return nil, Usagef("suite: -server is required")
	}
	o, err := s.load.Options(env)
	if err != nil {
		return nil, err
	}
	r := &suiteRun{Suite: s, o: o, rep: report.New("suite")}
	defer r.stop()
	meta := ServerMeta{Server: s.server}
	idleOpts, err := r.start(ctx)
	if err != nil {
		return nil, err
	}
	meta.ServerURL = r.srv.URL
	r.rep.AddMeta(meta)
	idleOpts.Warmup, idleOpts.Window = s.idleWarmup, s.idleWindow
	if idle, _, err := runIdle(ctx, idleOpts, s.idleN); err != nil {
		r.fail("idle", err)
	} else {
		r.rep.Add("idle", idle)
	}
	var play *PlayResult
	var playSec *report.Section
	if po, err := r.start(ctx); err != nil {
		r.fail("play", err)
	} else if play, _, err = RunPlay(ctx, po, s.play, "play", 0); err != nil {
		r.fail("play", err)
	} else {
		playSec = r.rep.Add("play", play)
	}
	r.stop()
	// The floor: the same load against the raw broadcast server, with
	// snapshots as large as the real ones just measured.
	base, _, err := runBaseline(ctx, o, s.play, play.snapshotBytes())
	if err != nil {
		r.fail("baseline", err)
	} else {
		r.rep.Add("baseline", base)
		if play != nil {
			playSec.Append(compare(play, base))
		}
	}
	return r.rep, errors.Join(r.errs...)
}

// start gives the next scenario a server: a fresh one, or the running
// one once the previous scenario's connections are gone.
func (r *suiteRun) start(ctx context.Context) (Options, error) {
	if r.srv != nil && r.oneServer {
		settle(ctx, r.srv.Admin+"debug/stats")
	} else {
		r.stop()
		srv, err := target.Start(r.server)
		if err != nil {
			return r.o, err
		}
		r.srv = srv
	}
	o := r.o
	o.URL, o.AdminURL, o.ServerPID = r.srv.URL, r.srv.Admin, r.srv.PID
	return o, nil
}

// stop ends the server, if one runs.
func (r *suiteRun) stop() {
	if r.srv == nil {
		return
	}
	if err := r.srv.Stop(); err != nil {
		r.errs = append(r.errs, err)
		diag.Logf("suite: %v", err)
	}
	r.srv = nil
}

// fail reports a scenario that could not run.
func (r *suiteRun) fail(name string, err error) {
	r.errs = append(r.errs, err)
	f := suiteFailure{Error: err.Error()}
	if r.srv != nil && !r.srv.Alive() {
		f.Server = "exited; last output: " + target.Tail(r.srv.Logs(), 400)
	}
	r.rep.Add(name, f)
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
		if Pause(ctx, 200*time.Millisecond) != nil {
			return
		}
	}
	diag.Logf("suite: server still reports connections 10s after the bots left")
}
