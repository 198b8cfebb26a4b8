package robustness

import (
	"context"
	"flag"
	"fmt"
	"math"
	"time"

	"github.com/skirmishgg/skirmish/bench/botnet"
	"github.com/skirmishgg/skirmish/bench/measure"
	"github.com/skirmishgg/skirmish/bench/report"
	"github.com/skirmishgg/skirmish/bench/scenario"
)

// Churn runs -total connect/join/leave cycles: -rate new connections per
// second, each doing Hello, then -cycles times Join → Welcome → hold →
// Leave, then disconnecting. It judges the server's level after the run
// against its level before (after a warmup of the same load).
type Churn struct {
	load scenario.LoadFlags
	cfg  churnConfig
}

// Name is "churn".
func (*Churn) Name() string { return "churn" }

// Flags registers the load flags and the churn's shape and bar.
func (s *Churn) Flags(fs *flag.FlagSet) {
	s.load.Register(fs)
	c := &s.cfg
	fs.Float64Var(&c.Rate, "rate", 100, "new connections per second")
	fs.DurationVar(&c.Duration, "duration", 10*time.Second, "how long new connections keep coming (without -total)")
	fs.IntVar(&c.Total, "total", 0, "connect/join/leave cycles to run (sets the connections and the duration; 0: -rate × -duration × -cycles)")
	fs.IntVar(&c.WarmupCycles, "warmup-cycles", -1, "cycles run first, after which the start level is read (-1: total/20)")
	fs.DurationVar(&c.Hold, "hold", 500*time.Millisecond, "time in the room per join")
	fs.IntVar(&c.Cycles, "cycles", 2, "join/leave cycles per connection")
	fs.IntVar(&c.Rooms, "rooms", 20, "the room pool: connection g joins churn-(g mod rooms) (0: groups of -players)")
	fs.IntVar(&c.Players, "players", 50, "players per room, with -rooms 0")
	fs.DurationVar(&c.Settle, "settle", 10*time.Second, "after the bots left, wait up to this long for the server's connections and fds to come back to where they started before reading its level")
	fs.DurationVar(&c.RoomWait, "room-wait", 0, "then wait up to this long for the rooms to close (the server closes an empty room after its idle timeout) and compare with the cold level too")
	fs.Float64Var(&c.Tolerance, "tolerance", 0.10, "the bar: goroutines, fds and RSS within ±this fraction of the start level")
}

// Run runs the churn and judges it.
func (s *Churn) Run(ctx context.Context, env scenario.Env) (*report.Report, error) {
	o, err := s.load.Options(env)
	if err != nil {
		return nil, err
	}
	if s.cfg.Rooms < 0 || s.cfg.Players <= 0 {
		return nil, fmt.Errorf("-rooms and -players must be positive")
	}
	parts, v, err := runChurn(ctx, o, s.cfg)
	if err != nil {
		return nil, err
	}
	rep := report.New("churn")
	rep.AddVerdict(rep.Add("churn", parts...), v)
	return rep, nil
}

// churnConfig shapes the churn load: connections open at Rate per second;
// each does Hello, then Cycles times Join → Welcome → Hold → Leave, then
// disconnects. Total cycles are run (Total/Cycles connections, so
// Total/Cycles/Rate seconds of arrivals).
type churnConfig struct {
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
	// Settle bounds the wait, after the last bot left, for the server's
	// connections and fds to come back to their level before the phase
	// (it closes connections asynchronously); the level is read then
	// (default 10 s).
	Settle time.Duration
	// RoomWait, if > 0, then waits (at most that long) for the rooms to
	// close (the server closes a room after its idle timeout) and compares the
	// level with the cold one as well.
	RoomWait time.Duration
	// Tolerance is the bar: goroutines, fds and RSS at the end within
	// ±Tolerance of the start (default 0.10).
	Tolerance float64
}

