package scenario

import (
	"context"
	"flag"
	"time"

	"github.com/skirmishgg/skirmish/bench/measure"
	"github.com/skirmishgg/skirmish/bench/report"
)

// Bandwidth is the delta-snapshot comparison: the same play load (with
// 100 ms of added latency by default) against a server sending deltas and
// one started with -full-snapshots, judged on the deltas' payload bytes
// per client·s.
type Bandwidth struct {
	load   LoadFlags
	server serverFlags
	play   PlayConfig
	// maxDeltaBytes is the bar on the deltas' payload bytes per client·s.
	maxDeltaBytes float64
}

// Name is "bandwidth".
func (*Bandwidth) Name() string { return "bandwidth" }

// Flags registers the load flags (-latency 100ms), the server, the load's
// shape and the bar.
func (s *Bandwidth) Flags(fs *flag.FlagSet) {
	s.load.Register(fs)
	SetDefault(fs, "latency", "100ms")
	s.server.register(fs, true)
	fs.StringVar(&s.play.Mode, "mode", defaultMode, "the rooms' game mode")
	fs.IntVar(&s.play.Rooms, "rooms", 10, "rooms")
	fs.IntVar(&s.play.Players, "players", 50, "players per room")
	fs.Float64Var(&s.maxDeltaBytes, "max-delta-bytes", 6000, "the bar: payload bytes per client·s with deltas")
}

// bandwidthMeta is the comparison's metadata.
type bandwidthMeta struct {
	ServerMeta
	LatencyMs float64 `json:"latency_ms"`
}

// bandwidthRatios are the full snapshots' figures over the deltas'.
type bandwidthRatios struct {
	byteRatios
	gapRatios
	cpuRatios
	BotsCPUCoreFraction *float64 `json:"bots_cpu_core_fraction,omitempty"`
}

func newBandwidthRatios(f, d compared) bandwidthRatios {
	return bandwidthRatios{newByteRatios(f, d), newGapRatios(f, d), newCPURatios(f, d), ratio(f.botsCores, d.botsCores)}
}

// Run runs both servers and judges the deltas' bandwidth.
func (s *Bandwidth) Run(ctx context.Context, env Env) (*report.Report, error) {
	if err := s.server.require("bandwidth"); err != nil {
		return nil, err
	}
	o, err := s.load.Options(env)
	if err != nil {
		return nil, err
	}
	if s.maxDeltaBytes <= 0 {
		s.maxDeltaBytes = 6000
	}
	rep := report.New("bandwidth")
	rep.AddMeta(bandwidthMeta{ServerMeta{Server: s.server.path}, measure.Round3(float64(o.Latency.Microseconds()) / 1000)})
	legs, runErr := runLegs(ctx, s.server.path, o, []playLeg{
		{Name: "deltas", ServerArgs: s.server.argv(), Play: s.play},
		{Name: "full", ServerArgs: append(s.server.argv(), "-full-snapshots"), Play: s.play},
	}, rep)
	s.judge(rep, o.Latency, legs[0], legs[1])
	return rep, runErr
}

// judge adds the ratios and the pass line of the deltas and full legs.
func (s *Bandwidth) judge(rep *report.Report, latency time.Duration, deltas, full *legResult) {
	legs := []*legResult{deltas, full}
	cd, cf := legs[0].compared(), legs[1].compared()
	rep.Add("full/deltas", newBandwidthRatios(cf, cd))

	v := &report.Verdict{Scenario: "bandwidth"}
	checkJoined(v, "deltas", legs[0])
	checkJoined(v, "full", legs[1])
	d, fullBytes := val(cd.payload), val(cf.payload)
	v.Add("delta payload per client·s", legs[0].ran() && d > 0 && d <= s.maxDeltaBytes,
		"%.0f B/client·s with deltas (bar ≤ %.0f) vs %.0f with full snapshots: %.1f%% of it; snapshots %.0f vs %.0f B mean; %d × %d bots, %v added latency",
		d, s.maxDeltaBytes, fullBytes, 100*measure.Ratio(d, fullBytes), val(cd.snapshotBytes), val(cf.snapshotBytes),
		s.play.Rooms, s.play.Players, latency)
	fracD, fracF := val(cd.fullFraction), val(cf.fullFraction)
	v.Add("the delta server sent deltas", legs[0].ran() && fracD < 0.5,
		"%.4f of the snapshots in the window were full", fracD)
	v.Add("the -full-snapshots server sent only full snapshots", legs[1].ran() && fracF == 1,
		"%.4f of the snapshots in the window were full", fracF)
	rep.AddMeta(struct {
		Ratio float64 `json:"delta_to_full_payload_ratio"`
	}{measure.Round3(measure.Ratio(d, fullBytes))})
	rep.AddVerdict(nil, v)
}
