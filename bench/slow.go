package bench

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/skirmishgg/skirmish/bench/botnet"
	"github.com/skirmishgg/skirmish/bench/diag"
	"github.com/skirmishgg/skirmish/bench/measure"
	"github.com/skirmishgg/skirmish/server"
)

// SlowConfig shapes the slow scenario: the play load, measured first in a
// reference window where every bot reads, then in the window (Options.
// Window) where a fraction of the bots stop reading.
type SlowConfig struct {
	Play PlayConfig // Rooms, Players, SlowFraction, SlowRcvBuf
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

// The statistics SlowConfig.GapStat names.
const (
	GapStatMedian = "median-1s"
	GapStatWindow = "window"
)

func (sc SlowConfig) withDefaults() SlowConfig {
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
		sc.GapStat = GapStatMedian
	}
	return sc
}

// RunSlow runs the slow scenario and judges it: every bot joined; the
// readers' gap p99 rose by at most GapRiseMax once the slow bots stopped
// reading; the server's RSS during the window stayed within RSSPerSlow
// per slow bot of its reference-window maximum; and the server
// disconnected every slow bot before the window ended.
func RunSlow(ctx context.Context, o Options, sc SlowConfig) (*Figures, *Verdict, error) {
	sc = sc.withDefaults()
	if sc.Play.SlowFraction <= 0 || sc.Play.SlowFraction >= 1 {
		return nil, nil, fmt.Errorf("slow: fraction %v: want one in (0, 1)", sc.Play.SlowFraction)
	}
	if sc.GapStat != GapStatMedian && sc.GapStat != GapStatWindow {
		return nil, nil, fmt.Errorf("slow: gap statistic %q: want %s or %s", sc.GapStat, GapStatMedian, GapStatWindow)
	}
	slowBots := 0
	for g := range sc.Play.Rooms * sc.Play.Players {
		if botnet.IsSlow(g, sc.Play.SlowFraction) {
			slowBots++
		}
	}
	if slowBots == 0 {
		return nil, nil, fmt.Errorf("slow: -fraction %v of %d bots makes none slow", sc.Play.SlowFraction, sc.Play.Rooms*sc.Play.Players)
	}
	statsURL, _ := measure.StatsURL(o.URL)
	before, beforeErr := measure.FetchStats(ctx, statsURL)
	f, res, err := runPlay(ctx, o, sc.Play, "slow", sc.RefWindow)
	if err != nil {
		return nil, nil, err
	}
	s := res.Stats
	ref := time.Duration(s.RefWindowNanos)
	gapRef, gapSlow := s.RefGap.Quantile(0.99), s.Gap.Quantile(0.99)
	rise := gapSlow - gapRef // µs
	// Second by second: the ref window's whole seconds, then the window's.
	win := time.Duration(s.WindowNanos)
	rf, rt := secondsRange(0, ref)
	wf, wt := secondsRange(ref, ref+win)
	refSec := secondQuantiles(s.GapSeconds, rf, rt, 0.99)
	winSec := secondQuantiles(s.GapSeconds, wf, wt, 0.99)
	medRef, medWin := median(refSec), median(winSec)
	medRise := medWin - medRef

	// The window's figures (play's, readers only) stay as they are; the
	// reference window's and the comparison come after them.
	f.Set("slow_fraction", sc.Play.SlowFraction)
	f.Set("ref_window_s", measure.Round3(ref.Seconds()))
	f.Set("ref_clients_measured", s.RefClients)
	f.Set("ref_snapshots_per_client_s", measure.Round3(measure.PerClientSecond(float64(s.RefSnapshots), s.RefClients, ref)))
	f.Set("ref_gap_p50_ms", measure.Ms(s.RefGap.Quantile(0.5)))
	f.Set("ref_gap_p99_ms", measure.Ms(gapRef))
	f.Set("ref_gap_max_ms", measure.Ms(s.RefGap.Max()))
	f.Set("ref_rtt_p50_ms", measure.Ms(s.RefRTT.Quantile(0.5)))
	f.Set("ref_rtt_p99_ms", measure.Ms(s.RefRTT.Quantile(0.99)))
	f.Set("gap_p99_rise_ms", measure.Ms(rise))
	f.Set("ref_gap_p99_median_1s_ms", measure.Ms(medRef))
	f.Set("gap_p99_median_1s_ms", measure.Ms(medWin))
	f.Set("gap_p99_median_1s_rise_ms", measure.Ms(medRise))
	f.Set("ref_gap_p99_worst_1s_ms", measure.Ms(slices.Max(append(refSec, 0))))
	f.Set("gap_p99_worst_1s_ms", measure.Ms(slices.Max(append(winSec, 0))))
	f.Set("ref_inputs_skipped", s.RefInputsSkip)
	f.Set("gap_stat", sc.GapStat)
	series := make([]float64, len(s.GapSeconds))
	for i := range s.GapSeconds {
		series[i] = measure.Ms(s.GapSeconds[i].Quantile(0.99))
	}
	f.Set("gap_p99_by_second_ms", series)
	f.Set("slow_disconnect_min_ms", measure.Ms(s.SlowDisconnect.Min()))
	f.Set("slow_disconnect_p99_ms", measure.Ms(s.SlowDisconnect.Quantile(0.99)))

	var after server.Stats
	var afterErr error
	if beforeErr == nil {
		after, afterErr = measure.FetchStats(ctx, statsURL)
		if afterErr == nil {
			f.Set("server_slow_closed", int64(after.SlowClosed)-int64(before.SlowClosed))
			f.Set("server_close_1008", measure.CloseCode(after, 1008)-measure.CloseCode(before, 1008))
			f.Set("server_snapshots_replaced", int64(after.SnapshotsReplaced)-int64(before.SnapshotsReplaced))
		}
	}

	sv := res.Server
	var bound, refMax, winMax int64
	if sv.Measured {
		refMax, winMax = sv.RSS.MaxOf("ref"), sv.RSS.MaxOf("window")
		bound = refMax + s.SlowBots*sc.RSSPerSlow
		f.Set("server_cpu_core_fraction_ref", measure.Round3(measure.CoreFraction(sv.RefCPU, ref)))
		if res.RefMachine.Busy > 0 {
			f.Set("machine_other_cpu_cores_ref", measure.Round3(measure.OtherCores(res.RefMachine, sv.RefCPU+res.RefBotsCPU, ref)))
		}
		f.Set("server_rss_ref_max_bytes", refMax)
		f.Set("server_rss_window_max_bytes", winMax)
		f.Set("server_rss_max_bytes", sv.RSS.MaxOf())
		f.Set("server_rss_bound_bytes", bound)
		f.Set("server_rss_series", measure.Downsample(sv.RSS.Series, 1))
	}

	v := &Verdict{Scenario: "slow"}
	bots := int64(sc.Play.Rooms * sc.Play.Players)
	v.Add("all bots joined", s.Joined == bots && s.Failed == 0,
		"%d/%d joined, %d failed (%s)", s.Joined, bots, s.Failed, measure.CountsString(s.FailReasons))
	readersOK := s.RefClients > 0 && s.Clients == s.RefClients && s.RefGap.Count() > 0 && s.Gap.Count() > 0
	v.Add("readers measured in both windows", readersOK,
		"%d readers in the reference window, %d in the window", s.RefClients, s.Clients)
	// Another tenant's CPU use on this machine moves the gaps too.
	others := ""
	if _, ok := f.Get("machine_other_cpu_cores_ref"); ok {
		others = fmt.Sprintf("; other processes used %.2f cores in the reference window, %.2f in the window",
			f.Float("machine_other_cpu_cores_ref"), f.Float("machine_other_cpu_cores"))
	}
	if sc.GapStat == GapStatMedian {
		v.Add("readers' gap p99 rise", readersOK && len(refSec) > 0 && len(winSec) > 0 && medRise <= sc.GapRiseMax.Microseconds(),
			"median of the 1-s p99s %.3f ms (%d s) → %.3f ms (%d s) with %d not reading: %+.3f ms (bar ≤ %v); whole windows %.3f → %.3f ms (%+.3f ms)%s",
			measure.UsToMs(medRef), len(refSec), measure.UsToMs(medWin), len(winSec), s.SlowBots, measure.UsToMs(medRise), sc.GapRiseMax,
			measure.UsToMs(gapRef), measure.UsToMs(gapSlow), measure.UsToMs(rise), others)
	} else {
		v.Add("readers' gap p99 rise", readersOK && rise <= sc.GapRiseMax.Microseconds(),
			"%.3f ms → %.3f ms over the whole windows with %d not reading: %+.3f ms (bar ≤ %v); median of the 1-s p99s %.3f → %.3f ms (%+.3f ms)%s",
			measure.UsToMs(gapRef), measure.UsToMs(gapSlow), s.SlowBots, measure.UsToMs(rise), sc.GapRiseMax, measure.UsToMs(medRef), measure.UsToMs(medWin), measure.UsToMs(medRise), others)
	}
	if sv.Measured {
		v.Add("server RSS bounded", winMax <= bound,
			"max %.1f MB in the window vs %.1f MB in the reference window (bound %.1f MB = + %d slow × %d KiB)",
			mb(winMax), mb(refMax), mb(bound), s.SlowBots, sc.RSSPerSlow>>10)
	} else {
		v.Skip("server RSS bounded", "not measured: no -server-pid")
	}
	v.Add("slow bots disconnected by the server", s.SlowBots > 0 && s.SlowDisconnected == s.SlowBots,
		"%d/%d within the %v window (after %.1f s p50, %.1f s max of not reading)",
		s.SlowDisconnected, s.SlowBots, o.Window, measure.UsToMs(s.SlowDisconnect.Quantile(0.5))/1000, measure.UsToMs(s.SlowDisconnect.Max())/1000)
	if beforeErr != nil || afterErr != nil {
		diag.Logf("slow: /debug/stats: %v", firstErr(beforeErr, afterErr))
	}
	return f, v, nil
}

func mb(b int64) float64 { return float64(b) / 1e6 }

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return fmt.Errorf("no error")
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
