package bench

import (
	"context"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/skirmishgg/skirmish/bench/botnet"
	"github.com/skirmishgg/skirmish/bench/measure"
	"github.com/skirmishgg/skirmish/game"
	"github.com/skirmishgg/skirmish/game/modes"
	"github.com/skirmishgg/skirmish/server"
)

// MatchConfig shapes the matchmaking scenario: bots arrive at Rate per
// second, each connects, sends Hello and Join{mode} with no room (quick
// match) and stays in the room it is given, playing, until the end. The
// server fills the fullest public room with space and opens a new one when
// all are full.
type MatchConfig struct {
	Rate     float64       // joins per second (default 1 000)
	Duration time.Duration // of the arrivals, when N is 0 (default 10 s)
	N        int           // bots (0: Rate × Duration)
	Mode     string        // default movers
	// Capacity is a room's capacity in Mode (movers: 512), for the rooms
	// quick-match should open: ⌈N / Capacity⌉.
	Capacity int
	// InputEvery: a bot sends one input every this many ticks (default 1).
	InputEvery int
	// MinRateRatio is the bar: the achieved join rate at least this share
	// of Rate (default 0.95).
	MinRateRatio float64
	// Away: each bot closes its socket right after its Welcome (no Leave,
	// no close frame). The server keeps an away player in its place for
	// its resume grace, so the rooms fill as with players who stay, but
	// sends it nothing: the joins alone, without the snapshots of every
	// player that joined (which cost the server ~19 µs per client·tick
	// on loopback, the raw broadcast floor included: 10 000 players at
	// 30 Hz need ~5.7 cores). The run must end within the grace.
	Away bool
}

func (mc MatchConfig) withDefaults() MatchConfig {
	if mc.Rate <= 0 {
		mc.Rate = 1000
	}
	if mc.Duration <= 0 {
		mc.Duration = 10 * time.Second
	}
	if mc.N <= 0 {
		mc.N = max(int(mc.Rate*mc.Duration.Seconds()+0.5), 1)
	}
	if mc.Mode == "" {
		mc.Mode = DefaultMode
	}
	if mc.Capacity <= 0 {
		mc.Capacity = modes.MoversCapacity
	}
	if mc.InputEvery <= 0 {
		mc.InputEvery = 1
	}
	if mc.MinRateRatio <= 0 {
		mc.MinRateRatio = 0.95
	}
	return mc
}

// roomFill summarises the rooms of a mode: how many, their players in all,
// and the distribution ("512×19 272×1", most players first).
func roomFill(rooms []game.RoomInfo, mode string) (n, players int, dist string) {
	byPlayers := map[int]int{}
	for _, r := range rooms {
		if r.Mode != mode {
			continue
		}
		n++
		players += r.Players
		byPlayers[r.Players]++
	}
	var parts []string
	for _, p := range slices.Backward(slices.Sorted(maps.Keys(byPlayers))) {
		parts = append(parts, strconv.Itoa(p)+"×"+strconv.Itoa(byPlayers[p]))
	}
	if len(parts) == 0 {
		return n, players, "-"
	}
	return n, players, strings.Join(parts, " ")
}

// quickMatchFill is what quick-match promises for n players in rooms of
// capacity c joining one after the other: full rooms, then one with the
// rest.
func quickMatchFill(n, c int) (rooms int, dist string) {
	if n <= 0 || c <= 0 {
		return 0, "-"
	}
	full, rest := n/c, n%c
	var parts []string
	if full > 0 {
		parts = append(parts, strconv.Itoa(c)+"×"+strconv.Itoa(full))
	}
	if rest > 0 {
		parts = append(parts, strconv.Itoa(rest)+"×1")
	}
	return full + min(rest, 1), strings.Join(parts, " ")
}

// rateHeld reads the Welcomes per second of the dial pacing: how many
// leading seconds kept at least bar per second, the Welcomes up to then,
// and the fewest in a whole second (the first and the last, partial, left
// out; -1 when there is no such second).
func rateHeld(bySecond []int64, bar float64) (held int, welcomes, fewest int64) {
	for held < len(bySecond) && float64(bySecond[held]) >= bar {
		welcomes += bySecond[held]
		held++
	}
	fewest = -1
	for i := 1; i < len(bySecond)-1; i++ {
		if fewest < 0 || bySecond[i] < fewest {
			fewest = bySecond[i]
		}
	}
	return held, welcomes, fewest
}

