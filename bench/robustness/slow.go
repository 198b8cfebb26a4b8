package robustness

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"time"

	"github.com/skirmishgg/skirmish/bench/botnet"
	"github.com/skirmishgg/skirmish/bench/diag"
	"github.com/skirmishgg/skirmish/bench/measure"
	"github.com/skirmishgg/skirmish/bench/report"
	"github.com/skirmishgg/skirmish/bench/scenario"
	"github.com/skirmishgg/skirmish/server"
)

// Slow is the play load measured twice in one run: a reference window
// in which every bot reads, then the window in which a fraction of the
// bots (spread evenly) stop reading their socket. Only the bots that keep
// reading are measured, in both windows.
type Slow struct {
	load scenario.LoadFlags
	cfg  slowConfig
}

// Name is "slow".
func (*Slow) Name() string { return "slow" }

// Flags registers the load flags (-window 25s), the play load's shape,
// the slow bots and the bars.
func (s *Slow) Flags(fs *flag.FlagSet) {
	s.load.Register(fs)
	// Long enough for the server to give up on the slow bots: their
	// socket buffers fill, then its 10 s write stall passes.
	scenario.SetDefault(fs, "window", "25s")
	c := &s.cfg
	c.Play.RegisterPlay(fs)
	fs.Float64Var(&c.Play.SlowFraction, "fraction", 0.1, "fraction of the bots that stop reading")
	fs.IntVar(&c.Play.SlowRcvBuf, "rcvbuf", 8192, "SO_RCVBUF of the slow bots (0: kernel default, autotuned; then the kernel buffers absorb minutes of snapshots)")
	fs.DurationVar(&c.RefWindow, "ref-window", 10*time.Second, "reference window before the window, with every bot reading")
	fs.DurationVar(&c.GapRiseMax, "gap-rise-max", 5*time.Millisecond, "the bar on the readers' gap p99 rise")
	fs.StringVar(&c.GapStat, "gap-stat", gapStatMedian, "what the bar compares, "+gapStatMedian+" (the median over each window's seconds of the p99 in that second) or "+gapStatWindow+" (each whole window's p99)")
}

// Run runs the slow scenario and judges it.
func (s *Slow) Run(ctx context.Context, env scenario.Env) (*report.Report, error) {
	o, err := s.load.Options(env)
	if err != nil {
		return nil, err
	}
	res, v, err := runSlow(ctx, o, s.cfg)
	if err != nil {
		return nil, err
	}
	rep := report.New("slow")
	rep.AddVerdict(rep.Add("slow", res), v)
	return rep, nil
}

// slowConfig shapes the slow scenario: the play load, measured first in a
// reference window where every bot reads, then in the window (the
// options' Window) where a fraction of the bots stop reading.
type slowConfig struct {
	Play scenario.PlayConfig // Rooms, Players, SlowFraction, SlowRcvBuf
	// RefWindow is the reference window (default 10 s).
	RefWindow time.Duration
	// GapRiseMax is the bar: the readers' gap p99 may rise by this much
	// from the reference window to the window (default 5 ms).
	GapRiseMax time.Duration
	// RSSPerSlow bounds the server's RSS growth per slow client, from the
	// reference window's maximum to the window's (default 64 KiB, the
	// server's bound on the bytes it keeps for one peer).
	RSSPerSlow int64
	// GapStat is the statistic the bar applies to: "median-1s" (default),
	// the median over the seconds of each window of the readers' gap p99
	// in that second; or "window", the p99 over each whole window. The
	// first is robust to a machine hiccup (this 2-core VM stalls every
	// process for ~100 ms now and then, which alone moves a window's p99
	// by tens of ms); the second also catches a server stall of a second
	// or two. Both are reported.
	GapStat string
}

// The statistics slowConfig.GapStat names.
const (
	gapStatMedian = "median-1s"
	gapStatWindow = "window"
)

func (sc slowConfig) withDefaults() slowConfig {
	if sc.RefWindow <= 0 {
		sc.RefWindow = 10 * time.Second
	}
	if sc.GapRiseMax <= 0 {
		sc.GapRiseMax = 5 * time.Millisecond
	}
	if sc.RSSPerSlow <= 0 {
		sc.RSSPerSlow = 64 << 10
	}
	if sc.GapStat == "" {
		sc.GapStat = gapStatMedian
	}
	return sc
}

