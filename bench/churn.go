package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/skirmishgg/skirmish/bench/botnet"
	"github.com/skirmishgg/skirmish/bench/measure"
)

// ChurnConfig shapes the churn load: connections open at Rate per second;
// each does Hello, then Cycles times Join → Welcome → Hold → Leave, then
// disconnects. Total cycles are run (Total/Cycles connections, so
// Total/Cycles/Rate seconds of arrivals).
type ChurnConfig struct {
	Rate     float64       // new connections per second
	Duration time.Duration // arrivals last this long when Total is 0
	Total    int           // cycles to run (0: Rate × Duration × Cycles)
	// WarmupCycles run first, through the same rooms: the server's level
	// after them (and Settle) is the start level that the end level is
	// compared with. A fresh process has not yet grown its heap, thread
	// and pool high-water marks for this load; the warmup lets a leak show
	// as growth over the run rather than the first connections' one-time
	// costs. -1: Total/20; 0: none (the start level is the cold level).
	WarmupCycles int
	Hold         time.Duration // time in the room per join
	Cycles       int           // joins per connection
	// Rooms is the room pool: connection g joins churn-(g mod Rooms). With
	// 0, consecutive groups of Players connections share a room.
	Rooms   int
	Players int
	// Settle is how long after the last bot left the level is read
	// (default 1 s).
	Settle time.Duration
	// RoomWait, if > 0, then waits (at most that long) for the rooms to
	// close (the server closes a room empty for 30 s) and compares the
	// level with the cold one as well.
	RoomWait time.Duration
	// Tolerance is the bar: goroutines, fds and RSS at the end within
	// ±Tolerance of the start (default 0.10).
	Tolerance float64
}

func (cc ChurnConfig) withDefaults() ChurnConfig {
	if cc.Cycles <= 0 {
		cc.Cycles = 1
	}
	if cc.Rate <= 0 {
		cc.Rate = 100
	}
	if cc.Total <= 0 {
		cc.Total = max(int(cc.Rate*cc.Duration.Seconds()), 1) * cc.Cycles
	}
	if cc.WarmupCycles < 0 {
		cc.WarmupCycles = cc.Total / 20
	}
	if cc.Players <= 0 {
		cc.Players = 50
	}
	if cc.Settle <= 0 {
		cc.Settle = time.Second
	}
	if cc.Tolerance <= 0 {
		cc.Tolerance = 0.10
	}
	return cc
}

// connsFor is how many connections run cycles cycles, c per connection.
func connsFor(cycles, c int) int {
	return max((cycles+c-1)/c, 1)
}

// ServerLevel is what a server holds at one moment: the figures a leak
// would move.
type ServerLevel struct {
	Goroutines, Rooms, FDs, Connections int64
	HeapInuse                           int64 // the server's Go heap in use (garbage included)
	RSS                                 int64 // 0 without a pid
	HasStats                            bool
}

