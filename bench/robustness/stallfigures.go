package robustness

import (
	"context"
	"time"

	"github.com/skirmishgg/skirmish/bench/measure"
	"github.com/skirmishgg/skirmish/bench/report"
	"github.com/skirmishgg/skirmish/bench/scenario"
	"github.com/skirmishgg/skirmish/server"
)

// stallSetup is the stall scenario's shape and how its peers and its
// legitimate bots fared.
type stallSetup struct {
	StalledPeers      int64   `json:"stalled_peers"`
	LegitBots         int64   `json:"legit_bots"`
	HandshakeTimeoutS float64 `json:"handshake_timeout_s"`
	FrameTimeoutS     float64 `json:"frame_timeout_s"`
	GraceS            float64 `json:"grace_s"`
	SetupS            float64 `json:"stall_setup_s"`
	SetupFailed       int64   `json:"stall_setup_failed"`
	SetupFailReasons  string  `json:"stall_setup_fail_reasons"`
	OpenAtLegitStart  int64   `json:"stalled_open_at_legit_start"`
	OpenAfterLegit    int64   `json:"stalled_open_after_legit"`
	// The legitimate bots, over their window.
	LegitPhaseS          float64  `json:"legit_phase_s"`
	LegitConnected       int64    `json:"legit_connected"`
	LegitJoined          int64    `json:"legit_joined"`
	LegitFailed          int64    `json:"legit_failed"`
	LegitFailReasons     string   `json:"legit_fail_reasons"`
	LegitConnectP50Ms    float64  `json:"legit_connect_p50_ms"`
	LegitConnectP99Ms    float64  `json:"legit_connect_p99_ms"`
	LegitHandshakeP50Ms  float64  `json:"legit_handshake_p50_ms"`
	LegitHandshakeP99Ms  float64  `json:"legit_handshake_p99_ms"`
	LegitJoinP50Ms       float64  `json:"legit_join_p50_ms"`
	LegitJoinP99Ms       float64  `json:"legit_join_p99_ms"`
	LegitJoinMaxMs       float64  `json:"legit_join_max_ms"`
	LegitGapP50Ms        float64  `json:"legit_gap_p50_ms"`
	LegitGapP99Ms        float64  `json:"legit_gap_p99_ms"`
	LegitRTTP99Ms        float64  `json:"legit_rtt_p99_ms"`
	LegitWindowOtherCPUs *float64 `json:"legit_window_machine_other_cpu_cores,omitempty"`
}

// stallServer is what the server counted and held.
type stallServer struct {
	*stallCounters
	ConnectionsBefore  int64  `json:"server_connections_before"`
	FDsBefore          int64  `json:"server_fds_before"`
	ConnectionsStalled *int64 `json:"server_connections_stalled,omitempty"`
	FDsStalled         *int64 `json:"server_fds_stalled,omitempty"`
	ConnectionsAfter   int64  `json:"server_connections_after"`
	FDsAfter           int64  `json:"server_fds_after"`
	GoroutinesBefore   int64  `json:"server_goroutines_before"`
	GoroutinesAfter    int64  `json:"server_goroutines_after"`
	RSSMaxBytes        *int64 `json:"server_rss_max_bytes,omitempty"`
	RSSAfterBytes      *int64 `json:"server_rss_after_bytes,omitempty"`
}

// stallCounters are the growth of the server's timeout counters, read
// after the deadlines.
type stallCounters struct {
	HandshakeTimeouts int64 `json:"server_handshake_timeouts"`
	FrameTimeouts     int64 `json:"server_frame_timeouts"`
	Close1008         int64 `json:"server_close_1008"`
}