// slowResult is what the slow scenario measured: the play load's figures
// in the window (readers only), then the reference window's and the
// comparison.
type slowResult struct {
	*scenario.PlayResult
	SlowFraction   float64 `json:"slow_fraction"`
	RefWindowS     float64 `json:"ref_window_s"`
	RefClients     int64   `json:"ref_clients_measured"`
	RefSnapshotsPS float64 `json:"ref_snapshots_per_client_s"`
	RefGapP50Ms    float64 `json:"ref_gap_p50_ms"`
	RefGapP99Ms    float64 `json:"ref_gap_p99_ms"`
	RefGapMaxMs    float64 `json:"ref_gap_max_ms"`
	RefRTTP50Ms    float64 `json:"ref_rtt_p50_ms"`
	RefRTTP99Ms    float64 `json:"ref_rtt_p99_ms"`
	GapP99RiseMs   float64 `json:"gap_p99_rise_ms"`
	// Second by second: the median over each window's whole seconds of
	// the p99 in that second, the rise, the worst second.
	RefGapP99Median1sMs float64   `json:"ref_gap_p99_median_1s_ms"`
	GapP99Median1sMs    float64   `json:"gap_p99_median_1s_ms"`
	GapP99Median1sRise  float64   `json:"gap_p99_median_1s_rise_ms"`
	RefGapP99Worst1sMs  float64   `json:"ref_gap_p99_worst_1s_ms"`
	GapP99Worst1sMs     float64   `json:"gap_p99_worst_1s_ms"`
	RefInputsSkipped    int64     `json:"ref_inputs_skipped"`
	GapStat             string    `json:"gap_stat"`
	GapP99BySecondMs    []float64 `json:"gap_p99_by_second_ms"`
	SlowDisconnectMinMs float64   `json:"slow_disconnect_min_ms"`
	SlowDisconnectP99Ms float64   `json:"slow_disconnect_p99_ms"`
	*slowServer
	*slowRSS
}

// slowServer is what the server counted over the run.
type slowServer struct {
	SlowClosed        int64 `json:"server_slow_closed"`
	Close1008         int64 `json:"server_close_1008"`
	SnapshotsReplaced int64 `json:"server_snapshots_replaced"`
}

// slowRSS is the server's CPU in the reference window and its RSS over
// the run (with a pid).
type slowRSS struct {
	CPUCoreFractionRef      float64            `json:"server_cpu_core_fraction_ref"`
	MachineOtherCPUCoresRef *float64           `json:"machine_other_cpu_cores_ref,omitempty"`
	RSSRefMaxBytes          int64              `json:"server_rss_ref_max_bytes"`
	RSSWindowMaxBytes       int64              `json:"server_rss_window_max_bytes"`
	RSSMaxBytes             int64              `json:"server_rss_max_bytes"`
	RSSBoundBytes           int64              `json:"server_rss_bound_bytes"`
	RSSSeries               []measure.RSSPoint `json:"server_rss_series"`
}

// gapSeconds are the readers' gap p99s second by second (µs).
type gapSeconds struct {
	ref, win       []int64 // the p99 of each whole second of each window
	medRef, medWin int64
}

func newGapSeconds(s *measure.Stats) gapSeconds {
	ref := time.Duration(s.RefWindowNanos)
	win := time.Duration(s.WindowNanos)
	rf, rt := secondsRange(0, ref)
	wf, wt := secondsRange(ref, ref+win)
	g := gapSeconds{ref: secondQuantiles(s.GapSeconds, rf, rt, 0.99), win: secondQuantiles(s.GapSeconds, wf, wt, 0.99)}
	g.medRef, g.medWin = median(g.ref), median(g.win)
	return g
}

// runSlow runs the slow scenario and judges it: every bot joined; the
// readers' gap p99 rose by at most GapRiseMax once the slow bots stopped
// reading; the server's RSS during the window stayed within RSSPerSlow
// per slow bot of its reference-window maximum; and the server
// disconnected every slow bot before the window ended.
func runSlow(ctx context.Context, o scenario.Options, sc slowConfig) (*slowResult, *report.Verdict, error) {
	sc = sc.withDefaults()
	if err := sc.check(); err != nil {
		return nil, nil, err
	}
	before, beforeErr := measure.FetchStats(ctx, o.StatsURL())
	play, res, err := scenario.RunPlay(ctx, o, sc.Play, "slow", sc.RefWindow)
	if err != nil {
		return nil, nil, err
	}
	r := newSlowResult(sc, play, res)
	if beforeErr == nil {
		after, afterErr := measure.FetchStats(ctx, o.StatsURL())
		if afterErr == nil {
			r.slowServer = newSlowServer(before, after)
		} else {
			diag.Logf("slow: /debug/stats: %v", afterErr)
		}
	} else {
		diag.Logf("slow: /debug/stats: %v", beforeErr)
	}
	return r, slowVerdict(sc, o.Window, res, r), nil
}

