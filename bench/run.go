package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
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
	// RSSEvery is the interval of the server RSS sampler (with ServerPID;
	// default 250 ms).
	RSSEvery time.Duration
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
	Window      time.Duration
	Processes   int
}

// Run executes cfg.
func Run(ctx context.Context, cfg RunConfig) (*RunResult, error) {
	if cfg.PerProcess <= 0 {
		cfg.PerProcess = 15000
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 60 * time.Second
	}
	spec := cfg.Spec
	total := spec.Count
	spec.Total = total
	if len(spec.SourceAddrs) == 0 {
		spec.SourceAddrs = autoSourceAddrs(spec.URL, total, spec.withDefaults().PerSource)
	}
	res := &RunResult{Window: cfg.Window}
	probe := measure.ServerProbe{PID: cfg.ServerPID, StatsURL: cfg.StatsURL}
	if err := probe.Before(ctx, &res.Server); err != nil {
		return nil, err
	}

	shards, err := startShards(spec, total, cfg.PerProcess)
	if err != nil {
		return nil, err
	}
	res.Processes = len(shards)
	defer func() {
		if cerr := closeShards(shards); cerr != nil {
			diag.Logf("%s: %v", cfg.Label, cerr)
		}
	}()
	var rss *measure.RSSSampler
	if cfg.ServerPID != 0 {
		every := cfg.RSSEvery
		if every <= 0 {
			every = 250 * time.Millisecond
		}
		rss = measure.StartRSSSampler(cfg.ServerPID, every, "connect")
		defer func() {
			rss.Stop()
			res.Server.RSS = rss.Summary()
		}()
	}
	phase := func(name string) {
		if rss != nil {
			rss.SetPhase(name)
		}
	}

	pl := diag.NewProgress(cfg.Progress, cfg.Label)
	defer pl.Done()
	start := time.Now()
	progress := func(phase string) {
		var p Progress
		for _, s := range shards {
			p = p.Add(s.Progress())
		}
		pl.Update(fmt.Sprintf("%s %s | bots %d dialed %d connected %d joined %d failed %d open %d",
			phase, diag.Elapsed(time.Since(start)), p.Bots, p.Dialed, p.Connected, p.Joined, p.Failed, p.Open))
	}

	var winStart, winEnd time.Time
	if cfg.WindowFromStart {
		phase("window")
		winStart = time.Now()
		winEnd = winStart.Add(cfg.Window)
		for _, s := range shards {
			if err := s.SetWindow(winStart, winEnd); err != nil {
				return nil, err
			}
		}
		if err := probe.WindowStart(); err != nil {
			return nil, err
		}
		botsStart := sampleShards(shards)
		m0, _ := measure.ReadMachineCPU()
		if err := waitUntil(ctx, winEnd, func() { progress("churning") }); err != nil {
			return nil, err
		}
		// Let the last connections finish their cycles.
		phase("finishing")
		if err := waitReady(ctx, shards, cfg.ConnectTimeout, func() { progress("finishing") }); err != nil {
			diag.Logf("%s: %v", cfg.Label, err)
		}
		res.Elapsed = time.Since(winStart)
		res.Bots = sampleShards(shards)
		res.Bots.CPU -= botsStart.CPU
		m1, _ := measure.ReadMachineCPU()
		res.Machine = m1.Sub(m0)
	} else {
		if err := waitReady(ctx, shards, cfg.ConnectTimeout, func() { progress("connecting") }); err != nil {
			diag.Logf("%s: %v", cfg.Label, err)
		}
		res.ConnectTime = time.Since(start)
		phase("warmup")
		if err := waitUntil(ctx, time.Now().Add(cfg.Warmup), func() { progress("warming up") }); err != nil {
			return nil, err
		}
		// A little ahead, so that child processes get the command in time.
		winStart = time.Now().Add(100 * time.Millisecond)
		var refStart time.Time
		if cfg.RefWindow > 0 {
			refStart = winStart
			winStart = refStart.Add(cfg.RefWindow)
			for _, s := range shards {
				if err := s.SetRefWindow(refStart, winStart); err != nil {
					return nil, err
				}
			}
		}
		winEnd = winStart.Add(cfg.Window)
		for _, s := range shards {
			if err := s.SetWindow(winStart, winEnd); err != nil {
				return nil, err
			}
		}
		if cfg.RefWindow > 0 {
			if err := waitUntil(ctx, refStart, nil); err != nil {
				return nil, err
			}
			phase("ref")
			var refCPU measure.ProcSample
			if cfg.ServerPID != 0 {
				var err error
				if refCPU, err = measure.ReadProc(cfg.ServerPID); err != nil {
					return nil, fmt.Errorf("server probe: %w", err)
				}
			}
			refBots := sampleShards(shards)
			m0, _ := measure.ReadMachineCPU()
			if err := waitUntil(ctx, winStart, func() { progress("reference") }); err != nil {
				return nil, err
			}
			if cfg.ServerPID != 0 {
				ps, err := measure.ReadProc(cfg.ServerPID)
				if err != nil {
					return nil, fmt.Errorf("server probe: %w", err)
				}
				res.Server.RefCPU, res.Server.RefRSS = ps.CPU-refCPU.CPU, ps.RSS
			}
			res.RefBotsCPU = sampleShards(shards).CPU - refBots.CPU
			m1, _ := measure.ReadMachineCPU()
			res.RefMachine = m1.Sub(m0)
		} else if err := waitUntil(ctx, winStart, nil); err != nil {
			return nil, err
		}
		phase("window")
		if err := probe.WindowStart(); err != nil {
			return nil, err
		}
		botsStart := sampleShards(shards)
		m0, _ := measure.ReadMachineCPU()
		if err := waitUntil(ctx, winEnd, func() { progress("measuring") }); err != nil {
			return nil, err
		}
		res.Bots = sampleShards(shards)
		res.Bots.CPU -= botsStart.CPU
		m1, _ := measure.ReadMachineCPU()
		res.Machine = m1.Sub(m0)
		res.Elapsed = time.Since(start)
	}
	phase("collect")
	if err := probe.WindowEnd(ctx, &res.Server); err != nil {
		return nil, err
	}
	if cfg.BeforeClose != nil {
		cfg.BeforeClose(ctx)
	}
	progress("collecting")
	// In-flight reads stamped inside the window finish being counted.
	time.Sleep(50 * time.Millisecond)
	var merged measure.Stats
	for _, s := range shards {
		st, err := s.Collect()
		if err != nil {
			return nil, fmt.Errorf("%s: collect: %w", cfg.Label, err)
		}
		merged.Merge(st)
	}
	res.Stats = &merged
	return res, nil
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
			e, err := NewEngine(s)
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
	hp := strings.TrimPrefix(wsURL, "ws://")
	if i := strings.IndexByte(hp, '/'); i >= 0 {
		hp = hp[:i]
	}
	ap, err := reactor.Resolve(hp)
	if err != nil || !ap.Addr().Unmap().IsLoopback() || !ap.Addr().Unmap().Is4() {
		return nil
	}
	var addrs []netip.Addr
	for i := 0; i*perSource < total; i++ {
		addrs = append(addrs, netip.AddrFrom4([4]byte{127, 0, 0, byte(1 + i)}))
	}
	return addrs
}
