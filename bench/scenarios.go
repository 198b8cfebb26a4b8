package bench

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"time"
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

func (o Options) spec(w Workload, count int) ShardSpec {
	return ShardSpec{
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

func (o Options) run(label string, spec ShardSpec) RunConfig {
	statsURL, err := statsURLFor(o.URL)
	if err != nil || o.NoDebugStats {
		statsURL = ""
	}
	return RunConfig{
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
func RunIdle(ctx context.Context, o Options, n int) (*Figures, *RunResult, error) {
	res, err := Run(ctx, o.run("idle", o.spec(WorkIdle, n)))
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
	SlowFraction   float64
	SlowRcvBuf     int
	Validate       bool
}

// RunPlay runs rooms × players bots in rooms, sending inputs each tick.
func RunPlay(ctx context.Context, o Options, pc PlayConfig, label string) (*Figures, *RunResult, error) {
	spec := o.spec(WorkPlay, pc.Rooms*pc.Players)
	spec.PlayersPerRoom = pc.Players
	spec.SlowFraction = pc.SlowFraction
	spec.SlowRcvBuf = pc.SlowRcvBuf
	spec.Validate = pc.Validate
	res, err := Run(ctx, o.run(label, spec))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", label, err)
	}
	f := NewFigures()
	f.Set("bots", int64(pc.Rooms*pc.Players))
	f.Set("rooms", int64(pc.Rooms))
	f.Set("players_per_room", int64(pc.Players))
	if o.Latency > 0 {
		f.Set("latency_ms", round3(float64(o.Latency.Microseconds())/1000))
	}
	clientFigures(f, res, true)
	if pc.SlowFraction > 0 {
		s := res.Stats
		f.Set("slow_bots", s.SlowBots)
		f.Set("slow_disconnected", s.SlowDisconnected)
		f.Set("slow_disconnect_p50_ms", msFromUs(s.SlowDisconnect.Quantile(0.5)))
		f.Set("slow_disconnect_max_ms", msFromUs(s.SlowDisconnect.Max()))
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
func RunBaseline(ctx context.Context, o Options, br BaselineRun) (*Figures, *RunResult, error) {
	size := br.SnapshotBytes
	if size <= 0 {
		size = ComputedSnapshotBytes(br.Play.Players)
	}
	bp, err := StartBaselineProcess(BaselineConfig{SnapshotBytes: size, Players: br.Play.Players, MaxConns: br.Play.Rooms*br.Play.Players + 64})
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		if err := bp.Close(); err != nil {
			logf("baseline: %v", err)
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
	play.Set("cpu_ratio_to_baseline", round3(Ratio(s, b)))
	base.Set("cpu_ratio_to_baseline", round3(Ratio(s, b)))
}

// ChurnConfig shapes the churn load.
type ChurnConfig struct {
	Rate     float64       // new connections per second
	Duration time.Duration // how long new connections keep coming
	Hold     time.Duration // time in the room per join
	Cycles   int           // joins per connection
	Players  int           // bots per room
	// Settle is how long after the last bot left the server's goroutines
	// and connections are read again (default 1 s). Empty rooms may
	// linger: the server closes them after its room idle timeout.
	Settle time.Duration
}

// RunChurn opens connections at a rate; each joins, holds, leaves (Cycles
// times) and disconnects. It reports the cycles and what the server kept
// afterwards (goroutines and connections should return to their level).
func RunChurn(ctx context.Context, o Options, cc ChurnConfig) (*Figures, *RunResult, error) {
	n := int(cc.Rate * cc.Duration.Seconds())
	if n < 1 {
		n = 1
	}
	spec := o.spec(WorkChurn, n)
	spec.ConnectRate = cc.Rate
	spec.Hold = cc.Hold
	spec.Cycles = cc.Cycles
	spec.PlayersPerRoom = max(cc.Players, 1)
	rc := o.run("churn", spec)
	rc.Window = cc.Duration
	rc.WindowFromStart = true
	res, err := Run(ctx, rc)
	if err != nil {
		return nil, nil, fmt.Errorf("churn: %w", err)
	}
	s := res.Stats
	f := NewFigures()
	f.Set("connections", int64(n))
	f.Set("rate_per_s", cc.Rate)
	f.Set("cycles_per_conn", int64(cc.Cycles))
	f.Set("cycles", s.Cycles)
	f.Set("cycles_per_s", round3(float64(s.Cycles)/cc.Duration.Seconds()))
	f.Set("cycles_failed", s.CyclesFailed)
	f.Set("leaves", s.Leaves)
	f.Set("clients_connected", s.Connected)
	f.Set("clients_failed", s.Failed)
	f.Set("connect_p50_ms", msFromUs(s.Connect.Quantile(0.5)))
	f.Set("connect_p99_ms", msFromUs(s.Connect.Quantile(0.99)))
	f.Set("join_p50_ms", msFromUs(s.Join.Quantile(0.5)))
	f.Set("join_p99_ms", msFromUs(s.Join.Quantile(0.99)))
	f.Set("disconnects", s.Disconnects)
	f.Set("protocol_errors", s.ProtocolErrors)
	f.Set("close_codes", countsString(s.CloseCodes))
	f.Set("error_codes", countsString(s.ErrorCodes))
	f.Set("fail_reasons", countsString(s.FailReasons))
	if res.Server.Measured {
		f.Set("server_cpu_core_fraction", round3(CoreFraction(res.Server.CPU, cc.Duration)))
		f.Set("server_rss_before_bytes", res.Server.RSSBefore)
		f.Set("server_rss_bytes", res.Server.RSSAfter)
	}
	// After every bot is gone, the server should be back where it started.
	if statsURL, err := statsURLFor(o.URL); err == nil && res.Server.GoroutinesPre > 0 {
		if cc.Settle <= 0 {
			cc.Settle = time.Second
		}
		if err := waitUntil(ctx, time.Now().Add(cc.Settle), nil); err != nil {
			return nil, nil, err
		}
		if d, err := FetchDebugStats(ctx, statsURL); err == nil {
			f.Set("server_goroutines_before", res.Server.GoroutinesPre)
			f.Set("server_goroutines_after", d.Goroutines)
			f.Set("server_connections_before", res.Server.ConnectionsPre)
			f.Set("server_connections_after", d.Connections)
			f.Set("settle_s", round3(cc.Settle.Seconds()))
		}
	}
	if o.ServerPID != 0 {
		if ps, err := ReadProc(o.ServerPID); err == nil {
			f.Set("server_rss_after_bytes", ps.RSS)
		}
	}
	return f, res, nil
}
