package scenario

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/skirmishgg/skirmish/bench/botnet"
	"github.com/skirmishgg/skirmish/bench/measure"
	"github.com/skirmishgg/skirmish/bench/report"
	"github.com/skirmishgg/skirmish/server"
)

// Resume runs -n bots in rooms of -players; they play through the warmup,
// and once the window starts each one, at its slot of -spread, drops its
// socket without a close frame, reconnects and resumes its session. The
// window must leave time after the spread for the last reconnections.
type Resume struct {
	load   LoadFlags
	server serverFlags
	cfg    resumeConfig
}

type resumeConfig struct {
	n       int
	players int
	mode    string
	spread  time.Duration
	reset   bool // drop with an RST (SO_LINGER 0) instead of a FIN
}

// Name is "resume".
func (*Resume) Name() string { return "resume" }

// Flags registers the load flags (-window 5s), the server and the shape
// of the drops.
func (s *Resume) Flags(fs *flag.FlagSet) {
	s.load.Register(fs)
	SetDefault(fs, "window", "5s")
	s.server.register(fs, false)
	fs.IntVar(&s.cfg.n, "n", 500, "bots; each drops its connection once and resumes")
	fs.IntVar(&s.cfg.players, "players", 50, "bots per room")
	fs.StringVar(&s.cfg.mode, "mode", defaultMode, "the rooms' game mode")
	fs.DurationVar(&s.cfg.spread, "spread", 2*time.Second, "the drops are spread over this much of the window's start (rooms interleaved)")
	fs.BoolVar(&s.cfg.reset, "rst", false, "drop with an RST (SO_LINGER 0) instead of a FIN")
}

// Run runs the resume scenario and judges it: every bot joined, dropped
// and resumed (Welcome.resumed, the same player_id); its entity was in the
// first snapshot after the resume with at least the score it had; the
// other bots of the rooms received no Roster meanwhile; the server
// counted the resumes and lost nobody.
func (s *Resume) Run(ctx context.Context, env Env) (*report.Report, error) {
	o, err := s.load.Options(env)
	if err != nil {
		return nil, err
	}
	return runAgainst("resume", s.server, o, func(o Options) (*resumeResult, *report.Verdict, error) {
		return runResume(ctx, o, s.cfg)
	})
}

// resumeResult is what the resume scenario measured.
type resumeResult struct {
	Mode           string  `json:"mode"`
	Bots           int64   `json:"bots"`
	Rooms          int64   `json:"rooms"`
	PlayersPerRoom int64   `json:"players_per_room"`
	Drop           string  `json:"drop"`
	SpreadS        float64 `json:"spread_s"`
	WindowS        float64 `json:"window_s"`
	LatencyMs      float64 `json:"latency_ms,omitempty"`
	joinedFigures
	Joins
	Drops             int64   `json:"drops"`
	DropsSkipped      int64   `json:"drops_skipped"`
	Resumed           int64   `json:"resumed"`
	ResumeFailed      int64   `json:"resume_failed"`
	ResumePending     int64   `json:"resume_pending"`
	ResumeFailReasons string  `json:"resume_fail_reasons"`
	ResumeP50Ms       float64 `json:"resume_p50_ms"`
	ResumeP99Ms       float64 `json:"resume_p99_ms"`
	ResumeMaxMs       float64 `json:"resume_max_ms"`
	// The reconnection's parts: TCP + upgrade, Hello → ServerHello,
	// Join{resume_token} → Welcome.
	ResumeConnectP50Ms   float64 `json:"resume_connect_p50_ms"`
	ResumeConnectP99Ms   float64 `json:"resume_connect_p99_ms"`
	ResumeHandshakeP50Ms float64 `json:"resume_handshake_p50_ms"`
	ResumeHandshakeP99Ms float64 `json:"resume_handshake_p99_ms"`
	ResumeJoinP50Ms      float64 `json:"resume_join_p50_ms"`
	ResumeJoinP99Ms      float64 `json:"resume_join_p99_ms"`
	// The first snapshot after the resumed Welcome, and the first one
	// the bot could resolve.
	FirstSnapshotFull  int64   `json:"resume_first_snapshot_full"`
	FirstSnapshotDelta int64   `json:"resume_first_snapshot_delta"`
	FirstDeltaOldBase  int64   `json:"resume_first_delta_old_base"`
	UnusableSnapshots  int64   `json:"resume_unusable_snapshots"`
	WorldP50Ms         float64 `json:"resume_world_p50_ms"`
	WorldP99Ms         float64 `json:"resume_world_p99_ms"`
	WorldMaxMs         float64 `json:"resume_world_max_ms"`
	EntityOK           int64   `json:"resume_entity_ok"`
	EntityMissing      int64   `json:"resume_entity_missing"`
	ScoreLower         int64   `json:"resume_score_lower"`
	ScoreUnknown       int64   `json:"resume_score_unknown"`
	RosterChangesSeen  int64   `json:"roster_changes_seen"`
	SnapshotsReceived  int64   `json:"snapshots"`
	gapFigures
	Failures
	*resumeServer
	ServerCPUCoreFraction *float64 `json:"server_cpu_core_fraction,omitempty"`
	MachineOtherCPUCores  *float64 `json:"machine_other_cpu_cores,omitempty"`
}