func (cc churnConfig) withDefaults() churnConfig {
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
		cc.Settle = 10 * time.Second
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

// serverLevel is what a server holds at one moment: the figures a leak
// would move.
type serverLevel struct {
	Goroutines, Rooms, FDs, Connections int64
	HeapInuse                           int64 // the server's Go heap in use (garbage included)
	RSS                                 int64 // 0 without a pid
	HasStats                            bool
}

// readLevel reads /debug/stats and, with a pid, /proc: then the fds are
// counted there, since the server's figure may be a second old.
func readLevel(ctx context.Context, statsURL string, pid int) (serverLevel, error) {
	var l serverLevel
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
		if n, err := measure.CountFDs(pid); err == nil {
			l.FDs = n
		} else {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return l, errs[0]
	}
	return l, nil
}

// figures names the level's figures with suffix: server_goroutines_S,
// server_rooms_S, server_fds_S, server_connections_S,
// server_heap_inuse_S_bytes (with /debug/stats), server_rss_S_bytes
// (with a pid).
func (l serverLevel) figures(suffix string) report.Fields {
	var f report.Fields
	if l.HasStats {
		f = append(f, report.Field{Name: "server_goroutines_" + suffix, Value: l.Goroutines},
			report.Field{Name: "server_rooms_" + suffix, Value: l.Rooms},
			report.Field{Name: "server_fds_" + suffix, Value: l.FDs},
			report.Field{Name: "server_connections_" + suffix, Value: l.Connections},
			report.Field{Name: "server_heap_inuse_" + suffix + "_bytes", Value: l.HeapInuse})
	}
	if l.RSS > 0 {
		f = append(f, report.Field{Name: "server_rss_" + suffix + "_bytes", Value: l.RSS})
	}
	return f
}

// churnPhase runs cycles cycles and returns the run and its connections.
func churnPhase(ctx context.Context, o scenario.Options, cc churnConfig, cycles int, label string) (*botnet.RunResult, int, error) {
	n := connsFor(cycles, cc.Cycles)
	spec := o.ShardSpec(botnet.WorkChurn, n)
	spec.ConnectRate = cc.Rate
	spec.Hold = cc.Hold
	spec.Cycles = cc.Cycles
	spec.PlayersPerRoom = cc.Players
	spec.RoomPool = cc.Rooms
	spec.RoomPrefix = "churn-"
	rc := o.RunConfig(label, spec)
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

// churnLevels are the server's levels around a churn run: cold (before
// anything), start (after the warmup), after (the run and Settle), final
// (after the rooms closed, with RoomWait).
type churnLevels struct {
	cold, start, after, final serverLevel
	coldErr, afterErr         error
	settled, roomWaited       time.Duration
}

// runChurn runs the churn load and judges it: every cycle done, and the
// server's goroutines, fds and RSS after the run (and Settle) within
// ±Tolerance of where they started; with RoomWait, also back at the cold
// level once the rooms have closed. It returns the section's figures.
func runChurn(ctx context.Context, o scenario.Options, cc churnConfig) ([]any, *report.Verdict, error) {
	cc = cc.withDefaults()
	statsURL := o.StatsURL()
	var lv churnLevels
	lv.cold, lv.coldErr = readLevel(ctx, statsURL, o.ServerPID)
	lv.start = lv.cold
	if cc.WarmupCycles > 0 {
		wres, _, err := churnPhase(ctx, o, cc, cc.WarmupCycles, "churn-warmup")
		if err != nil {
			return nil, nil, err
		}
		if wres.Stats.Cycles == 0 {
			return nil, nil, fmt.Errorf("churn: no warmup cycle succeeded (%s)", measure.CountsString(wres.Stats.FailReasons))
		}
		lv.start, _, _ = settle(ctx, statsURL, o.ServerPID, lv.cold, cc.Settle, false)
	}
	res, n, err := churnPhase(ctx, o, cc, cc.Total, "churn")
	if err != nil {
		return nil, nil, err
	}
	lv.after, lv.settled, lv.afterErr = settle(ctx, statsURL, o.ServerPID, lv.start, cc.Settle, true)
	if ctx.Err() != nil {
		return nil, nil, ctx.Err()
	}
	if cc.RoomWait > 0 && lv.after.HasStats {
		lv.awaitRooms(ctx, statsURL, o.ServerPID, cc.RoomWait)
	}
	return churnFigures(cc, n, res, &lv), churnVerdict(cc, o.ServerPID != 0, res, &lv), nil
}

// settle reads the server's level every 100 ms until its connections
// are back at ref's and its fds too (sameFDs) or unchanged since the
// previous read, or until wait passes; it returns the last level read and
// how long it took. The server closes a connection's fd when it sees the
// peer go, which can take a moment after the bots are done: a fixed pause
// would read a level that depends on the machine's load. (After a
// warmup, fds need not come back: each room that had members keeps its
// own epoll.)
func settle(ctx context.Context, statsURL string, pid int, ref serverLevel, wait time.Duration, sameFDs bool) (serverLevel, time.Duration, error) {
	t0 := time.Now()
	prev := serverLevel{FDs: -1}
	for {
		l, err := readLevel(ctx, statsURL, pid)
		fdsOK := l.FDs == prev.FDs
		if sameFDs {
			fdsOK = l.FDs == ref.FDs
		}
		back := err == nil && l.HasStats && ref.HasStats && l.Connections == ref.Connections && fdsOK
		if back || time.Since(t0) >= wait || ctx.Err() != nil {
			return l, time.Since(t0), err
		}
		prev = l
		scenario.Pause(ctx, 100*time.Millisecond)
	}
}

// awaitRooms reads the level every 500 ms until the rooms are back at the
// cold level, or wait passes.
func (lv *churnLevels) awaitRooms(ctx context.Context, statsURL string, pid int, wait time.Duration) {
	t0 := time.Now()
	deadline := t0.Add(wait)
	for {
		lv.final, _ = readLevel(ctx, statsURL, pid)
		if (lv.final.HasStats && lv.final.Rooms <= lv.cold.Rooms) || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		scenario.Pause(ctx, 500*time.Millisecond)
	}
	lv.roomWaited = time.Since(t0)
}

// churnRun is what the churn load did and measured.
type churnRun struct {
	Connections   int64   `json:"connections"`
	RatePerS      float64 `json:"rate_per_s"`
	CyclesPerConn int64   `json:"cycles_per_conn"`
	HoldMs        float64 `json:"hold_ms"`
	Rooms         int64   `json:"rooms"`
	WarmupCycles  int64   `json:"warmup_cycles"`
	CyclesTarget  int64   `json:"cycles_target"`
	Cycles        int64   `json:"cycles"`
	CyclesFailed  int64   `json:"cycles_failed"`
	Leaves        int64   `json:"leaves"`
	ElapsedS      float64 `json:"elapsed_s"`
	CyclesPerS    float64 `json:"cycles_per_s"`
	// Connected and failed bots, over the whole run.
	ClientsConnected int64 `json:"clients_connected"`
	ClientsFailed    int64 `json:"clients_failed"`
	scenario.Handshakes
	scenario.Joins
	scenario.Failures
	Processes int64 `json:"processes"`
	// CPU and RSS over the whole run.
	BotsCPUCoreFraction   *float64 `json:"bots_cpu_core_fraction,omitempty"`
	ServerCPUCoreFraction *float64 `json:"server_cpu_core_fraction,omitempty"`
	ServerRSSMaxBytes     *int64   `json:"server_rss_max_bytes,omitempty"`
	MachineOtherCPUCores  *float64 `json:"machine_other_cpu_cores,omitempty"`
	// SettleS is how long the server took to come back to its level
	// after the bots left (at most Settle).
	SettleS float64 `json:"settle_s"`
}

// churnRatios compare the level after the run with the start (and the
// cold) level.
type churnRatios struct {
	*churnStatsRatios
	RSSRatio       *float64 `json:"server_rss_ratio,omitempty"`
	RSSAfterToCold *float64 `json:"server_rss_after_to_cold_ratio,omitempty"`
}

// churnStatsRatios are the ratios of the /debug/stats figures.
type churnStatsRatios struct {
	GoroutinesRatio          float64 `json:"server_goroutines_ratio"`
	GoroutinesExclRoomsStart int64   `json:"server_goroutines_excl_rooms_start"`
	GoroutinesExclRoomsAfter int64   `json:"server_goroutines_excl_rooms_after"`
	GoroutinesExclRoomsRatio float64 `json:"server_goroutines_excl_rooms_ratio"`
	FDsRatio                 float64 `json:"server_fds_ratio"`
}

// churnRoomWait is the wait for the rooms to close.
type churnRoomWait struct {
	RoomWaitS float64 `json:"room_wait_s"`
}

// churnFinalRatio compares the RSS after the rooms closed with the cold
// level.
type churnFinalRatio struct {
	RSSFinalToCold float64 `json:"server_rss_final_to_cold_ratio"`
}

// churnFigures are the churn section's parts, in order.
func churnFigures(cc churnConfig, n int, res *botnet.RunResult, lv *churnLevels) []any {
	s := res.Stats
	run := churnRun{
		Connections: int64(n), RatePerS: cc.Rate, CyclesPerConn: int64(cc.Cycles),
		HoldMs: measure.Round3(float64(cc.Hold.Microseconds()) / 1000), Rooms: int64(cc.Rooms),
		WarmupCycles: int64(cc.WarmupCycles), CyclesTarget: int64(cc.Total), Cycles: s.Cycles,
		CyclesFailed: s.CyclesFailed, Leaves: s.Leaves, ElapsedS: measure.Round3(res.Elapsed.Seconds()),
		CyclesPerS:       measure.Round3(float64(s.Cycles) / res.Elapsed.Seconds()),
		ClientsConnected: s.Connected, ClientsFailed: s.Failed,
		Handshakes: scenario.NewHandshakes(s), Joins: scenario.NewJoins(s), Failures: scenario.NewFailures(s),
		Processes:           int64(res.Processes),
		BotsCPUCoreFraction: scenario.BotsCores(res, res.Elapsed), ServerCPUCoreFraction: scenario.ServerCores(res, res.Elapsed),
		MachineOtherCPUCores: scenario.OtherCores(res, res.Elapsed), SettleS: measure.Round3(lv.settled.Seconds()),
	}
	if res.Server.Measured {
		run.ServerRSSMaxBytes = new(res.Server.RSS.MaxOf())
	}
	ratio := func(a, b int64) float64 { return measure.Round3(measure.Ratio(float64(a), float64(b))) }
	var r churnRatios
	cold, start, after, final := lv.cold, lv.start, lv.after, lv.final
	if after.HasStats && start.HasStats {
		r.churnStatsRatios = &churnStatsRatios{
			GoroutinesRatio: ratio(after.Goroutines, start.Goroutines), GoroutinesExclRoomsStart: start.Goroutines - start.Rooms,
			GoroutinesExclRoomsAfter: after.Goroutines - after.Rooms,
			GoroutinesExclRoomsRatio: ratio(after.Goroutines-after.Rooms, start.Goroutines-start.Rooms),
			FDsRatio:                 ratio(after.FDs, start.FDs),
		}
	}
	if after.RSS > 0 && start.RSS > 0 {
		r.RSSRatio, r.RSSAfterToCold = new(ratio(after.RSS, start.RSS)), new(ratio(after.RSS, cold.RSS))
	}
	parts := []any{run, cold.figures("cold"), start.figures("start"), after.figures("after"), r}
	if cc.RoomWait > 0 && final.HasStats {
		parts = append(parts, churnRoomWait{measure.Round3(lv.roomWaited.Seconds())}, final.figures("final"))
		if final.RSS > 0 && cold.RSS > 0 {
			parts = append(parts, churnFinalRatio{ratio(final.RSS, cold.RSS)})
		}
	}
	return parts
}

// churnVerdict judges a churn run; rss tells whether the server's RSS was
// measured.
func churnVerdict(cc churnConfig, rss bool, res *botnet.RunResult, lv *churnLevels) *report.Verdict {
	s := res.Stats
	cold, start, after, final := lv.cold, lv.start, lv.after, lv.final
	v := &report.Verdict{Scenario: "churn"}
	v.Add("cycles done", s.Cycles >= int64(cc.Total) && s.CyclesFailed == 0 && s.Failed == 0 && s.Leaves == s.Cycles,
		"%d/%d connect/join/leave cycles (%d per connection) in %.1f s = %.0f/s; %d failed cycles, %d failed bots (%s)",
		s.Cycles, cc.Total, cc.Cycles, res.Elapsed.Seconds(), float64(s.Cycles)/res.Elapsed.Seconds(), s.CyclesFailed, s.Failed, measure.CountsString(s.FailReasons))
	tol := cc.Tolerance
	ratio := func(a, b int64) float64 { return measure.Ratio(float64(a), float64(b)) }
	if lv.coldErr != nil || lv.afterErr != nil || !after.HasStats || !start.HasStats {
		err := lv.coldErr
		if err == nil {
			err = lv.afterErr
		}
		v.Add("server level readable", false, "/debug/stats: %v", err)
	} else {
		// A room is one goroutine (its loop) that the server keeps for its
		// idle timeout after the room empties; /debug/stats counts rooms, so
		// the goroutines that could leak per connection are the others.
		gs, ga := start.Goroutines-start.Rooms, after.Goroutines-after.Rooms
		v.Add("goroutines at start level", withinRatio(gs, ga, tol),
			"%d besides %d room loops after %d cycles + %v vs %d besides %d room loops at the start: ×%.3f (bar ±%.0f%%)",
			ga, after.Rooms, s.Cycles, lv.settled.Round(time.Millisecond), gs, start.Rooms, ratio(ga, gs), tol*100)
		v.Add("fds at start level", withinRatio(start.FDs, after.FDs, tol),
			"%d vs %d at the start: ×%.3f (bar ±%.0f%%)", after.FDs, start.FDs, ratio(after.FDs, start.FDs), tol*100)
		v.Add("connections at start level", after.Connections == start.Connections,
			"%d vs %d at the start", after.Connections, start.Connections)
	}
	if !rss {
		v.Skip("RSS at start level", "not measured: no -server-pid")
	} else {
		v.Add("RSS at start level", after.RSS > 0 && withinRatio(start.RSS, after.RSS, tol),
			"%.2f MB vs %.2f MB at the start: ×%.3f (bar ±%.0f%%; cold start %.2f MB, peak during the run %.2f MB)",
			mb(after.RSS), mb(start.RSS), ratio(after.RSS, start.RSS), tol*100, mb(cold.RSS), mb(res.Server.RSS.MaxOf()))
	}
	if cc.RoomWait > 0 && after.HasStats {
		v.Add("rooms closed, goroutines and fds at the cold level",
			final.HasStats && final.Rooms <= cold.Rooms && withinRatio(cold.Goroutines, final.Goroutines, tol) &&
				withinRatio(cold.FDs, final.FDs, tol),
			"after %.1f s: %d rooms (cold %d), %d goroutines (cold %d), %d fds (cold %d)",
			lv.roomWaited.Seconds(), final.Rooms, cold.Rooms, final.Goroutines, cold.Goroutines, final.FDs, cold.FDs)
	}
	return v
}

// withinRatio reports whether after is within ±tol (a fraction) of
// before. A zero before only matches a zero after.
func withinRatio(before, after int64, tol float64) bool {
	if before == 0 {
		return after == 0
	}
	return math.Abs(float64(after)/float64(before)-1) <= tol+1e-12
}

func mb(b int64) float64 { return float64(b) / 1e6 }
