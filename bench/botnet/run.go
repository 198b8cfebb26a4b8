package botnet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"sync"
	"time"

	"github.com/skirmishgg/skirmish/bench/diag"
	"github.com/skirmishgg/skirmish/bench/measure"
	"github.com/skirmishgg/skirmish/bench/reactor"
)

// RunConfig drives one load run: bots spread over shards (this process and
// children), a connect phase, a warmup, and a measurement window during
// which the server process is sampled.
type RunConfig struct {
	Label string    // for the progress line
	Spec  ShardSpec // template; Count is the total number of bots
	// PerProcess caps the bots of one process (fd limit); more spawn
	// children.
	PerProcess     int
	ConnectTimeout time.Duration
	Warmup         time.Duration
	Window         time.Duration
	// WindowFromStart opens the window as soon as the bots start (churn):
	// there is no connect phase to wait for.
	WindowFromStart bool
	// RefWindow, if > 0, is a reference window right before the window
	// (after the warmup): the slow scenario measures its readers there
	// with nobody slow yet, then in the window with the slow bots stalled.
	RefWindow time.Duration
	// ServerPID, if not 0, is sampled from /proc; StatsURL, if set, is the
	// server's /debug/stats.
	ServerPID int
	StatsURL  string
	Progress  io.Writer // live progress line; nil for none
	// BeforeClose, if set, runs after the window (and the server's
	// sample), while every bot is still connected: to read what the
	// server shows with them in (match reads its rooms).
	BeforeClose func(ctx context.Context)
}

// RunResult is what Run measured.
type RunResult struct {
	Stats  *measure.Stats
	Server measure.ServerSample
	Bots   measure.ProcSample // the bot processes: CPU over the window, RSS at its end
	// Machine is /proc/stat over the window (churn: until every bot
	// finished); with a RefWindow, RefMachine and RefBotsCPU are over it.
	Machine     measure.MachineCPU
	RefMachine  measure.MachineCPU
	RefBotsCPU  time.Duration
	ConnectTime time.Duration // from start until every bot was ready
	Elapsed     time.Duration // from start until the window ended (churn: every bot finished)
	Processes   int
}

// rssEvery is the interval of the server RSS sampler.
const rssEvery = 250 * time.Millisecond

// Run executes cfg: it starts the shards, waits for the bots to connect
// and the warmup to pass (or, with WindowFromStart, measures from the
// start), measures the window (after a reference window, if any), and
// collects what every shard measured.
func Run(ctx context.Context, cfg RunConfig) (*RunResult, error) {
	if cfg.PerProcess <= 0 {
		cfg.PerProcess = 15000
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 60 * time.Second
	}
	spec := cfg.Spec
	spec.Total = spec.Count
	if len(spec.SourceAddrs) == 0 {
		spec.SourceAddrs = autoSourceAddrs(spec.URL, spec.Total, spec.withDefaults().PerSource)
	}
	r := &runner{cfg: cfg, res: &RunResult{},
		probe: measure.ServerProbe{PID: cfg.ServerPID, StatsURL: cfg.StatsURL}}
	if err := r.probe.Before(ctx, &r.res.Server); err != nil {
		return nil, err
	}
	shards, err := startShards(spec, spec.Total, cfg.PerProcess)
	if err != nil {
		return nil, err
	}
	r.shards = shards
	r.res.Processes = len(shards)
	defer func() {
		if cerr := closeShards(shards); cerr != nil {
			diag.Logf("%s: %v", cfg.Label, cerr)
		}
	}()
	if cfg.ServerPID != 0 {
		r.rss = measure.StartRSSSampler(cfg.ServerPID, rssEvery, "connect")
		defer func() {
			r.rss.Stop()
			r.res.Server.RSS = r.rss.Summary()
		}()
	}
	r.line = diag.NewProgress(cfg.Progress, cfg.Label)
	defer r.line.Done()
	r.start = time.Now()
	if cfg.WindowFromStart {
		err = r.windowFromStart(ctx)
	} else {
		err = r.connectAndMeasure(ctx)
	}
	if err != nil {
		return nil, err
	}
	if err := r.collect(ctx); err != nil {
		return nil, err
	}
	return r.res, nil
}

// runner is one Run's state, its phases written as methods.
type runner struct {
	cfg    RunConfig
	shards []shard
	res    *RunResult
	probe  measure.ServerProbe
	rss    *measure.RSSSampler
	line   *diag.Progress
	start  time.Time
}

// phase tags the RSS samples from now on.
func (r *runner) phase(name string) {
	if r.rss != nil {
		r.rss.SetPhase(name)
	}
}