// check refuses a slow load without slow bots, or a statistic it does
// not know.
func (sc slowConfig) check() error {
	if sc.Play.SlowFraction <= 0 || sc.Play.SlowFraction >= 1 {
		return fmt.Errorf("slow: fraction %v: want one in (0, 1)", sc.Play.SlowFraction)
	}
	if sc.GapStat != gapStatMedian && sc.GapStat != gapStatWindow {
		return fmt.Errorf("slow: gap statistic %q: want %s or %s", sc.GapStat, gapStatMedian, gapStatWindow)
	}
	bots, slow := sc.Play.Rooms*sc.Play.Players, 0
	for g := range bots {
		if botnet.IsSlow(g, sc.Play.SlowFraction) {
			slow++
		}
	}
	if slow == 0 {
		return fmt.Errorf("slow: -fraction %v of %d bots makes none slow", sc.Play.SlowFraction, bots)
	}
	return nil
}

func newSlowServer(before, after server.Stats) *slowServer {
	return &slowServer{
		SlowClosed:        int64(after.SlowClosed) - int64(before.SlowClosed),
		Close1008:         measure.CloseCode(after, 1008) - measure.CloseCode(before, 1008),
		SnapshotsReplaced: int64(after.SnapshotsReplaced) - int64(before.SnapshotsReplaced),
	}
}

func newSlowResult(sc slowConfig, play *scenario.PlayResult, res *botnet.RunResult) *slowResult {
	s := res.Stats
	ref := time.Duration(s.RefWindowNanos)
	gapRef, gapWin := s.RefGap.Quantile(0.99), s.Gap.Quantile(0.99)
	g := newGapSeconds(s)
	series := make([]float64, len(s.GapSeconds))
	for i := range s.GapSeconds {
		series[i] = measure.Ms(s.GapSeconds[i].Quantile(0.99))
	}
	r := &slowResult{
		PlayResult: play, SlowFraction: sc.Play.SlowFraction, RefWindowS: measure.Round3(ref.Seconds()),
		RefClients:     s.RefClients,
		RefSnapshotsPS: measure.Round3(measure.PerClientSecond(float64(s.RefSnapshots), s.RefClients, ref)),
		RefGapP50Ms:    measure.Ms(s.RefGap.Quantile(0.5)), RefGapP99Ms: measure.Ms(gapRef), RefGapMaxMs: measure.Ms(s.RefGap.Max()),
		RefRTTP50Ms: measure.Ms(s.RefRTT.Quantile(0.5)), RefRTTP99Ms: measure.Ms(s.RefRTT.Quantile(0.99)),
		GapP99RiseMs:        measure.Ms(gapWin - gapRef),
		RefGapP99Median1sMs: measure.Ms(g.medRef), GapP99Median1sMs: measure.Ms(g.medWin),
		GapP99Median1sRise: measure.Ms(g.medWin - g.medRef),
		RefGapP99Worst1sMs: measure.Ms(slices.Max(append(g.ref, 0))), GapP99Worst1sMs: measure.Ms(slices.Max(append(g.win, 0))),
		RefInputsSkipped: s.RefInputsSkip, GapStat: sc.GapStat, GapP99BySecondMs: series,
		SlowDisconnectMinMs: measure.Ms(s.SlowDisconnect.Min()), SlowDisconnectP99Ms: measure.Ms(s.SlowDisconnect.Quantile(0.99)),
	}
	if sv := res.Server; sv.Measured {
		refMax := sv.RSS.MaxOf("ref")
		r.slowRSS = &slowRSS{
			CPUCoreFractionRef: measure.Round3(measure.CoreFraction(sv.RefCPU, ref)),
			RSSRefMaxBytes:     refMax, RSSWindowMaxBytes: sv.RSS.MaxOf("window"), RSSMaxBytes: sv.RSS.MaxOf(),
			RSSBoundBytes: refMax + s.SlowBots*sc.RSSPerSlow, RSSSeries: measure.Downsample(sv.RSS.Series, 1),
		}
		if res.RefMachine.Busy > 0 {
			r.MachineOtherCPUCoresRef = new(measure.Round3(measure.OtherCores(res.RefMachine, sv.RefCPU+res.RefBotsCPU, ref)))
		}
	}
	return r
}

