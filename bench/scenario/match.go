package scenario

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/skirmishgg/skirmish/bench/botnet"
	"github.com/skirmishgg/skirmish/bench/measure"
	"github.com/skirmishgg/skirmish/bench/report"
	"github.com/skirmishgg/skirmish/game"
	"github.com/skirmishgg/skirmish/game/modes"
	"github.com/skirmishgg/skirmish/server"
)

// Match is matchmaking under load: bots arrive at -rate per second, each
// connects, sends Hello and Join{mode} with no room (quick-match) and
// stays in the room it is given, playing, until the end. The server fills
// the fullest public room with space and opens a new one when all are
// full.
type Match struct {
	load   LoadFlags
	server serverFlags
	cfg    matchConfig
}

type matchConfig struct {
	rate     float64       // joins per second
	duration time.Duration // of the arrivals, when n is 0
	n        int           // bots (0: rate × duration)
	mode     string
	// capacity is a room's capacity in mode, for the rooms quick-match
	// should open: ⌈n / capacity⌉.
	capacity int
	// inputEvery: a bot sends one input every this many ticks.
	inputEvery int
	// minRateRatio is the bar: the achieved join rate at least this share
	// of rate.
	minRateRatio float64
	// away: each bot closes its socket right after its Welcome (no Leave,
	// no close frame). The server keeps an away player in its place for
	// its resume grace, so the rooms fill as with players who stay, but
	// sends it nothing: the joins alone, without the snapshots of every
	// player that joined (which cost the server ~19 µs per client·tick
	// on loopback, the raw broadcast floor included: 10 000 players at
	// 30 Hz need ~5.7 cores). The run must end within the grace.
	away bool
}

// Name is "match".
func (*Match) Name() string { return "match" }

// Flags registers the load flags, the server, the arrivals and the bar.
func (s *Match) Flags(fs *flag.FlagSet) {
	s.load.Register(fs)
	s.server.register(fs, false)
	c := &s.cfg
	fs.Float64Var(&c.rate, "rate", 1000, "quick-match joins per second offered (bot g dials at g/rate)")
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "how long joins keep coming (without -n)")
	fs.IntVar(&c.n, "n", 0, "bots (0: -rate × -duration)")
	fs.StringVar(&c.mode, "mode", defaultMode, "the mode to quick-match into")
	fs.IntVar(&c.capacity, "capacity", modes.MoversCapacity, "a room's capacity in -mode (movers: "+strconv.Itoa(modes.MoversCapacity)+"), for the rooms expected")
	fs.IntVar(&c.inputEvery, "input-every", 1, "a bot in a room sends one input every this many ticks")
	fs.Float64Var(&c.minRateRatio, "min-rate-ratio", 0.95, "the bar: achieved join rate at least this share of -rate")
	fs.BoolVar(&c.away, "away", false, "a bot closes its socket right after its Welcome: the server keeps it as an away player (rooms fill the same) and sends it nothing; with -server, the server gets -resume-grace 2 min")
}

// Run runs the matchmaking scenario and judges it: every bot joined, the
// joins came at ≥ -min-rate-ratio of -rate, and the server opened the
// rooms quick-match promises.
func (s *Match) Run(ctx context.Context, env Env) (*report.Report, error) {
	if s.cfg.away && s.server.path != "" && !strings.Contains(s.server.args, "-resume-grace") {
		// Away players must outlast the run to hold their places.
		s.server.args = strings.TrimSpace(s.server.args + " -resume-grace 2m")
	}
	o, err := s.load.Options(env)
	if err != nil {
		return nil, err
	}
	return runAgainst("match", s.server, o, func(o Options) (*matchResult, *report.Verdict, error) {
		return runMatch(ctx, o, s.cfg.withDefaults())
	})
}