// show updates the progress line with the shards' counts.
func (r *runner) show(phase string) {
	var p progress
	for _, s := range r.shards {
		p = p.Add(s.Progress())
	}
	r.line.Update(fmt.Sprintf("%s %s | bots %d dialed %d connected %d joined %d failed %d open %d",
		phase, diag.Elapsed(time.Since(r.start)), p.Bots, p.Dialed, p.Connected, p.Joined, p.Failed, p.Open))
}

func (r *runner) showing(phase string) func() { return func() { r.show(phase) } }

// setWindow gives every shard the window (wall clock).
func (r *runner) setWindow(start, end time.Time) error {
	for _, s := range r.shards {
		if err := s.SetWindow(start, end); err != nil {
			return err
		}
	}
	return nil
}

// windowFromStart measures from the start (churn) until the window ends
// and the last connections finished their cycles.
func (r *runner) windowFromStart(ctx context.Context) error {
	r.phase("window")
	winStart := time.Now()
	winEnd := winStart.Add(r.cfg.Window)
	if err := r.setWindow(winStart, winEnd); err != nil {
		return err
	}
	if err := r.probe.WindowStart(); err != nil {
		return err
	}
	err := r.sampleSpan(func() error {
		if err := waitUntil(ctx, winEnd, r.showing("churning")); err != nil {
			return err
		}
		r.phase("finishing")
		if err := waitReady(ctx, r.shards, r.cfg.ConnectTimeout, r.showing("finishing")); err != nil {
			diag.Logf("%s: %v", r.cfg.Label, err)
		}
		return nil
	})
	r.res.Elapsed = time.Since(winStart)
	return err
}

// connectAndMeasure waits for the bots and the warmup, then measures the
// reference window (if any) and the window.
func (r *runner) connectAndMeasure(ctx context.Context) error {
	if err := waitReady(ctx, r.shards, r.cfg.ConnectTimeout, r.showing("connecting")); err != nil {
		diag.Logf("%s: %v", r.cfg.Label, err)
	}
	r.res.ConnectTime = time.Since(r.start)
	r.phase("warmup")
	if err := waitUntil(ctx, time.Now().Add(r.cfg.Warmup), r.showing("warming up")); err != nil {
		return err
	}
	// A little ahead, so that child processes get the command in time.
	winStart := time.Now().Add(100 * time.Millisecond)
	refStart := winStart
	if r.cfg.RefWindow > 0 {
		winStart = refStart.Add(r.cfg.RefWindow)
		for _, s := range r.shards {
			if err := s.SetRefWindow(refStart, winStart); err != nil {
				return err
			}
		}
	}
	winEnd := winStart.Add(r.cfg.Window)
	if err := r.setWindow(winStart, winEnd); err != nil {
		return err
	}
	if r.cfg.RefWindow > 0 {
		if err := r.reference(ctx, refStart, winStart); err != nil {
			return err
		}
	} else if err := waitUntil(ctx, winStart, nil); err != nil {
		return err
	}
	r.phase("window")
	if err := r.probe.WindowStart(); err != nil {
		return err
	}
	err := r.sampleSpan(func() error { return waitUntil(ctx, winEnd, r.showing("measuring")) })
	r.res.Elapsed = time.Since(r.start)
	return err
}

// reference measures the server, the bots and the machine over the
// reference window, from refStart to end.
func (r *runner) reference(ctx context.Context, refStart, end time.Time) error {
	if err := waitUntil(ctx, refStart, nil); err != nil {
		return err
	}
	r.phase("ref")
	var refCPU measure.ProcSample
	if r.cfg.ServerPID != 0 {
		var err error
		if refCPU, err = measure.ReadProc(r.cfg.ServerPID); err != nil {
			return fmt.Errorf("server probe: %w", err)
		}
	}
	refBots := sampleShards(r.shards)
	m0, _ := measure.ReadMachineCPU()
	if err := waitUntil(ctx, end, r.showing("reference")); err != nil {
		return err
	}
	if r.cfg.ServerPID != 0 {
		ps, err := measure.ReadProc(r.cfg.ServerPID)
		if err != nil {
			return fmt.Errorf("server probe: %w", err)
		}
		r.res.Server.RefCPU, r.res.Server.RefRSS = ps.CPU-refCPU.CPU, ps.RSS
	}
	r.res.RefBotsCPU = sampleShards(r.shards).CPU - refBots.CPU
	m1, _ := measure.ReadMachineCPU()
	r.res.RefMachine = m1.Sub(m0)
	return nil
}