// slowVerdict judges a slow run whose window was window.
func slowVerdict(sc slowConfig, window time.Duration, res *botnet.RunResult, r *slowResult) *report.Verdict {
	s := res.Stats
	us := measure.UsToMs
	v := &report.Verdict{Scenario: "slow"}
	bots := int64(sc.Play.Rooms * sc.Play.Players)
	v.Add("all bots joined", s.Joined == bots && s.Failed == 0,
		"%d/%d joined, %d failed (%s)", s.Joined, bots, s.Failed, measure.CountsString(s.FailReasons))
	readersOK := s.RefClients > 0 && s.Clients == s.RefClients && s.RefGap.Count() > 0 && s.Gap.Count() > 0
	v.Add("readers measured in both windows", readersOK,
		"%d readers in the reference window, %d in the window", s.RefClients, s.Clients)
	// Another tenant's CPU use on this machine moves the gaps too.
	others := ""
	if rss := r.slowRSS; rss != nil && rss.MachineOtherCPUCoresRef != nil {
		var win float64
		if r.MachineOtherCPUCores != nil {
			win = *r.MachineOtherCPUCores
		}
		others = fmt.Sprintf("; other processes used %.2f cores in the reference window, %.2f in the window",
			*rss.MachineOtherCPUCoresRef, win)
	}
	gapRef, gapWin := s.RefGap.Quantile(0.99), s.Gap.Quantile(0.99)
	rise := gapWin - gapRef // µs
	g := newGapSeconds(s)
	medRise := g.medWin - g.medRef
	if sc.GapStat == gapStatMedian {
		v.Add("readers' gap p99 rise", readersOK && len(g.ref) > 0 && len(g.win) > 0 && medRise <= sc.GapRiseMax.Microseconds(),
			"median of the 1-s p99s %.3f ms (%d s) → %.3f ms (%d s) with %d not reading: %+.3f ms (bar ≤ %v); whole windows %.3f → %.3f ms (%+.3f ms)%s",
			us(g.medRef), len(g.ref), us(g.medWin), len(g.win), s.SlowBots, us(medRise), sc.GapRiseMax,
			us(gapRef), us(gapWin), us(rise), others)
	} else {
		v.Add("readers' gap p99 rise", readersOK && rise <= sc.GapRiseMax.Microseconds(),
			"%.3f ms → %.3f ms over the whole windows with %d not reading: %+.3f ms (bar ≤ %v); median of the 1-s p99s %.3f → %.3f ms (%+.3f ms)%s",
			us(gapRef), us(gapWin), s.SlowBots, us(rise), sc.GapRiseMax, us(g.medRef), us(g.medWin), us(medRise), others)
	}
	if rss := r.slowRSS; rss != nil {
		v.Add("server RSS bounded", rss.RSSWindowMaxBytes <= rss.RSSBoundBytes,
			"max %.1f MB in the window vs %.1f MB in the reference window (bound %.1f MB = + %d slow × %d KiB)",
			mb(rss.RSSWindowMaxBytes), mb(rss.RSSRefMaxBytes), mb(rss.RSSBoundBytes), s.SlowBots, sc.RSSPerSlow>>10)
	} else {
		v.Skip("server RSS bounded", "not measured: no -server-pid")
	}
	v.Add("slow bots disconnected by the server", s.SlowBots > 0 && s.SlowDisconnected == s.SlowBots,
		"%d/%d within the %v window (after %.1f s p50, %.1f s max of not reading)",
		s.SlowDisconnected, s.SlowBots, window, us(s.SlowDisconnect.Quantile(0.5))/1000, us(s.SlowDisconnect.Max())/1000)
	return v
}

// secondQuantiles returns the q-quantile (µs) of each non-empty
// histogram of h[from:to].
func secondQuantiles(h []measure.Histogram, from, to int, q float64) []int64 {
	var out []int64
	for i := max(from, 0); i < min(to, len(h)); i++ {
		if h[i].Count() > 0 {
			out = append(out, h[i].Quantile(q))
		}
	}
	return out
}

// median of v (the mean of the middle two for an even count; 0 if empty).
func median(v []int64) int64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// secondsRange is the whole seconds (from the reference window's start)
// inside [start, end): a second that straddles a boundary belongs to
// neither window.
func secondsRange(start, end time.Duration) (from, to int) {
	from = int((start + time.Second - 1) / time.Second)
	to = int(end / time.Second)
	return from, max(to, from)
}