func (mc matchConfig) withDefaults() matchConfig {
	if mc.rate <= 0 {
		mc.rate = 1000
	}
	if mc.duration <= 0 {
		mc.duration = 10 * time.Second
	}
	if mc.n <= 0 {
		mc.n = max(int(mc.rate*mc.duration.Seconds()+0.5), 1)
	}
	if mc.mode == "" {
		mc.mode = defaultMode
	}
	if mc.capacity <= 0 {
		mc.capacity = modes.MoversCapacity
	}
	if mc.inputEvery <= 0 {
		mc.inputEvery = 1
	}
	if mc.minRateRatio <= 0 {
		mc.minRateRatio = 0.95
	}
	return mc
}

// matchRun is what a match run saw: the bots, and the server's rooms and
// counters before the run and with every bot still in.
type matchRun struct {
	res                *botnet.RunResult
	before, during     server.Stats
	beforeOK, duringOK bool
	roomsBefore, rooms []game.RoomInfo
	roomsErr           error
}

func runMatch(ctx context.Context, o Options, mc matchConfig) (*matchResult, *report.Verdict, error) {
	spec := o.ShardSpec(botnet.WorkPlay, mc.n)
	spec.QuickMatch = true
	spec.GameMode = mc.mode
	spec.ConnectRate = mc.rate
	spec.TickPeriod = time.Duration(mc.inputEvery) * time.Second / 30
	spec.AwayAfterJoin = mc.away
	rc := o.RunConfig("match", spec)
	rc.WindowFromStart = true
	rc.Window = time.Duration(float64(mc.n) / mc.rate * float64(time.Second))
	statsURL := o.StatsURL()
	roomsURL, _ := measure.RoomsURL(o.URL)
	var m matchRun
	var err error
	m.before, err = measure.FetchStats(ctx, statsURL)
	m.beforeOK = err == nil
	m.roomsBefore, _ = measure.FetchRooms(ctx, roomsURL)
	rc.BeforeClose = func(ctx context.Context) {
		m.rooms, m.roomsErr = measure.FetchRooms(ctx, roomsURL)
		var derr error
		m.during, derr = measure.FetchStats(ctx, statsURL)
		// Away bots have closed their sockets; the server notices at its
		// rooms' next tick, so give it a few.
		for deadline := time.Now().Add(awaySettle); mc.away && derr == nil && m.during.Connections > 0 && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
			m.during, derr = measure.FetchStats(ctx, statsURL)
		}
		m.duringOK = derr == nil
	}
	if m.res, err = botnet.Run(ctx, rc); err != nil {
		return nil, nil, fmt.Errorf("match: %w", err)
	}
	r := newMatchResult(mc, &m)
	return r, matchVerdict(mc, &m, r), nil
}

// awaySettle bounds the wait for the server to see the away bots' closed
// sockets (a room reads its members at its ticks).
const awaySettle = 2 * time.Second

// matchResult is what the match scenario measured.
type matchResult struct {
	Mode            string  `json:"mode"`
	Bots            int64   `json:"bots"`
	TargetJoinsPerS float64 `json:"target_joins_per_s"`
	AfterJoin       string  `json:"after_join"`
	joinedFigures
	// The achieved rate: Welcomes − 1 over the span from the first
	// Welcome to the last; its share of the target; the leading whole
	// seconds at ≥ the bar and the joins in them; the fewest Welcomes in
	// a whole second.
	JoinSpanS           float64 `json:"join_span_s"`
	JoinsPerS           float64 `json:"joins_per_s"`
	JoinRateRatio       float64 `json:"join_rate_ratio"`
	JoinRateHeldS       int64   `json:"join_rate_held_s"`
	JoinedWhileRateHeld int64   `json:"joined_while_rate_held"`
	JoinsFewestInASec   int64   `json:"joins_fewest_in_a_second"`
	JoinsBySecond       []int64 `json:"joins_by_second"`
	Handshakes
	Joins
	JoinMaxMs float64 `json:"join_max_ms"`
	// The public rooms of the mode (GET /rooms) with every bot in, and
	// what quick-match promises.
	RoomsBefore         int64  `json:"rooms_before"`
	RoomsOpened         int64  `json:"rooms_opened"`
	RoomsExpected       int64  `json:"rooms_expected"`
	RoomPlayers         string `json:"room_players"`
	RoomPlayersExpected string `json:"room_players_expected"`
	PlayersInRooms      int64  `json:"players_in_rooms"`
	*matchServer
	*matchSnapshots
	Failures
	Processes int64   `json:"processes"`
	ElapsedS  float64 `json:"elapsed_s"`
	// CPU from the first dial until every bot joined.
	BotsCPUCoreFraction   *float64 `json:"bots_cpu_core_fraction,omitempty"`
	ServerCPUCoreFraction *float64 `json:"server_cpu_core_fraction,omitempty"`
	ServerRSSBytes        *int64   `json:"server_rss_bytes,omitempty"`
	MachineOtherCPUCores  *float64 `json:"machine_other_cpu_cores,omitempty"`
}

