package bench

import (
	"context"
	"fmt"

	"github.com/skirmishgg/skirmish/bench/measure"
)

// InterestConfig is the interest-management comparison: the play load in
// small movers rooms (everyone sees everyone) and in one large movers-large
// room (each player sees only the 3×3 grid cells around it), each against
// a fresh server, judged on the server's CPU per client·tick.
type InterestConfig struct {
	ServerPath string
	// ServerArgs are added to both servers' command lines.
	ServerArgs []string
	// Small and Large are the two loads (default movers 10 × 50 and
	// movers-large 1 × 500); both count the entities of every snapshot.
	Small, Large PlayConfig
	// MaxCPURatio is the bar: the large room's server CPU per client·tick
	// at most this multiple of the small rooms' (default 2).
	MaxCPURatio float64
	Options     Options // URL and ServerPID are set per leg
}

// DefaultInterestConfig is the shape.
func DefaultInterestConfig() InterestConfig {
	return InterestConfig{
		Small:       PlayConfig{Mode: "movers", Rooms: 10, Players: 50},
		Large:       PlayConfig{Mode: "movers-large", Rooms: 1, Players: 500},
		MaxCPURatio: 2,
	}
}

// interestRatioKeys are the figures compared large / small.
var interestRatioKeys = []string{
	"bots", "server_cpu_us_per_client_tick", "server_cpu_core_fraction", "payload_bytes_per_client_s",
	"wire_bytes_per_client_s", "snapshot_bytes_mean", "entities_per_snapshot_mean", "entities_per_snapshot_max",
	"gap_p50_ms", "gap_p99_ms", "rtt_p50_ms", "rtt_p99_ms", "join_p99_ms", "server_rss_per_conn_bytes",
}

// legName names a load for the table: mode and shape.
func legName(pc PlayConfig) string {
	return fmt.Sprintf("%s %d×%d", pc.Mode, pc.Rooms, pc.Players)
}

// RunInterest runs both loads and judges the ratio.
func RunInterest(ctx context.Context, cfg InterestConfig) (*Report, error) {
	if cfg.MaxCPURatio <= 0 {
		cfg.MaxCPURatio = 2
	}
	small, large := cfg.Small, cfg.Large
	small.TrackEntities, large.TrackEntities = true, true
	rep := NewReport("interest")
	rep.Meta.Set("server", cfg.ServerPath)
	if cfg.Options.Latency > 0 {
		rep.Meta.Set("latency_ms", measure.Round3(float64(cfg.Options.Latency.Microseconds())/1000))
	}
	legs := []playLeg{
		{Name: "small", ServerArgs: cfg.ServerArgs, Play: small},
		{Name: "large", ServerArgs: cfg.ServerArgs, Play: large},
	}
	figs, ok, runErr := runLegs(ctx, cfg.ServerPath, cfg.Options, legs, rep)
	fs, fl := figs[0], figs[1]
	ratios := ratioSection(fl, fs, interestRatioKeys)
	rep.Add("large/small", ratios)

	v := &Verdict{Scenario: "interest"}
	checkJoined(v, legName(small), fs, ok[0])
	checkJoined(v, legName(large), fl, ok[1])
	cs, cl := fs.Float("server_cpu_us_per_client_tick"), fl.Float("server_cpu_us_per_client_tick")
	ratio := measure.Ratio(cl, cs)
	_, measured := fl.Get("server_cpu_us_per_client_tick")
	v.Add("server CPU per client·tick, large vs small", ok[0] && ok[1] && measured && cs > 0 && ratio <= cfg.MaxCPURatio,
		"%.2f µs (%s) / %.2f µs (%s) = %.2f× (bar ≤ %.1f×); entities per snapshot %.1f vs %.1f; other processes used %.2f and %.2f cores",
		cl, legName(large), cs, legName(small), ratio, cfg.MaxCPURatio,
		fl.Float("entities_per_snapshot_mean"), fs.Float("entities_per_snapshot_mean"),
		fl.Float("machine_other_cpu_cores"), fs.Float("machine_other_cpu_cores"))
	rep.Meta.Set("cpu_ratio_large_to_small", measure.Round3(ratio))
	rep.AddVerdict(v, rep.Meta)
	return rep, runErr
}