// deadlineFigures names a kind's figures with prefix: P_peers, P_stalled,
// P_closed, P_closed_in_time, P_closed_early, P_closed_late,
// P_not_closed, P_lateness_{min,p50,p99,max}_ms, P_close_codes.
func deadlineFigures(prefix string, d *measure.DeadlineStats) report.Fields {
	return report.Fields{
		{Name: prefix + "_peers", Value: d.Peers},
		{Name: prefix + "_stalled", Value: d.Stalled},
		{Name: prefix + "_closed", Value: d.Closed},
		{Name: prefix + "_closed_in_time", Value: d.InTime},
		{Name: prefix + "_closed_early", Value: d.Early},
		{Name: prefix + "_closed_late", Value: d.Late},
		{Name: prefix + "_not_closed", Value: d.NotClosed()},
		{Name: prefix + "_lateness_min_ms", Value: measure.Ms(d.MinLateUs)},
		{Name: prefix + "_lateness_p50_ms", Value: measure.Ms(d.Lateness.Quantile(0.5))},
		{Name: prefix + "_lateness_p99_ms", Value: measure.Ms(d.Lateness.Quantile(0.99))},
		{Name: prefix + "_lateness_max_ms", Value: measure.Ms(d.MaxLateUs)},
		{Name: prefix + "_close_codes", Value: measure.CountsString(d.CloseCodes)},
	}
}

// figures are the stall section's parts, in order.
func (r *stallRun) figures() []any {
	sc, g, st := r.sc, r.g, r.legit.Stats
	ms := func(h *measure.Histogram, q float64) float64 { return measure.Ms(h.Quantile(q)) }
	setup := stallSetup{
		StalledPeers: int64(sc.N), LegitBots: int64(sc.Legit), HandshakeTimeoutS: measure.Round3(sc.HandshakeTimeout.Seconds()),
		FrameTimeoutS: measure.Round3(sc.FrameTimeout.Seconds()), GraceS: measure.Round3(sc.Grace.Seconds()),
		SetupS: measure.Round3(r.setupTime.Seconds()), SetupFailed: g.failed[0].Load() + g.failed[1].Load(),
		SetupFailReasons: r.setupFails, OpenAtLegitStart: r.openAtLegit, OpenAfterLegit: r.openAfterLegit,
		LegitPhaseS: measure.Round3(r.legitTime.Seconds()), LegitConnected: st.Connected, LegitJoined: st.Joined,
		LegitFailed: st.Failed, LegitFailReasons: measure.CountsString(st.FailReasons),
		LegitConnectP50Ms: ms(&st.Connect, 0.5), LegitConnectP99Ms: ms(&st.Connect, 0.99),
		LegitHandshakeP50Ms: ms(&st.Handshake, 0.5), LegitHandshakeP99Ms: ms(&st.Handshake, 0.99),
		LegitJoinP50Ms: ms(&st.Join, 0.5), LegitJoinP99Ms: ms(&st.Join, 0.99), LegitJoinMaxMs: measure.Ms(st.Join.Max()),
		LegitGapP50Ms: ms(&st.Gap, 0.5), LegitGapP99Ms: ms(&st.Gap, 0.99), LegitRTTP99Ms: ms(&st.RTT, 0.99),
		LegitWindowOtherCPUs: scenario.OtherCores(r.legit, time.Duration(st.WindowNanos)),
	}
	b, s := r.before, r.settled
	srv := stallServer{
		ConnectionsBefore: int64(b.Connections), FDsBefore: int64(b.FDs),
		ConnectionsAfter: int64(s.Connections), FDsAfter: int64(s.FDs),
		GoroutinesBefore: int64(b.Goroutines), GoroutinesAfter: int64(s.Goroutines),
	}
	if r.afterErr == nil {
		srv.stallCounters = r.counters()
	}
	if r.duringErr == nil {
		srv.ConnectionsStalled, srv.FDsStalled = new(int64(r.during.Connections)), new(int64(r.during.FDs))
	}
	if r.rss != nil {
		r.rss.Stop()
		sum := r.rss.Summary()
		srv.RSSMaxBytes, srv.RSSAfterBytes = new(sum.MaxOf()), new(sum.Last)
	}
	return []any{setup, deadlineFigures("half_upgrade", &r.kinds[stallUpgrade]),
		deadlineFigures("half_frame", &r.kinds[stallFrame]), srv}
}

