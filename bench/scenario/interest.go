package scenario

import (
	"context"
	"flag"
	"fmt"

	"github.com/skirmishgg/skirmish/bench/measure"
	"github.com/skirmishgg/skirmish/bench/report"
	"github.com/skirmishgg/skirmish/game/movers"
)

// Interest is the interest-management comparison: the play load in small
// movers rooms (everyone sees everyone) and in one large movers-large
// room (each player sees only the 3×3 grid cells around it), each against
// a fresh server, every bot counting the entities of every snapshot,
// judged on the server's CPU per client·tick.
type Interest struct {
	load   LoadFlags
	server serverFlags
	// small and large are the two loads (default movers 10 × 50 and
	// movers-large 1 × 500).
	small, large PlayConfig
	// maxCPURatio is the bar: the large room's server CPU per client·tick
	// at most this multiple of the small rooms'.
	maxCPURatio float64
}

// Name is "interest".
func (*Interest) Name() string { return "interest" }

// Flags registers the load flags, the server, the two loads' shapes and
// the bar.
func (s *Interest) Flags(fs *flag.FlagSet) {
	s.load.Register(fs)
	s.server.register(fs, true)
	fs.StringVar(&s.small.Mode, "small-mode", movers.Name, "the reference load's mode")
	fs.IntVar(&s.small.Rooms, "small-rooms", 10, "the reference load's rooms")
	fs.IntVar(&s.small.Players, "small-players", 50, "the reference load's players per room")
	fs.StringVar(&s.large.Mode, "large-mode", movers.LargeName, "the large load's mode (interest management)")
	fs.IntVar(&s.large.Rooms, "large-rooms", 1, "the large load's rooms")
	fs.IntVar(&s.large.Players, "large-players", 500, "the large load's players per room")
	fs.Float64Var(&s.maxCPURatio, "max-cpu-ratio", 2, "the bar: large server CPU per client·tick at most this multiple of the small one's")
}

// legName names a load for the pass line: mode and shape.
func legName(pc PlayConfig) string {
	return fmt.Sprintf("%s %d×%d", pc.Mode, pc.Rooms, pc.Players)
}

// interestMeta is the comparison's metadata.
type interestMeta struct {
	ServerMeta
	LatencyMs *float64 `json:"latency_ms,omitempty"`
}

// interestRatios are the large load's figures over the small one's.
type interestRatios struct {
	Bots *float64 `json:"bots,omitempty"`
	cpuRatios
	byteRatios
	EntitiesPerSnapshotMean *float64 `json:"entities_per_snapshot_mean,omitempty"`
	EntitiesPerSnapshotMax  *float64 `json:"entities_per_snapshot_max,omitempty"`
	gapRatios
	JoinP99Ms             *float64 `json:"join_p99_ms,omitempty"`
	ServerRSSPerConnBytes *float64 `json:"server_rss_per_conn_bytes,omitempty"`
}

func newInterestRatios(l, s compared) interestRatios {
	return interestRatios{
		ratio(l.bots, s.bots), newCPURatios(l, s), newByteRatios(l, s),
		ratio(l.entitiesMean, s.entitiesMean), ratio(l.entitiesMax, s.entitiesMax), newGapRatios(l, s),
		ratio(l.joinP99, s.joinP99), ratio(l.rssPerConn, s.rssPerConn),
	}
}

// Run runs both loads and judges the ratio.
func (s *Interest) Run(ctx context.Context, env Env) (*report.Report, error) {
	if err := s.server.require("interest"); err != nil {
		return nil, err
	}
	o, err := s.load.Options(env)
	if err != nil {
		return nil, err
	}
	if s.maxCPURatio <= 0 {
		s.maxCPURatio = 2
	}
	small, large := s.small, s.large
	small.TrackEntities, large.TrackEntities = true, true
	rep := report.New("interest")
	meta := interestMeta{ServerMeta: ServerMeta{Server: s.server.path}}
	if o.Latency > 0 {
		meta.LatencyMs = new(measure.Round3(float64(o.Latency.Microseconds()) / 1000))
	}
	rep.AddMeta(meta)
	legs, runErr := runLegs(ctx, s.server.path, o, []playLeg{
		{Name: "small", ServerArgs: s.server.argv(), Play: small},
		{Name: "large", ServerArgs: s.server.argv(), Play: large},
	}, rep)
	s.judge(rep, legs[0], legs[1])
	return rep, runErr
}

// judge adds the ratios and the pass line of the small and large legs.
func (s *Interest) judge(rep *report.Report, smallLeg, largeLeg *legResult) {
	small, large := s.small, s.large
	legs := []*legResult{smallLeg, largeLeg}
	cs, cl := legs[0].compared(), legs[1].compared()
	rep.Add("large/small", newInterestRatios(cl, cs))

	v := &report.Verdict{Scenario: "interest"}
	checkJoined(v, legName(small), legs[0])
	checkJoined(v, legName(large), legs[1])
	ratio := measure.Ratio(val(cl.serverCPU), val(cs.serverCPU))
	v.Add("server CPU per client·tick, large vs small", legs[0].ran() && legs[1].ran() && cl.serverCPU != nil && val(cs.serverCPU) > 0 && ratio <= s.maxCPURatio,
		"%.2f µs (%s) / %.2f µs (%s) = %.2f× (bar ≤ %.1f×); entities per snapshot %.1f vs %.1f; other processes used %.2f and %.2f cores",
		val(cl.serverCPU), legName(large), val(cs.serverCPU), legName(small), ratio, s.maxCPURatio,
		val(cl.entitiesMean), val(cs.entitiesMean), val(cl.otherCores), val(cs.otherCores))
	rep.AddMeta(struct {
		CPURatio float64 `json:"cpu_ratio_large_to_small"`
	}{measure.Round3(ratio)})
	rep.AddVerdict(nil, v)
}
