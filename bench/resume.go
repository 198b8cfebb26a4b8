package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/skirmishgg/skirmish/bench/botnet"
	"github.com/skirmishgg/skirmish/bench/measure"
)

// ResumeConfig shapes the resume scenario: N bots in rooms of Players
// play through the warmup; once the window starts each one, at its slot of
// Spread, drops its socket without a close frame, reconnects and resumes
// its session. The window (Options.Window) must leave time after Spread for
// the last reconnections.
type ResumeConfig struct {
	N       int
	Players int    // per room (default 50)
	Mode    string // default movers
	Spread  time.Duration
	// Reset drops with an RST (SO_LINGER 0) instead of a FIN.
	Reset bool
}

func (rc ResumeConfig) withDefaults() ResumeConfig {
	if rc.Players <= 0 {
		rc.Players = 50
	}
	if rc.Mode == "" {
		rc.Mode = DefaultMode
	}
	if rc.Spread <= 0 {
		rc.Spread = 2 * time.Second
	}
	return rc
}

// RunResume runs the resume scenario and judges it: every bot joined,
// dropped and resumed (Welcome.resumed, the same player_id); its entity was
// in the first snapshot after the resume with at least the score it had;
// the other bots of the rooms received no Roster meanwhile; the server
// counted the resumes and lost nobody.
func RunResume(ctx context.Context, o Options, rc ResumeConfig) (*Figures, *Verdict, error) {
	rc = rc.withDefaults()
	if rc.N <= 0 {
		return nil, nil, fmt.Errorf("resume: -n must be positive")
	}
	if o.Window <= rc.Spread {
		return nil, nil, fmt.Errorf("resume: the window (%v) must be longer than the drops' spread (%v)", o.Window, rc.Spread)
	}
	spec := o.spec(botnet.WorkResume, rc.N)
	spec.PlayersPerRoom = rc.Players
	spec.GameMode = rc.Mode
	spec.RoomPrefix = "resume-"
	spec.DropSpread = rc.Spread
	spec.DropReset = rc.Reset
	statsURL, _ := measure.StatsURL(o.URL)
	before, beforeErr := measure.FetchStats(ctx, statsURL)
	res, err := botnet.Run(ctx, o.run("resume", spec))
	if err != nil {
		return nil, nil, fmt.Errorf("resume: %w", err)
	}
	after, afterErr := measure.FetchStats(ctx, statsURL)
	s := res.Stats
	win := time.Duration(s.WindowNanos)
	rooms := (rc.N + rc.Players - 1) / rc.Players

	f := NewFigures()
	f.Set("mode", rc.Mode)
	f.Set("bots", int64(rc.N))
	f.Set("rooms", int64(rooms))
	f.Set("players_per_room", int64(rc.Players))
	f.Set("drop", map[bool]string{false: "close (FIN), no close frame", true: "RST (SO_LINGER 0), no close frame"}[rc.Reset])
	f.Set("spread_s", measure.Round3(rc.Spread.Seconds()))
	f.Set("window_s", measure.Round3(win.Seconds()))
	if o.Latency > 0 {
		f.Set("latency_ms", measure.Round3(float64(o.Latency.Microseconds())/1000))
	}
	f.Set("clients_connected", s.Connected)
	f.Set("clients_joined", s.Joined)
	f.Set("clients_failed", s.Failed)
	f.Set("join_p50_ms", measure.Ms(s.Join.Quantile(0.5)))
	f.Set("join_p99_ms", measure.Ms(s.Join.Quantile(0.99)))
	pending := s.Drops - s.Resumed - s.ResumeFailed
	f.Set("drops", s.Drops)
	f.Set("drops_skipped", s.DropsSkipped)
	f.Set("resumed", s.Resumed)
	f.Set("resume_failed", s.ResumeFailed)
	f.Set("resume_pending", pending)
	f.Set("resume_fail_reasons", measure.CountsString(s.ResumeFailReasons))
	f.Set("resume_p50_ms", measure.Ms(s.ResumeLatency.Quantile(0.5)))
	f.Set("resume_p99_ms", measure.Ms(s.ResumeLatency.Quantile(0.99)))
	f.Set("resume_max_ms", measure.Ms(s.ResumeLatency.Max()))
	f.Set("resume_connect_p50_ms", measure.Ms(s.ResumeConnect.Quantile(0.5)))
	f.Set("resume_connect_p99_ms", measure.Ms(s.ResumeConnect.Quantile(0.99)))
	f.Set("resume_handshake_p50_ms", measure.Ms(s.ResumeHandshake.Quantile(0.5)))
	f.Set("resume_handshake_p99_ms", measure.Ms(s.ResumeHandshake.Quantile(0.99)))
	f.Set("resume_join_p50_ms", measure.Ms(s.ResumeJoin.Quantile(0.5)))
	f.Set("resume_join_p99_ms", measure.Ms(s.ResumeJoin.Quantile(0.99)))
	f.Set("resume_first_snapshot_full", s.Resumed-s.ResumeFirstDelta)
	f.Set("resume_first_snapshot_delta", s.ResumeFirstDelta)
	f.Set("resume_first_delta_old_base", s.ResumeFirstDeltaOld)
	f.Set("resume_unusable_snapshots", s.ResumeUnusable)
	f.Set("resume_world_p50_ms", measure.Ms(s.ResumeWorld.Quantile(0.5)))
	f.Set("resume_world_p99_ms", measure.Ms(s.ResumeWorld.Quantile(0.99)))
	f.Set("resume_world_max_ms", measure.Ms(s.ResumeWorld.Max()))
	f.Set("resume_entity_ok", s.ResumeEntityOK)
	f.Set("resume_entity_missing", s.ResumeEntityMissing)
	f.Set("resume_score_lower", s.ResumeScoreLower)
	f.Set("resume_score_unknown", s.ResumeScoreUnknown)
	f.Set("roster_changes_seen", s.RosterChanges)
	f.Set("snapshots", s.Snapshots)
	f.Set("gap_p50_ms", measure.Ms(s.Gap.Quantile(0.5)))
	f.Set("gap_p99_ms", measure.Ms(s.Gap.Quantile(0.99)))
	f.Set("gap_max_ms", measure.Ms(s.Gap.Max()))
	f.Set("rtt_p50_ms", measure.Ms(s.RTT.Quantile(0.5)))
	f.Set("rtt_p99_ms", measure.Ms(s.RTT.Quantile(0.99)))
	f.Set("disconnects", s.Disconnects)
	f.Set("protocol_errors", s.ProtocolErrors)
	f.Set("close_codes", measure.CountsString(s.CloseCodes))
	f.Set("error_codes", measure.CountsString(s.ErrorCodes))
	f.Set("fail_reasons", measure.CountsString(s.FailReasons))
	serverResumes, serverResumeErrors := int64(-1), int64(-1)
	if beforeErr == nil && afterErr == nil {
		serverResumes, serverResumeErrors = int64(after.Resumes)-int64(before.Resumes), int64(after.ResumeErrors)-int64(before.ResumeErrors)
		f.Set("server_resumes", serverResumes)
		f.Set("server_resume_errors", serverResumeErrors)
		f.Set("server_connections_after", int64(after.Connections))
		f.Set("server_players_after", int64(after.Players))
	}
	if res.Server.Measured {
		f.Set("server_cpu_core_fraction", measure.Round3(measure.CoreFraction(res.Server.CPU, win)))
		if res.Bots.RSS > 0 && res.Machine.Busy > 0 {
			f.Set("machine_other_cpu_cores", measure.Round3(measure.OtherCores(res.Machine, res.Server.CPU+res.Bots.CPU, win)))
		}
	}

	v := resumeVerdict(rc.N, s, serverResumes, serverResumeErrors, firstErr(beforeErr, afterErr))
	return f, v, nil
}

