package robustness

import (
	"context"
	"flag"
	"fmt"
	"math"
	"time"

	"golang.org/x/sys/unix"

	"github.com/skirmishgg/skirmish/bench/botnet"
	"github.com/skirmishgg/skirmish/bench/diag"
	"github.com/skirmishgg/skirmish/bench/measure"
	"github.com/skirmishgg/skirmish/bench/report"
	"github.com/skirmishgg/skirmish/bench/scenario"
	"github.com/skirmishgg/skirmish/server"
)

// Stall is the stall scenario: -n peers stall the server, half with half
// an HTTP upgrade request (then silence), half with a finished handshake
// (Hello → ServerHello) followed by half a WebSocket frame (then
// silence). While they all hang, legitimate bots connect, Hello and Join
// a movers room and play. Then the scenario waits for the server's
// deadlines (its handshake and frame timeouts) and judges when each
// stalled peer was closed.
type Stall struct {
	load scenario.LoadFlags
	cfg  stallConfig
}

// Name is "stall".
func (*Stall) Name() string { return "stall" }

// Flags registers the load flags (-warmup and -window are the legitimate
// bots'), the peers, the server's deadlines and the bars.
func (s *Stall) Flags(fs *flag.FlagSet) {
	s.load.Register(fs)
	// -warmup and -window are the legitimate bots': they play while every
	// peer still stalls, so both must end well before the handshake timeout.
	scenario.SetDefault(fs, "warmup", "200ms")
	scenario.SetDefault(fs, "window", "1s")
	c := &s.cfg
	fs.IntVar(&c.N, "n", 5000, "stalled peers: half send half an upgrade request, half half a frame after Hello")
	fs.IntVar(&c.Legit, "legit", 200, "legitimate bots that connect, Hello and Join while the peers stall")
	fs.IntVar(&c.LegitPlayers, "players", 50, "legitimate bots per room (movers)")
	fs.DurationVar(&c.HandshakeTimeout, "handshake-timeout", 5*time.Second, "the server's -handshake-timeout")
	fs.DurationVar(&c.FrameTimeout, "frame-timeout", 10*time.Second, "the server's -frame-timeout")
	fs.DurationVar(&c.Grace, "grace", time.Second, "the bar: a stalled peer closed at most this long after its deadline")
	fs.DurationVar(&c.JoinP99Max, "join-p99-max", 100*time.Millisecond, "the bar on the legitimate bots' join p99")
}

// Run runs the stall scenario and judges it.
func (s *Stall) Run(ctx context.Context, env scenario.Env) (*report.Report, error) {
	o, err := s.load.Options(env)
	if err != nil {
		return nil, err
	}
	sc := s.cfg
	sc.LegitWarmup, sc.LegitWindow = o.Warmup, o.Window
	parts, v, err := runStall(ctx, o, sc)
	if err != nil {
		return nil, err
	}
	rep := report.New("stall")
	rep.AddVerdict(rep.Add("stall", parts...), v)
	return rep, nil
}

// stallConfig shapes the stall scenario.
type stallConfig struct {
	N            int // stalled peers: N/2 half upgrades, N−N/2 half frames
	Legit        int // legitimate bots (default 200)
	LegitPlayers int // per room (default 50)
	// The server's deadlines, as it was configured (defaults 5 s, 10 s).
	HandshakeTimeout time.Duration
	FrameTimeout     time.Duration
	// Grace is how late after its deadline a peer may be closed (1 s).
	Grace time.Duration
	// JoinP99Max is the bar for the legitimate bots' join p99 (100 ms).
	JoinP99Max time.Duration
	// The legitimate bots: warmup and window after all joined (they play
	// for the window, measured, while every peer still stalls).
	LegitWarmup, LegitWindow time.Duration
	// Linger is how long past the last deadline + Grace the scenario keeps
	// watching for closes that come late (default 2 s).
	Linger time.Duration
}

func (sc stallConfig) withDefaults() stallConfig {
	if sc.Legit <= 0 {
		sc.Legit = 200
	}
	if sc.LegitPlayers <= 0 {
		sc.LegitPlayers = 50
	}
	if sc.HandshakeTimeout <= 0 {
		sc.HandshakeTimeout = 5 * time.Second
	}
	if sc.FrameTimeout <= 0 {
		sc.FrameTimeout = 10 * time.Second
	}
	if sc.Grace <= 0 {
		sc.Grace = time.Second
	}
	if sc.JoinP99Max <= 0 {
		sc.JoinP99Max = 100 * time.Millisecond
	}
	if sc.LegitWarmup < 0 {
		sc.LegitWarmup = 0
	}
	if sc.LegitWindow <= 0 {
		sc.LegitWindow = time.Second
	}
	if sc.Linger <= 0 {
		sc.Linger = 2 * time.Second
	}
	return sc
}

// stallRun is one run of the stall scenario, its phases written as
// methods.
type stallRun struct {
	o        scenario.Options
	sc       stallConfig
	statsURL string
	g        *stallGroup
	rss      *measure.RSSSampler
	line     *diag.Progress

	before, during, after, settled server.Stats
	duringErr, afterErr            error
	setupTime, legitTime           time.Duration
	openAtLegit, openAfterLegit    int64
	legit                          *botnet.RunResult
	kinds                          [2]measure.DeadlineStats
	setupFails                     string
}