// resumeServer is what the server counted (growth over the run) and
// holds after it.
type resumeServer struct {
	Resumes          int64 `json:"server_resumes"`
	ResumeErrors     int64 `json:"server_resume_errors"`
	ConnectionsAfter int64 `json:"server_connections_after"`
	PlayersAfter     int64 `json:"server_players_after"`
}

func runResume(ctx context.Context, o Options, rc resumeConfig) (*resumeResult, *report.Verdict, error) {
	if rc.players <= 0 {
		rc.players = 50
	}
	if rc.mode == "" {
		rc.mode = defaultMode
	}
	if rc.spread <= 0 {
		rc.spread = 2 * time.Second
	}
	if rc.n <= 0 {
		return nil, nil, fmt.Errorf("resume: -n must be positive")
	}
	if o.Window <= rc.spread {
		return nil, nil, fmt.Errorf("resume: the window (%v) must be longer than the drops' spread (%v)", o.Window, rc.spread)
	}
	spec := o.ShardSpec(botnet.WorkResume, rc.n)
	spec.PlayersPerRoom = rc.players
	spec.GameMode = rc.mode
	spec.RoomPrefix = "resume-"
	spec.DropSpread = rc.spread
	spec.DropReset = rc.reset
	before, beforeErr := measure.FetchStats(ctx, o.StatsURL())
	res, err := botnet.Run(ctx, o.RunConfig("resume", spec))
	if err != nil {
		return nil, nil, fmt.Errorf("resume: %w", err)
	}
	after, afterErr := measure.FetchStats(ctx, o.StatsURL())
	r := newResumeResult(o, rc, res)
	statsErr := firstErr(beforeErr, afterErr)
	if statsErr == nil {
		r.resumeServer = newResumeServer(before, after)
	}
	return r, resumeVerdict(rc.n, res.Stats, r.resumeServer, statsErr), nil
}

func newResumeServer(before, after server.Stats) *resumeServer {
	return &resumeServer{
		Resumes: int64(after.Resumes) - int64(before.Resumes), ResumeErrors: int64(after.ResumeErrors) - int64(before.ResumeErrors),
		ConnectionsAfter: int64(after.Connections), PlayersAfter: int64(after.Players),
	}
}