// resumeVerdict judges a resume run of bots bots: s is what they measured;
// serverResumes and serverResumeErrors are the growth of the server's
// counters (-1 when /debug/stats could not be read, statsErr says why).
func resumeVerdict(bots int, s *measure.Stats, serverResumes, serverResumeErrors int64, statsErr error) *Verdict {
	v := &Verdict{Scenario: "resume"}
	n := int64(bots)
	pending := s.Drops - s.Resumed - s.ResumeFailed
	win := time.Duration(s.WindowNanos)
	v.Add("all bots joined", s.Joined == n && s.Failed == 0,
		"%d/%d joined, %d failed (%s)", s.Joined, n, s.Failed, measure.CountsString(s.FailReasons))
	v.Add("every bot resumed", s.Drops == n && s.Resumed == n && s.ResumeFailed == 0,
		"%d/%d dropped, %d resumed with Welcome.resumed and the same player_id, %d failed (%s), %d pending at the window's end; resume p50 %.1f ms, p99 %.1f ms, max %.1f ms",
		s.Drops, n, s.Resumed, s.ResumeFailed, measure.CountsString(s.ResumeFailReasons), pending,
		measure.UsToMs(s.ResumeLatency.Quantile(0.5)), measure.UsToMs(s.ResumeLatency.Quantile(0.99)), measure.UsToMs(s.ResumeLatency.Max()))
	v.Add("first snapshot after a resume is full", s.Resumed > 0 && s.ResumeFirstDelta == 0,
		"%d/%d full; %d deltas, %d of them against a tick the old connection had received; a client that drops its old baselines, as the protocol says, had to drop %d snapshots in all and had a world %.1f ms p50, %.1f ms p99, %.1f ms max after the resumed Welcome",
		s.Resumed-s.ResumeFirstDelta, s.Resumed, s.ResumeFirstDelta, s.ResumeFirstDeltaOld, s.ResumeUnusable,
		measure.UsToMs(s.ResumeWorld.Quantile(0.5)), measure.UsToMs(s.ResumeWorld.Quantile(0.99)), measure.UsToMs(s.ResumeWorld.Max()))
	resolved := s.ResumeEntityOK + s.ResumeEntityMissing + s.ResumeScoreLower + s.ResumeScoreUnknown
	v.Add("entity back with its score", s.Resumed > 0 && s.ResumeEntityOK == s.Resumed,
		"%d/%d first worlds after a resume held the player's entity with a score ≥ its score before the drop; %d missing it, %d with a lower score, %d without a known score before, %d without a world by the window's end",
		s.ResumeEntityOK, s.Resumed, s.ResumeEntityMissing, s.ResumeScoreLower, s.ResumeScoreUnknown, s.Resumed-resolved)
	v.Add("no roster change during the resumes", s.RosterChanges == 0,
		"%d Roster messages other than their own reached the bots in the %.1f s window (the drops and resumes must look like nothing to the others)",
		s.RosterChanges, win.Seconds())
	v.Add("no connection lost", s.Disconnects == 0 && s.ProtocolErrors == 0,
		"%d connections closed by the server or lost (close codes %s, errors %s), %d protocol errors",
		s.Disconnects, measure.CountsString(s.CloseCodes), measure.CountsString(s.ErrorCodes), s.ProtocolErrors)
	if serverResumes >= 0 {
		v.Add("server counted the resumes", serverResumes == s.Resumed && serverResumeErrors == 0,
			"/debug/stats resumes +%d (bots saw %d), resume_errors +%d", serverResumes, s.Resumed, serverResumeErrors)
	} else {
		v.Skip("server counted the resumes", "/debug/stats: %v", statsErr)
	}
	return v
}