// runStall runs the stall scenario and judges it; it returns the
// section's figures.
func runStall(ctx context.Context, o scenario.Options, sc stallConfig) ([]any, *report.Verdict, error) {
	sc = sc.withDefaults()
	if sc.N < 2 {
		return nil, nil, fmt.Errorf("stall: -n must be at least 2")
	}
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err == nil && lim.Cur != math.MaxUint64 && uint64(sc.N+sc.Legit+64) > lim.Cur {
		return nil, nil, fmt.Errorf("stall: %d stalled peers and %d bots need more fds than the limit (%d) of this process", sc.N, sc.Legit, lim.Cur)
	}
	r := &stallRun{o: o, sc: sc, statsURL: o.StatsURL()}
	var err error
	if r.before, err = measure.FetchStats(ctx, r.statsURL); err != nil {
		return nil, nil, fmt.Errorf("stall: the verdict needs the server's counters: %w", err)
	}
	if o.ServerPID != 0 {
		r.rss = measure.StartRSSSampler(o.ServerPID, 250*time.Millisecond, "stalling")
		defer r.rss.Stop()
	}
	workers := o.Workers
	if workers <= 0 {
		workers = 2
	}
	if r.g, err = newStallGroup(o.URL, sc, workers); err != nil {
		return nil, nil, err
	}
	r.line = diag.NewProgress(o.Progress, "stall")
	defer r.line.Done()
	if err := r.stallPeers(ctx); err != nil {
		return nil, nil, err
	}
	if err := r.runLegit(ctx); err != nil {
		r.g.close(sc.Grace)
		return nil, nil, err
	}
	if err := r.awaitDeadlines(ctx); err != nil {
		r.g.close(sc.Grace)
		return nil, nil, err
	}
	r.closePeers(ctx)
	return r.figures(), r.verdict(), nil
}

// show updates the progress line.
func (r *stallRun) show(phase string) {
	g := r.g
	r.line.Update(fmt.Sprintf("%s %s | stalled %d/%d failed %d open %d", phase, diag.Elapsed(time.Since(g.start)),
		g.stalled[0].Load()+g.stalled[1].Load(), g.n, g.failed[0].Load()+g.failed[1].Load(), g.open()))
}

// phase tags the RSS samples from now on.
func (r *stallRun) phase(name string) {
	if r.rss != nil {
		r.rss.SetPhase(name)
	}
}

// stallPeers sets every peer up and leaves it stalled.
func (r *stallRun) stallPeers(ctx context.Context) error {
	g := r.g
	g.dial(r.o.DialConcurrency)
	dialed := make(chan struct{})
	go func() { g.dialWG.Wait(); close(dialed) }() // ends when the dialers do
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for waiting := true; waiting; {
		select {
		case <-dialed:
			waiting = false
		case <-tick.C:
			r.show("stalling")
		case <-ctx.Done():
			<-dialed
			g.close(r.sc.Grace)
			return ctx.Err()
		}
	}
	r.setupTime = time.Since(g.start)
	r.show("stalled")
	r.openAtLegit = g.open()
	return nil
}

// runLegit runs the legitimate bots while every peer stalls.
func (r *stallRun) runLegit(ctx context.Context) error {
	r.phase("legit")
	lo := r.o
	lo.Warmup, lo.Window = r.sc.LegitWarmup, r.sc.LegitWindow
	lo.Progress = nil
	spec := lo.ShardSpec(botnet.WorkPlay, r.sc.Legit)
	spec.PlayersPerRoom = r.sc.LegitPlayers
	spec.RoomPrefix = "stall-"
	legitStart := time.Since(r.g.start)
	res, err := botnet.Run(ctx, lo.RunConfig("stall-legit", spec))
	r.legitTime = time.Since(r.g.start) - legitStart
	r.openAfterLegit = r.g.open()
	r.during, r.duringErr = measure.FetchStats(ctx, r.statsURL)
	r.legit = res
	return err
}

// awaitDeadlines waits for the server's deadlines, and a little past
// them to see late closes.
func (r *stallRun) awaitDeadlines(ctx context.Context) error {
	r.phase("deadlines")
	g := r.g
	until := g.start.Add(time.Duration(g.lastDue.Load()) + r.sc.Grace + r.sc.Linger)
	for g.open() > 0 && time.Now().Before(until) {
		if err := scenario.Pause(ctx, 100*time.Millisecond); err != nil {
			return err
		}
		r.show("waiting for deadlines")
	}
	r.show("done")
	return nil
}

// closePeers reads the server's counters, closes the peers it left open
// and reads its level again once it let go of them.
func (r *stallRun) closePeers(ctx context.Context) {
	r.after, r.afterErr = measure.FetchStats(ctx, r.statsURL)
	r.kinds = r.g.close(r.sc.Grace)
	if r.g.closeErr != nil {
		diag.Logf("stall: %v", r.g.closeErr)
	}
	r.g.failMu.Lock()
	r.setupFails = measure.CountsString(r.g.failWhy)
	r.g.failMu.Unlock()
	// The server lets go of the connections we just closed; give it a
	// moment before reading its fds again.
	r.settled = r.after
	if r.afterErr == nil {
		r.settled = settleStats(ctx, r.statsURL, int64(r.before.Connections), 3*time.Second)
	}
}