func newResumeResult(o Options, rc resumeConfig, res *botnet.RunResult) *resumeResult {
	s := res.Stats
	win := time.Duration(s.WindowNanos)
	drop := "close (FIN), no close frame"
	if rc.reset {
		drop = "RST (SO_LINGER 0), no close frame"
	}
	ms := func(h *measure.Histogram, q float64) float64 { return measure.Ms(h.Quantile(q)) }
	return &resumeResult{
		Mode: rc.mode, Bots: int64(rc.n), Rooms: int64((rc.n + rc.players - 1) / rc.players), PlayersPerRoom: int64(rc.players),
		Drop: drop, SpreadS: measure.Round3(rc.spread.Seconds()), WindowS: measure.Round3(win.Seconds()),
		LatencyMs:     measure.Round3(float64(o.Latency.Microseconds()) / 1000),
		joinedFigures: joinedFigures{s.Connected, s.Joined, s.Failed}, Joins: NewJoins(s),
		Drops: s.Drops, DropsSkipped: s.DropsSkipped, Resumed: s.Resumed, ResumeFailed: s.ResumeFailed,
		ResumePending: s.Drops - s.Resumed - s.ResumeFailed, ResumeFailReasons: measure.CountsString(s.ResumeFailReasons),
		ResumeP50Ms: ms(&s.ResumeLatency, 0.5), ResumeP99Ms: ms(&s.ResumeLatency, 0.99), ResumeMaxMs: measure.Ms(s.ResumeLatency.Max()),
		ResumeConnectP50Ms: ms(&s.ResumeConnect, 0.5), ResumeConnectP99Ms: ms(&s.ResumeConnect, 0.99),
		ResumeHandshakeP50Ms: ms(&s.ResumeHandshake, 0.5), ResumeHandshakeP99Ms: ms(&s.ResumeHandshake, 0.99),
		ResumeJoinP50Ms: ms(&s.ResumeJoin, 0.5), ResumeJoinP99Ms: ms(&s.ResumeJoin, 0.99),
		FirstSnapshotFull: s.Resumed - s.ResumeFirstDelta, FirstSnapshotDelta: s.ResumeFirstDelta,
		FirstDeltaOldBase: s.ResumeFirstDeltaOld, UnusableSnapshots: s.ResumeUnusable,
		WorldP50Ms: ms(&s.ResumeWorld, 0.5), WorldP99Ms: ms(&s.ResumeWorld, 0.99), WorldMaxMs: measure.Ms(s.ResumeWorld.Max()),
		EntityOK: s.ResumeEntityOK, EntityMissing: s.ResumeEntityMissing, ScoreLower: s.ResumeScoreLower,
		ScoreUnknown: s.ResumeScoreUnknown, RosterChangesSeen: s.RosterChanges, SnapshotsReceived: s.Snapshots,
		gapFigures: newGaps(s), Failures: NewFailures(s),
		ServerCPUCoreFraction: ServerCores(res, win), MachineOtherCPUCores: OtherCores(res, win),
	}
}

// resumeVerdict judges a resume run of bots bots; srv is what the server
// counted (nil when /debug/stats could not be read, statsErr says why).
func resumeVerdict(bots int, s *measure.Stats, srv *resumeServer, statsErr error) *report.Verdict {
	v := &report.Verdict{Scenario: "resume"}
	n := int64(bots)
	pending := s.Drops - s.Resumed - s.ResumeFailed
	win := time.Duration(s.WindowNanos)
	us := measure.UsToMs
	v.Add("all bots joined", s.Joined == n && s.Failed == 0,
		"%d/%d joined, %d failed (%s)", s.Joined, n, s.Failed, measure.CountsString(s.FailReasons))
	v.Add("every bot resumed", s.Drops == n && s.Resumed == n && s.ResumeFailed == 0,
		"%d/%d dropped, %d resumed with Welcome.resumed and the same player_id, %d failed (%s), %d pending at the window's end; resume p50 %.1f ms, p99 %.1f ms, max %.1f ms",
		s.Drops, n, s.Resumed, s.ResumeFailed, measure.CountsString(s.ResumeFailReasons), pending,
		us(s.ResumeLatency.Quantile(0.5)), us(s.ResumeLatency.Quantile(0.99)), us(s.ResumeLatency.Max()))
	v.Add("first snapshot after a resume is full", s.Resumed > 0 && s.ResumeFirstDelta == 0,
		"%d/%d full; %d deltas, %d of them against a tick the old connection had received; a client that drops its old baselines, as the protocol says, had to drop %d snapshots in all and had a world %.1f ms p50, %.1f ms p99, %.1f ms max after the resumed Welcome",
		s.Resumed-s.ResumeFirstDelta, s.Resumed, s.ResumeFirstDelta, s.ResumeFirstDeltaOld, s.ResumeUnusable,
		us(s.ResumeWorld.Quantile(0.5)), us(s.ResumeWorld.Quantile(0.99)), us(s.ResumeWorld.Max()))
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
	if srv != nil {
		v.Add("server counted the resumes", srv.Resumes == s.Resumed && srv.ResumeErrors == 0,
			"/debug/stats resumes +%d (bots saw %d), resume_errors +%d", srv.Resumes, s.Resumed, srv.ResumeErrors)
	} else {
		v.Skip("server counted the resumes", "/debug/stats: %v", statsErr)
	}
	return v
}

// firstErr is the first error that is not nil (nil if none is).
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