// sampleSpan measures the bots' CPU (and their RSS at the end) and the
// machine's over wait.
func (r *runner) sampleSpan(wait func() error) error {
	botsStart := sampleShards(r.shards)
	m0, _ := measure.ReadMachineCPU()
	if err := wait(); err != nil {
		return err
	}
	r.res.Bots = sampleShards(r.shards)
	r.res.Bots.CPU -= botsStart.CPU
	m1, _ := measure.ReadMachineCPU()
	r.res.Machine = m1.Sub(m0)
	return nil
}

// collect samples the server at the window's end and merges the shards'
// stats.
func (r *runner) collect(ctx context.Context) error {
	r.phase("collect")
	if err := r.probe.WindowEnd(ctx, &r.res.Server); err != nil {
		return err
	}
	if r.cfg.BeforeClose != nil {
		r.cfg.BeforeClose(ctx)
	}
	r.show("collecting")
	// In-flight reads stamped inside the window finish being counted.
	time.Sleep(50 * time.Millisecond)
	var merged measure.Stats
	for _, s := range r.shards {
		st, err := s.Collect()
		if err != nil {
			return fmt.Errorf("%s: collect: %w", r.cfg.Label, err)
		}
		merged.Merge(st)
	}
	r.res.Stats = &merged
	return nil
}

// sampleShards sums the CPU and RSS of the bot processes.
func sampleShards(shards []shard) measure.ProcSample {
	var sum measure.ProcSample
	for _, s := range shards {
		ps, err := measure.ReadProc(s.PID())
		if err != nil {
			diag.Logf("bots: %v", err)
			continue
		}
		sum.CPU += ps.CPU
		sum.RSS += ps.RSS
	}
	return sum
}

// startShards splits total bots into shards of at most perProcess: the
// first in this process, the rest in children.
func startShards(spec ShardSpec, total, perProcess int) ([]shard, error) {
	var shards []shard
	if spec.ConnectRate > 0 && spec.DialEpoch == 0 {
		// One pace for all the shards: bot g dials at epoch + g/rate.
		spec.DialEpoch = time.Now().UnixNano()
	}
	for first := 0; first < total || first == 0; first += perProcess {
		s := spec
		s.First = first
		s.Count = min(perProcess, total-first)
		var sh shard
		if first == 0 {
			e, err := newEngine(s)
			if err != nil {
				closeShards(shards)
				return nil, err
			}
			sh = localShard{e}
		} else {
			cs, err := startChildShard(s)
			if err != nil {
				closeShards(shards)
				return nil, err
			}
			sh = cs
		}
		shards = append(shards, sh)
		if total == 0 {
			break
		}
	}
	for _, s := range shards {
		if l, ok := s.(localShard); ok {
			l.e.Start()
		}
	}
	return shards, nil
}

func closeShards(shards []shard) error {
	errs := make([]error, len(shards))
	var wg sync.WaitGroup
	for i, s := range shards {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.Close()
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// waitReady waits until every shard is ready, calling tick twice a second.
func waitReady(ctx context.Context, shards []shard, timeout time.Duration, tick func()) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for _, s := range shards {
	wait:
		for {
			select {
			case <-s.Ready():
				break wait
			case <-ctx.Done():
				return ctx.Err()
			case <-deadline.C:
				return fmt.Errorf("bots not ready after %v", timeout)
			case <-t.C:
				tick()
			}
		}
	}
	tick()
	return nil
}

// waitUntil sleeps until t, calling tick (if any) twice a second.
func waitUntil(ctx context.Context, t time.Time, tick func()) error {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	ticker := time.NewTicker(500 * time.Millisecond)
	defer ticker.Stop()
	for {
		select {
		case <-timer.C:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-ticker.C:
			if tick != nil {
				tick()
			}
		}
	}
}

// autoSourceAddrs spreads connections to a loopback server over 127.0.0.x
// source addresses when there are more than one address's ephemeral ports
// can serve.
func autoSourceAddrs(wsURL string, total, perSource int) []netip.Addr {
	if total <= perSource {
		return nil
	}
	_, ap, err := reactor.ResolveURL(wsURL)
	if err != nil || !ap.Addr().Unmap().IsLoopback() || !ap.Addr().Unmap().Is4() {
		return nil
	}
	var addrs []netip.Addr
	for i := 0; i*perSource < total; i++ {
		addrs = append(addrs, netip.AddrFrom4([4]byte{127, 0, 0, byte(1 + i)}))
	}
	return addrs
}