// matchServer is /debug/stats with every bot in.
type matchServer struct {
	Rooms       int64 `json:"server_rooms"`
	Players     int64 `json:"server_players"`
	Connections int64 `json:"server_connections"`
	*serverJoins
	TickOverruns int64 `json:"server_tick_overruns"`
	TicksSkipped int64 `json:"server_ticks_skipped"`
}

// serverJoins are the server's joins over the run.
type serverJoins struct {
	Joins      int64 `json:"server_joins"`
	JoinErrors int64 `json:"server_join_errors"`
}

// matchSnapshots are what the bots that stayed received while the rooms
// filled (the window is the arrivals); every join sends the whole roster
// to everyone in the room.
type matchSnapshots struct {
	SnapshotsInWindow    int64 `json:"snapshots_in_window"`
	PayloadBytesInWindow int64 `json:"payload_bytes_in_window"`
	gapFigures
	InputsSkipped       int64 `json:"inputs_skipped"`
	RostersReceived     int64 `json:"rosters_received"`
	RosterBytesReceived int64 `json:"roster_bytes_received"`
}

func newMatchResult(mc matchConfig, m *matchRun) *matchResult {
	res, s := m.res, m.res.Stats
	rate := joinRate(s.Joined, s.FirstWelcomeNs, s.LastWelcomeNs)
	held, heldWelcomes, fewest := rateHeld(s.WelcomesBySecond, mc.minRateRatio*mc.rate)
	nBefore, _, _ := roomFill(m.roomsBefore, mc.mode)
	nRooms, inRooms, dist := roomFill(m.rooms, mc.mode)
	wantRooms, wantDist := quickMatchFill(mc.n, mc.capacity)
	r := &matchResult{
		Mode: mc.mode, Bots: int64(mc.n), TargetJoinsPerS: mc.rate,
		AfterJoin:     "play (stays, one input every " + strconv.Itoa(mc.inputEvery) + " ticks)",
		joinedFigures: joinedFigures{s.Connected, s.Joined, s.Failed},
		JoinSpanS:     measure.Round3(time.Duration(s.LastWelcomeNs - s.FirstWelcomeNs).Seconds()),
		JoinsPerS:     measure.Round3(rate), JoinRateRatio: measure.Round3(rate / mc.rate),
		JoinRateHeldS: int64(held), JoinedWhileRateHeld: heldWelcomes, JoinsFewestInASec: fewest,
		JoinsBySecond: s.WelcomesBySecond, Handshakes: NewHandshakes(s), Joins: NewJoins(s),
		JoinMaxMs:   measure.Ms(s.Join.Max()),
		RoomsBefore: int64(nBefore), RoomsOpened: int64(nRooms - nBefore), RoomsExpected: int64(wantRooms),
		RoomPlayers: dist, RoomPlayersExpected: wantDist, PlayersInRooms: int64(inRooms),
		Failures:  NewFailures(s),
		Processes: int64(res.Processes), ElapsedS: measure.Round3(res.Elapsed.Seconds()),
		BotsCPUCoreFraction:   BotsCores(res, res.Elapsed),
		ServerCPUCoreFraction: ServerCores(res, res.Elapsed),
		MachineOtherCPUCores:  OtherCores(res, res.Elapsed),
	}
	if mc.away {
		r.AfterJoin = "away (socket closed, no Leave)"
	} else {
		r.matchSnapshots = &matchSnapshots{SnapshotsInWindow: s.Snapshots, PayloadBytesInWindow: s.RecvPayload, gapFigures: newGaps(s),
			InputsSkipped: s.InputsSkipped, RostersReceived: s.Rosters, RosterBytesReceived: s.RosterBytes}
	}
	if m.duringOK {
		d := m.during
		r.matchServer = &matchServer{Rooms: int64(d.Rooms), Players: int64(d.Players), Connections: int64(d.Connections),
			TickOverruns: int64(d.TickOverruns), TicksSkipped: int64(d.TicksSkipped)}
		if m.beforeOK {
			r.serverJoins = &serverJoins{int64(d.Joins) - int64(m.before.Joins), int64(d.JoinErrors) - int64(m.before.JoinErrors)}
		}
	}
	if res.Server.Measured {
		r.ServerRSSBytes = new(res.Server.RSSAfter)
	}
	return r
}