// counters is the growth of the server's timeout counters.
func (r *stallRun) counters() *stallCounters {
	b, a := r.before, r.after
	return &stallCounters{
		HandshakeTimeouts: int64(a.HandshakeTimeouts) - int64(b.HandshakeTimeouts),
		FrameTimeouts:     int64(a.FrameTimeouts) - int64(b.FrameTimeouts),
		Close1008:         measure.CloseCode(a, 1008) - measure.CloseCode(b, 1008),
	}
}

// verdict judges the stall run.
func (r *stallRun) verdict() *report.Verdict {
	sc, st := r.sc, r.legit.Stats
	us := measure.UsToMs
	v := &report.Verdict{Scenario: "stall"}
	up, fr := &r.kinds[stallUpgrade], &r.kinds[stallFrame]
	v.Add("peers stalled", up.Stalled == up.Peers && fr.Stalled == fr.Peers,
		"%d/%d half upgrades, %d/%d half frames set up in %.2f s (%s)", up.Stalled, up.Peers, fr.Stalled, fr.Peers, r.setupTime.Seconds(), r.setupFails)
	v.Add("all stalled while the bots joined", r.openAfterLegit == int64(sc.N),
		"%d of %d stalled peers still open after the legitimate bots' %.2f s", r.openAfterLegit, sc.N, r.legitTime.Seconds())
	v.Add("every legit bot joined", st.Joined == int64(sc.Legit) && st.Failed == 0,
		"%d/%d joined, %d failed (%s)", st.Joined, sc.Legit, st.Failed, measure.CountsString(st.FailReasons))
	v.Add("legit join p99", st.Join.Count() > 0 && st.Join.Quantile(0.99) <= sc.JoinP99Max.Microseconds(),
		"p50 %.3f ms, p99 %.3f ms (bar ≤ %v)", us(st.Join.Quantile(0.5)), us(st.Join.Quantile(0.99)), sc.JoinP99Max)
	v.Add("half upgrades closed in time", up.AllInTime(),
		"%d/%d within [deadline, +%v] of their %v handshake timeout (early %d, late %d, never %d; lateness p50 %.1f ms, max %.1f ms)",
		up.InTime, up.Peers, sc.Grace, sc.HandshakeTimeout, up.Early, up.Late, up.NotClosed(), us(up.Lateness.Quantile(0.5)), us(up.MaxLateUs))
	v.Add("half frames closed in time with 1008", fr.AllInTime(),
		"%d/%d within [deadline, +%v] of their %v frame timeout with close 1008 (early %d, late %d, other close %d, never %d; codes %s; lateness p50 %.1f ms, max %.1f ms)",
		fr.InTime, fr.Peers, sc.Grace, sc.FrameTimeout, fr.Early, fr.Late, fr.WrongEnd, fr.NotClosed(), measure.CountsString(fr.CloseCodes),
		us(fr.Lateness.Quantile(0.5)), us(fr.MaxLateUs))
	if r.afterErr != nil {
		v.Add("server timeout counters", false, "/debug/stats after the deadlines: %v", r.afterErr)
	} else {
		c := r.counters()
		v.Add("server timeout counters", c.HandshakeTimeouts == up.Peers && c.FrameTimeouts == fr.Peers,
			"handshake_timeouts +%d (want %d), frame_timeouts +%d (want %d)", c.HandshakeTimeouts, up.Peers, c.FrameTimeouts, fr.Peers)
	}
	return v
}

// settleStats polls /debug/stats until the server reports at most conns
// connections, or timeout passes; it returns the last reading.
func settleStats(ctx context.Context, statsURL string, conns int64, timeout time.Duration) server.Stats {
	deadline := time.Now().Add(timeout)
	for {
		d, err := measure.FetchStats(ctx, statsURL)
		if (err == nil && int64(d.Connections) <= conns) || time.Now().After(deadline) || ctx.Err() != nil {
			return d
		}
		if scenario.Pause(ctx, 100*time.Millisecond) != nil {
			return d
		}
	}
}