// BandwidthConfig is the delta-snapshot comparison: the same play load
// against a server sending deltas and one started with -full-snapshots.
type BandwidthConfig struct {
	ServerPath string
	ServerArgs []string
	Play       PlayConfig // default movers 10 × 50
	// MaxDeltaBytes is the bar on the deltas' payload bytes per
	// client·s (default 6 000).
	MaxDeltaBytes float64
	Options       Options // Latency: default 100 ms (set by the command)
}

// DefaultBandwidthConfig is the shape (the command adds -latency
// 100ms).
func DefaultBandwidthConfig() BandwidthConfig {
	return BandwidthConfig{Play: PlayConfig{Mode: "movers", Rooms: 10, Players: 50}, MaxDeltaBytes: 6000}
}

var bandwidthRatioKeys = []string{
	"payload_bytes_per_client_s", "wire_bytes_per_client_s", "snapshot_bytes_mean", "gap_p50_ms", "gap_p99_ms",
	"rtt_p50_ms", "rtt_p99_ms", "server_cpu_us_per_client_tick", "server_cpu_core_fraction", "bots_cpu_core_fraction",
}

// RunBandwidth runs both servers and judges the deltas' bandwidth.
func RunBandwidth(ctx context.Context, cfg BandwidthConfig) (*Report, error) {
	if cfg.MaxDeltaBytes <= 0 {
		cfg.MaxDeltaBytes = 6000
	}
	rep := NewReport("bandwidth")
	rep.Meta.Set("server", cfg.ServerPath)
	rep.Meta.Set("latency_ms", measure.Round3(float64(cfg.Options.Latency.Microseconds())/1000))
	legs := []playLeg{
		{Name: "deltas", ServerArgs: cfg.ServerArgs, Play: cfg.Play},
		{Name: "full", ServerArgs: append(append([]string(nil), cfg.ServerArgs...), "-full-snapshots"), Play: cfg.Play},
	}
	figs, ok, runErr := runLegs(ctx, cfg.ServerPath, cfg.Options, legs, rep)
	fd, ff := figs[0], figs[1]
	rep.Add("full/deltas", ratioSection(ff, fd, bandwidthRatioKeys))

	v := &Verdict{Scenario: "bandwidth"}
	checkJoined(v, "deltas", fd, ok[0])
	checkJoined(v, "full", ff, ok[1])
	d, full := fd.Float("payload_bytes_per_client_s"), ff.Float("payload_bytes_per_client_s")
	v.Add("delta payload per client·s", ok[0] && d > 0 && d <= cfg.MaxDeltaBytes,
		"%.0f B/client·s with deltas (bar ≤ %.0f) vs %.0f with full snapshots: %.1f%% of it; snapshots %.0f vs %.0f B mean; %d × %d bots, %v added latency",
		d, cfg.MaxDeltaBytes, full, 100*measure.Ratio(d, full), fd.Float("snapshot_bytes_mean"), ff.Float("snapshot_bytes_mean"),
		cfg.Play.Rooms, cfg.Play.Players, cfg.Options.Latency)
	fracD, fracF := fd.Float("full_snapshot_fraction"), ff.Float("full_snapshot_fraction")
	v.Add("the delta server sent deltas", ok[0] && fracD < 0.5,
		"%.4f of the snapshots in the window were full", fracD)
	v.Add("the -full-snapshots server sent only full snapshots", ok[1] && fracF == 1,
		"%.4f of the snapshots in the window were full", fracF)
	rep.Meta.Set("delta_to_full_payload_ratio", measure.Round3(measure.Ratio(d, full)))
	rep.AddVerdict(v, rep.Meta)
	return rep, runErr
}