// JoinRate is the rate of the Welcomes: joins − 1 intervals over the span
// from the first Welcome to the last (0 when it cannot be told). The
// latency of one join does not count against it, a server falling behind
// the offered rate does (its last Welcomes come late).
func JoinRate(joins int64, firstWelcomeNs, lastWelcomeNs int64) float64 {
	if joins < 2 || firstWelcomeNs == 0 || lastWelcomeNs <= firstWelcomeNs {
		return 0
	}
	return float64(joins-1) / (float64(lastWelcomeNs-firstWelcomeNs) / 1e9)
}

// RunMatch runs the matchmaking scenario and judges it: every bot joined,
// the joins came at ≥ MinRateRatio of Rate, and the server opened the
// rooms quick-match promises.
func RunMatch(ctx context.Context, o Options, mc MatchConfig) (*Figures, *Verdict, error) {
	mc = mc.withDefaults()
	spec := o.spec(botnet.WorkPlay, mc.N)
	spec.QuickMatch = true
	spec.GameMode = mc.Mode
	spec.ConnectRate = mc.Rate
	spec.TickPeriod = time.Duration(mc.InputEvery) * time.Second / 30
	spec.AwayAfterJoin = mc.Away
	rc := o.run("match", spec)
	rc.WindowFromStart = true
	rc.Window = time.Duration(float64(mc.N) / mc.Rate * float64(time.Second))
	statsURL, _ := measure.StatsURL(o.URL)
	roomsURL, _ := measure.RoomsURL(o.URL)
	before, beforeErr := measure.FetchStats(ctx, statsURL)
	roomsBefore, _ := measure.FetchRooms(ctx, roomsURL)
	var (
		rooms            []game.RoomInfo
		roomsErr         error
		during, duringOK = server.Stats{}, false
	)
	rc.BeforeClose = func(ctx context.Context) {
		rooms, roomsErr = measure.FetchRooms(ctx, roomsURL)
		if d, err := measure.FetchStats(ctx, statsURL); err == nil {
			during, duringOK = d, true
		}
	}
	res, err := botnet.Run(ctx, rc)
	if err != nil {
		return nil, nil, fmt.Errorf("match: %w", err)
	}
	s := res.Stats
	rate := JoinRate(s.Joined, s.FirstWelcomeNs, s.LastWelcomeNs)
	span := time.Duration(s.LastWelcomeNs - s.FirstWelcomeNs)
	nBefore, _, _ := roomFill(roomsBefore, mc.Mode)
	nRooms, inRooms, dist := roomFill(rooms, mc.Mode)
	wantRooms, wantDist := quickMatchFill(mc.N, mc.Capacity)

	f := NewFigures()
	f.Set("mode", mc.Mode)
	f.Set("bots", int64(mc.N))
	f.Set("target_joins_per_s", mc.Rate)
	if mc.Away {
		f.Set("after_join", "away (socket closed, no Leave)")
	} else {
		f.Set("after_join", "play (stays, one input every "+strconv.Itoa(mc.InputEvery)+" ticks)")
	}
	f.Set("clients_connected", s.Connected)
	f.Set("clients_joined", s.Joined)
	f.Set("clients_failed", s.Failed)
	f.Set("join_span_s", measure.Round3(span.Seconds()))
	f.Set("joins_per_s", measure.Round3(rate))
	f.Set("join_rate_ratio", measure.Round3(rate/mc.Rate))
	held, heldWelcomes, fewest := rateHeld(s.WelcomesBySecond, mc.MinRateRatio*mc.Rate)
	f.Set("join_rate_held_s", int64(held))
	f.Set("joined_while_rate_held", heldWelcomes)
	f.Set("joins_fewest_in_a_second", fewest)
	f.Set("joins_by_second", s.WelcomesBySecond)
	f.Set("connect_p50_ms", measure.Ms(s.Connect.Quantile(0.5)))
	f.Set("connect_p99_ms", measure.Ms(s.Connect.Quantile(0.99)))
	f.Set("handshake_p50_ms", measure.Ms(s.Handshake.Quantile(0.5)))
	f.Set("handshake_p99_ms", measure.Ms(s.Handshake.Quantile(0.99)))
	f.Set("join_p50_ms", measure.Ms(s.Join.Quantile(0.5)))
	f.Set("join_p99_ms", measure.Ms(s.Join.Quantile(0.99)))
	f.Set("join_max_ms", measure.Ms(s.Join.Max()))
	f.Set("rooms_before", int64(nBefore))
	f.Set("rooms_opened", int64(nRooms-nBefore))
	f.Set("rooms_expected", int64(wantRooms))
	f.Set("room_players", dist)
	f.Set("room_players_expected", wantDist)
	f.Set("players_in_rooms", int64(inRooms))
	if duringOK {
		f.Set("server_rooms", int64(during.Rooms))
		f.Set("server_players", int64(during.Players))
		f.Set("server_connections", int64(during.Connections))
		if beforeErr == nil {
			f.Set("server_joins", int64(during.Joins)-int64(before.Joins))
			f.Set("server_join_errors", int64(during.JoinErrors)-int64(before.JoinErrors))
		}
		f.Set("server_tick_overruns", int64(during.TickOverruns))
		f.Set("server_ticks_skipped", int64(during.TicksSkipped))
	}
	if !mc.Away {
		// While the rooms fill (the window is the arrivals).
		f.Set("snapshots_in_window", s.Snapshots)
		f.Set("payload_bytes_in_window", s.RecvPayload)
		f.Set("gap_p50_ms", measure.Ms(s.Gap.Quantile(0.5)))
		f.Set("gap_p99_ms", measure.Ms(s.Gap.Quantile(0.99)))
		f.Set("gap_max_ms", measure.Ms(s.Gap.Max()))
		f.Set("rtt_p50_ms", measure.Ms(s.RTT.Quantile(0.5)))
		f.Set("rtt_p99_ms", measure.Ms(s.RTT.Quantile(0.99)))
		f.Set("inputs_skipped", s.InputsSkipped)
		// Every join sends the whole roster to everyone in the room.
		f.Set("rosters_received", s.Rosters)
		f.Set("roster_bytes_received", s.RosterBytes)
	}
	f.Set("disconnects", s.Disconnects)
	f.Set("protocol_errors", s.ProtocolErrors)
	f.Set("close_codes", measure.CountsString(s.CloseCodes))
	f.Set("error_codes", measure.CountsString(s.ErrorCodes))
	f.Set("fail_reasons", measure.CountsString(s.FailReasons))
	f.Set("processes", int64(res.Processes))
	f.Set("elapsed_s", measure.Round3(res.Elapsed.Seconds()))
	// CPU is sampled from the first dial until every bot joined.
	if res.Bots.RSS > 0 {
		f.Set("bots_cpu_core_fraction", measure.Round3(measure.CoreFraction(res.Bots.CPU, res.Elapsed)))
	}
	if res.Server.Measured {
		f.Set("server_cpu_core_fraction", measure.Round3(measure.CoreFraction(res.Server.CPU, res.Elapsed)))
		f.Set("server_rss_bytes", res.Server.RSSAfter)
		if res.Machine.Busy > 0 {
			f.Set("machine_other_cpu_cores", measure.Round3(measure.OtherCores(res.Machine, res.Server.CPU+res.Bots.CPU, res.Elapsed)))
		}
	}

	v := &Verdict{Scenario: "match"}
	n := int64(mc.N)
	v.Add("all joined", s.Joined == n && s.Failed == 0,
		"%d/%d quick-matched into %s rooms, %d failed (%s; errors %s)", s.Joined, n, mc.Mode, s.Failed, measure.CountsString(s.FailReasons), measure.CountsString(s.ErrorCodes))
	load := ""
	if res.Server.Measured && res.Bots.RSS > 0 && res.Elapsed > 0 {
		load = fmt.Sprintf("; meanwhile the server used %.2f cores, the bots %.2f, other processes %.2f (of %d)",
			measure.CoreFraction(res.Server.CPU, res.Elapsed), measure.CoreFraction(res.Bots.CPU, res.Elapsed),
			measure.OtherCores(res.Machine, res.Server.CPU+res.Bots.CPU, res.Elapsed), runtime.NumCPU())
	}
	v.Add("join rate", rate >= mc.MinRateRatio*mc.Rate,
		"%.0f joins/s achieved (%d Welcomes in %.2f s, first to last) vs %.0f/s offered: %.1f%% (bar ≥ %.0f%%); join p50 %.1f ms, p99 %.1f ms; ≥ the bar for the first %d s (%d joined), fewest in a second %d%s",
		rate, s.Joined, span.Seconds(), mc.Rate, 100*rate/mc.Rate, 100*mc.MinRateRatio, measure.UsToMs(s.Join.Quantile(0.5)), measure.UsToMs(s.Join.Quantile(0.99)),
		held, heldWelcomes, fewest, load)
	switch {
	case roomsErr != nil:
		v.Add("rooms as quick-match promises", false, "GET /rooms: %v", roomsErr)
	case nBefore > 0:
		v.Skip("rooms as quick-match promises", "the server already had %d public %s rooms: %d now, players %s", nBefore, mc.Mode, nRooms, dist)
	default:
		v.Add("rooms as quick-match promises", nRooms-nBefore == wantRooms && dist == wantDist,
			"%d %s rooms opened, players %s; quick-match (fullest room with space, a new one when all are full) gives %d: %s",
			nRooms-nBefore, mc.Mode, dist, wantRooms, wantDist)
	}
	return f, v, nil
}