func matchVerdict(mc matchConfig, m *matchRun, r *matchResult) *report.Verdict {
	res, s := m.res, m.res.Stats
	v := &report.Verdict{Scenario: "match"}
	n := int64(mc.n)
	v.Add("all joined", s.Joined == n && s.Failed == 0,
		"%d/%d quick-matched into %s rooms, %d failed (%s; errors %s)", s.Joined, n, mc.mode, s.Failed,
		measure.CountsString(s.FailReasons), measure.CountsString(s.ErrorCodes))
	load := ""
	if res.Server.Measured && res.Bots.RSS > 0 && res.Elapsed > 0 {
		load = fmt.Sprintf("; meanwhile the server used %.2f cores, the bots %.2f, other processes %.2f (of %d)",
			measure.CoreFraction(res.Server.CPU, res.Elapsed), measure.CoreFraction(res.Bots.CPU, res.Elapsed),
			measure.OtherCores(res.Machine, res.Server.CPU+res.Bots.CPU, res.Elapsed), runtime.NumCPU())
	}
	rate := joinRate(s.Joined, s.FirstWelcomeNs, s.LastWelcomeNs)
	v.Add("join rate", rate >= mc.minRateRatio*mc.rate,
		"%.0f joins/s achieved (%d Welcomes in %.2f s, first to last) vs %.0f/s offered: %.1f%% (bar ≥ %.0f%%); join p50 %.1f ms, p99 %.1f ms; ≥ the bar for the first %d s (%d joined), fewest in a second %d%s",
		rate, s.Joined, time.Duration(s.LastWelcomeNs-s.FirstWelcomeNs).Seconds(), mc.rate, 100*rate/mc.rate, 100*mc.minRateRatio,
		measure.UsToMs(s.Join.Quantile(0.5)), measure.UsToMs(s.Join.Quantile(0.99)),
		r.JoinRateHeldS, r.JoinedWhileRateHeld, r.JoinsFewestInASec, load)
	const check = "rooms as quick-match promises"
	switch {
	case m.roomsErr != nil:
		v.Add(check, false, "GET /rooms: %v", m.roomsErr)
	case r.RoomsBefore > 0:
		v.Skip(check, "the server already had %d public %s rooms: %d now, players %s",
			r.RoomsBefore, mc.mode, r.RoomsBefore+r.RoomsOpened, r.RoomPlayers)
	default:
		v.Add(check, r.RoomsOpened == r.RoomsExpected && r.RoomPlayers == r.RoomPlayersExpected,
			"%d %s rooms opened, players %s; quick-match (fullest room with space, a new one when all are full) gives %d: %s",
			r.RoomsOpened, mc.mode, r.RoomPlayers, r.RoomsExpected, r.RoomPlayersExpected)
	}
	return v
}
