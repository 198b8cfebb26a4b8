package scenario

import (
	"testing"
	"time"

	"github.com/skirmishgg/skirmish/bench/internal/benchtest"
	"github.com/skirmishgg/skirmish/bench/report"
)

// The JSON names of the figures are a contract: people have scripts on
// bench/results/*.json. These tests build each command's report the way
// the command does, from a run in which everything was measured, and
// compare its names, section by section, with the committed file's.

func TestSuiteNamesAsCommitted(t *testing.T) {
	pc := PlayConfig{Rooms: 1, Players: 10}
	rep := report.New("suite")
	rep.AddMeta(ServerMeta{Server: "bin/skirmish", ServerURL: "ws://127.0.0.1:1/ws"})
	rep.Add("idle", newIdleResult(10, benchtest.MeasuredRun(false)))
	play := NewPlayResult(Options{}, pc, benchtest.MeasuredRun(false))
	noDebug := benchtest.MeasuredRun(false)
	noDebug.Server.HasDebug = false
	base := newBaselineResult(NewPlayResult(Options{}, pc, noDebug), 500)
	rep.Add("play", play, compare(play, base))
	rep.Add("baseline", base)
	// latest.json was written before play reported its mode and the
	// share of full snapshots.
	benchtest.CompareNames(t, "latest.json", rep, map[string][]string{
		"play":     {"mode", "full_snapshot_fraction"},
		"baseline": {"mode", "full_snapshot_fraction"},
	})
}

func legOf(pc PlayConfig, o Options, args string) *legResult {
	return &legResult{ServerArgs: args, PlayResult: NewPlayResult(o, pc, benchtest.MeasuredRun(pc.TrackEntities)), LegS: 12}
}

func TestInterestNamesAsCommitted(t *testing.T) {
	s := &Interest{small: PlayConfig{Mode: "movers", Rooms: 10, Players: 50, TrackEntities: true},
		large: PlayConfig{Mode: "movers-large", Rooms: 1, Players: 500, TrackEntities: true}, maxCPURatio: 2}
	rep := report.New("interest")
	rep.AddMeta(interestMeta{ServerMeta: ServerMeta{Server: "bin/skirmish"}})
	small, large := legOf(s.small, Options{}, "-"), legOf(s.large, Options{}, "-")
	rep.Add("small", small)
	rep.Add("large", large)
	s.judge(rep, small, large)
	benchtest.CompareNames(t, "interest.json", rep, nil)
}

func TestBandwidthNamesAsCommitted(t *testing.T) {
	s := &Bandwidth{play: PlayConfig{Mode: "movers", Rooms: 10, Players: 50}, maxDeltaBytes: 6000}
	o := Options{Latency: 100 * time.Millisecond}
	rep := report.New("bandwidth")
	rep.AddMeta(bandwidthMeta{ServerMeta{Server: "bin/skirmish"}, 100})
	d, f := legOf(s.play, o, "-"), legOf(s.play, o, "-full-snapshots")
	rep.Add("deltas", d)
	rep.Add("full", f)
	s.judge(rep, o.Latency, d, f)
	benchtest.CompareNames(t, "bandwidth.json", rep, nil)
}

func TestResumeNamesAsCommitted(t *testing.T) {
	rc := resumeConfig{n: 10, players: 5, mode: "movers", spread: time.Second}
	res := benchtest.MeasuredRun(false)
	r := newResumeResult(Options{}, rc, res)
	r.resumeServer = &resumeServer{Resumes: 10}
	rep := againstReport("resume", serverFlags{path: "bin/skirmish"}, r, resumeVerdict(rc.n, res.Stats, r.resumeServer, nil), nil)
	benchtest.CompareNames(t, "resume.json", rep, nil)
}

func TestMatchNamesAsCommitted(t *testing.T) {
	for file, away := range map[string]bool{"match.json": false, "match-away.json": true} {
		mc := matchConfig{rate: 5, n: 10, away: away}.withDefaults()
		m := &matchRun{res: benchtest.MeasuredRun(false), beforeOK: true, duringOK: true}
		r := newMatchResult(mc, m)
		rep := againstReport("match", serverFlags{path: "bin/skirmish"}, r, matchVerdict(mc, m, r), nil)
		benchtest.CompareNames(t, file, rep, nil)
	}
}