// readLevel reads /debug/stats and, with a pid, /proc.
func readLevel(ctx context.Context, statsURL string, pid int) (ServerLevel, error) {
	var l ServerLevel
	var errs []error
	if d, err := measure.FetchStats(ctx, statsURL); err == nil {
		l.HasStats = true
		l.Goroutines, l.Rooms, l.FDs, l.Connections = int64(d.Goroutines), int64(d.Rooms), int64(d.FDs), int64(d.Connections)
		l.HeapInuse = int64(d.HeapInuseBytes)
	} else {
		errs = append(errs, err)
	}
	if pid != 0 {
		if ps, err := measure.ReadProc(pid); err == nil {
			l.RSS = ps.RSS
		} else {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return l, errs[0]
	}
	return l, nil
}

func (l ServerLevel) set(f *Figures, suffix string) {
	if l.HasStats {
		f.Set("server_goroutines_"+suffix, l.Goroutines)
		f.Set("server_rooms_"+suffix, l.Rooms)
		f.Set("server_fds_"+suffix, l.FDs)
		f.Set("server_connections_"+suffix, l.Connections)
		f.Set("server_heap_inuse_"+suffix+"_bytes", l.HeapInuse)
	}
	if l.RSS > 0 {
		f.Set("server_rss_"+suffix+"_bytes", l.RSS)
	}
}

// churnPhase runs cycles cycles and returns the run.
func churnPhase(ctx context.Context, o Options, cc ChurnConfig, cycles int, label string) (*botnet.RunResult, int, error) {
	n := connsFor(cycles, cc.Cycles)
	spec := o.spec(botnet.WorkChurn, n)
	spec.ConnectRate = cc.Rate
	spec.Hold = cc.Hold
	spec.Cycles = cc.Cycles
	spec.PlayersPerRoom = cc.Players
	spec.RoomPool = cc.Rooms
	spec.RoomPrefix = "churn-"
	rc := o.run(label, spec)
	// PerProcess bounds the fds open at once; churn connections close as
	// they go, so one process holds many more over time. Split only when
	// the connections alive at once could come near the bound.
	if rc.PerProcess <= 0 {
		rc.PerProcess = 15000
	}
	life := time.Duration(cc.Cycles)*(cc.Hold+botnet.DefaultPause+100*time.Millisecond) + 200*time.Millisecond
	if alive := cc.Rate * life.Seconds(); alive*4 < float64(rc.PerProcess) {
		rc.PerProcess = max(rc.PerProcess, n)
	}
	rc.Window = time.Duration(float64(n) / cc.Rate * float64(time.Second))
	rc.WindowFromStart = true
	res, err := botnet.Run(ctx, rc)
	if err != nil {
		return nil, n, fmt.Errorf("%s: %w", label, err)
	}
	return res, n, nil
}

// RunChurn runs the churn load and judges it: every cycle done, and the
// server's goroutines, fds and RSS after the run (and Settle) within
// ±Tolerance of where they started; with RoomWait, also back at the cold
// level once the rooms have closed.
func RunChurn(ctx context.Context, o Options, cc ChurnConfig) (*Figures, *Verdict, *botnet.RunResult, error) {
	cc = cc.withDefaults()
	statsURL, _ := measure.StatsURL(o.URL)
	cold, coldErr := readLevel(ctx, statsURL, o.ServerPID)
	start := cold
	if cc.WarmupCycles > 0 {
		wres, _, err := churnPhase(ctx, o, cc, cc.WarmupCycles, "churn-warmup")
		if err != nil {
			return nil, nil, nil, err
		}
		if wres.Stats.Cycles == 0 {
			return nil, nil, nil, fmt.Errorf("churn: no warmup cycle succeeded (%s)", measure.CountsString(wres.Stats.FailReasons))
		}
		if err := pause(ctx, cc.Settle); err != nil {
			return nil, nil, nil, err
		}
		start, _ = readLevel(ctx, statsURL, o.ServerPID)
	}
	res, n, err := churnPhase(ctx, o, cc, cc.Total, "churn")
	if err != nil {
		return nil, nil, nil, err
	}
	if err := pause(ctx, cc.Settle); err != nil {
		return nil, nil, nil, err
	}
	after, afterErr := readLevel(ctx, statsURL, o.ServerPID)
	var final ServerLevel
	var roomWaited time.Duration
	if cc.RoomWait > 0 && after.HasStats {
		t0 := time.Now()
		deadline := t0.Add(cc.RoomWait)
		for {
			final, _ = readLevel(ctx, statsURL, o.ServerPID)
			if (final.HasStats && final.Rooms <= cold.Rooms) || time.Now().After(deadline) || ctx.Err() != nil {
				break
			}
			select {
			case <-ctx.Done():
			case <-time.After(500 * time.Millisecond):
			}
		}
		roomWaited = time.Since(t0)
	}

	s := res.Stats
	f := NewFigures()
	f.Set("connections", int64(n))
	f.Set("rate_per_s", cc.Rate)
	f.Set("cycles_per_conn", int64(cc.Cycles))
	f.Set("hold_ms", measure.Round3(float64(cc.Hold.Microseconds())/1000))
	f.Set("rooms", int64(cc.Rooms))
	f.Set("warmup_cycles", int64(cc.WarmupCycles))
	f.Set("cycles_target", int64(cc.Total))
	f.Set("cycles", s.Cycles)
	f.Set("cycles_failed", s.CyclesFailed)
	f.Set("leaves", s.Leaves)
	f.Set("elapsed_s", measure.Round3(res.Elapsed.Seconds()))
	f.Set("cycles_per_s", measure.Round3(float64(s.Cycles)/res.Elapsed.Seconds()))
	f.Set("clients_connected", s.Connected)
	f.Set("clients_failed", s.Failed)
	f.Set("connect_p50_ms", measure.Ms(s.Connect.Quantile(0.5)))
	f.Set("connect_p99_ms", measure.Ms(s.Connect.Quantile(0.99)))
	f.Set("handshake_p50_ms", measure.Ms(s.Handshake.Quantile(0.5)))
	f.Set("handshake_p99_ms", measure.Ms(s.Handshake.Quantile(0.99)))
	f.Set("join_p50_ms", measure.Ms(s.Join.Quantile(0.5)))
	f.Set("join_p99_ms", measure.Ms(s.Join.Quantile(0.99)))
	f.Set("disconnects", s.Disconnects)
	f.Set("protocol_errors", s.ProtocolErrors)
	f.Set("close_codes", measure.CountsString(s.CloseCodes))
	f.Set("error_codes", measure.CountsString(s.ErrorCodes))
	f.Set("fail_reasons", measure.CountsString(s.FailReasons))
	f.Set("processes", int64(res.Processes))
	if res.Bots.RSS > 0 {
		f.Set("bots_cpu_core_fraction", measure.Round3(measure.CoreFraction(res.Bots.CPU, res.Elapsed)))
	}
	if res.Server.Measured {
		f.Set("server_cpu_core_fraction", measure.Round3(measure.CoreFraction(res.Server.CPU, res.Elapsed)))
		f.Set("server_rss_max_bytes", res.Server.RSS.MaxOf())
		if res.Machine.Busy > 0 {
			f.Set("machine_other_cpu_cores", measure.Round3(measure.OtherCores(res.Machine, res.Server.CPU+res.Bots.CPU, res.Elapsed)))
		}
	}
	f.Set("settle_s", measure.Round3(cc.Settle.Seconds()))
	cold.set(f, "cold")
	start.set(f, "start")
	after.set(f, "after")
	if after.HasStats && start.HasStats {
		f.Set("server_goroutines_ratio", measure.Round3(measure.Ratio(float64(after.Goroutines), float64(start.Goroutines))))
		f.Set("server_goroutines_excl_rooms_start", start.Goroutines-start.Rooms)
		f.Set("server_goroutines_excl_rooms_after", after.Goroutines-after.Rooms)
		f.Set("server_goroutines_excl_rooms_ratio", measure.Round3(measure.Ratio(float64(after.Goroutines-after.Rooms), float64(start.Goroutines-start.Rooms))))
		f.Set("server_fds_ratio", measure.Round3(measure.Ratio(float64(after.FDs), float64(start.FDs))))
	}
	if after.RSS > 0 && start.RSS > 0 {
		f.Set("server_rss_ratio", measure.Round3(measure.Ratio(float64(after.RSS), float64(start.RSS))))
		f.Set("server_rss_after_to_cold_ratio", measure.Round3(measure.Ratio(float64(after.RSS), float64(cold.RSS))))
	}
	if cc.RoomWait > 0 && final.HasStats {
		f.Set("room_wait_s", measure.Round3(roomWaited.Seconds()))
		final.set(f, "final")
		if final.RSS > 0 && cold.RSS > 0 {
			f.Set("server_rss_final_to_cold_ratio", measure.Round3(measure.Ratio(float64(final.RSS), float64(cold.RSS))))
		}
	}

	v := &Verdict{Scenario: "churn"}
	v.Add("cycles done", s.Cycles >= int64(cc.Total) && s.CyclesFailed == 0 && s.Failed == 0 && s.Leaves == s.Cycles,
		"%d/%d connect/join/leave cycles (%d per connection) in %.1f s = %.0f/s; %d failed cycles, %d failed bots (%s)",
		s.Cycles, cc.Total, cc.Cycles, res.Elapsed.Seconds(), float64(s.Cycles)/res.Elapsed.Seconds(), s.CyclesFailed, s.Failed, measure.CountsString(s.FailReasons))
	tol := cc.Tolerance
	if coldErr != nil || afterErr != nil || !after.HasStats || !start.HasStats {
		v.Add("server level readable", false, "/debug/stats: %v", firstErr(coldErr, afterErr))
	} else {
		// A room is one goroutine (its tick loop) that the server keeps
		// for 30 s after the room empties; /debug/stats counts rooms, so
		// the goroutines that could leak per connection are the others.
		gs, ga := start.Goroutines-start.Rooms, after.Goroutines-after.Rooms
		v.Add("goroutines at start level", WithinRatio(float64(gs), float64(ga), tol),
			"%d besides %d room loops after %d cycles + %v vs %d besides %d room loops at the start: ×%.3f (bar ±%.0f%%)",
			ga, after.Rooms, s.Cycles, cc.Settle, gs, start.Rooms, measure.Ratio(float64(ga), float64(gs)), tol*100)
		v.Add("fds at start level", WithinRatio(float64(start.FDs), float64(after.FDs), tol),
			"%d vs %d at the start: ×%.3f (bar ±%.0f%%)", after.FDs, start.FDs, measure.Ratio(float64(after.FDs), float64(start.FDs)), tol*100)
		v.Add("connections at start level", after.Connections == start.Connections,
			"%d vs %d at the start", after.Connections, start.Connections)
	}
	if o.ServerPID == 0 {
		v.Skip("RSS at start level", "not measured: no -server-pid")
	} else {
		v.Add("RSS at start level", after.RSS > 0 && WithinRatio(float64(start.RSS), float64(after.RSS), tol),
			"%.2f MB vs %.2f MB at the start: ×%.3f (bar ±%.0f%%; cold start %.2f MB, peak during the run %.2f MB)",
			mb(after.RSS), mb(start.RSS), measure.Ratio(float64(after.RSS), float64(start.RSS)), tol*100, mb(cold.RSS), mb(res.Server.RSS.MaxOf()))
	}
	if cc.RoomWait > 0 && after.HasStats {
		v.Add("rooms closed, goroutines and fds at the cold level",
			final.HasStats && final.Rooms <= cold.Rooms && WithinRatio(float64(cold.Goroutines), float64(final.Goroutines), tol) &&
				WithinRatio(float64(cold.FDs), float64(final.FDs), tol),
			"after %.1f s: %d rooms (cold %d), %d goroutines (cold %d), %d fds (cold %d)",
			roomWaited.Seconds(), final.Rooms, cold.Rooms, final.Goroutines, cold.Goroutines, final.FDs, cold.FDs)
	}
	return f, v, res, nil
}

// pause waits d, or less if ctx ends first.
func pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
