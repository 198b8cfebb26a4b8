package scenario

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/skirmishgg/skirmish/bench/measure"
	"github.com/skirmishgg/skirmish/bench/report"
)

// Comparisons (interest, bandwidth): the play load run twice, each time
// against a fresh server process started with its own flags, shown side
// by side with a column of ratios, and judged by a pass line.

// playLeg is one run of a comparison.
type playLeg struct {
	Name       string
	ServerArgs []string
	Play       PlayConfig
}

// legResult is a leg's section: the server's flags, the play load's
// figures, and how long the leg took.
type legResult struct {
	ServerArgs string `json:"server_args"`
	*PlayResult
	Failure
	LegS float64 `json:"leg_s,omitempty"`
}

// ran reports whether the leg ran to the end.
func (l *legResult) ran() bool { return l.PlayResult != nil && l.Error == "" }

// runLegs runs every leg against a fresh server (path, with the leg's
// flags) and adds one section per leg to rep.
func runLegs(ctx context.Context, path string, o Options, legs []playLeg, rep *report.Report) ([]*legResult, error) {
	var errs []error
	var out []*legResult
	for _, leg := range legs {
		l := &legResult{ServerArgs: cmp.Or(strings.Join(leg.ServerArgs, " "), "-")}
		err := ctx.Err()
		if err == nil {
			t0 := time.Now()
			var playErr error // already names the leg
			if err = WithServer(path, leg.ServerArgs, o, func(lo Options) error {
				l.PlayResult, _, playErr = RunPlay(ctx, lo, leg.Play, leg.Name, 0)
				return nil
			}); err != nil {
				err = fmt.Errorf("%s: %w", leg.Name, err)
			}
			err = errors.Join(playErr, err)
			l.LegS = measure.Round3(time.Since(t0).Seconds())
		}
		if err != nil {
			errs = append(errs, err)
			l.Failure = failure(err)
		}
		rep.Add(leg.Name, l)
		out = append(out, l)
	}
	return out, errors.Join(errs...)
}

// compared are the figures of a play load that comparisons divide and
// judge; nil where the load did not measure one.
type compared struct {
	bots, serverCPU, serverCores, payload, wire, snapshotBytes *float64
	entitiesMean, entitiesMax, gapP50, gapP99, rttP50, rttP99  *float64
	joinP99, rssPerConn, botsCores, fullFraction, otherCores   *float64
	clientsJoined, clientsFailed                               int64
	failReasons                                                string
}

func (l *legResult) compared() compared {
	var c compared
	p := l.PlayResult
	if p == nil {
		return c
	}
	c.bots = new(float64(p.Bots))
	c.payload, c.wire = new(p.PayloadBytesPerClientS), new(p.WireBytesPerClientS)
	if s := p.snapshotFigures; s != nil {
		c.snapshotBytes, c.fullFraction = new(s.SnapshotBytesMean), s.FullSnapshotFraction
		c.gapP50, c.gapP99, c.rttP50, c.rttP99, c.joinP99 = new(s.GapP50Ms), new(s.GapP99Ms), new(s.RTTP50Ms), new(s.RTTP99Ms), new(s.JoinP99Ms)
		if e := s.entityFigures; e != nil {
			c.entitiesMean, c.entitiesMax = new(e.PerSnapshotMean), new(float64(e.PerSnapshotMax))
		}
	}
	if v := p.serverCPU; v != nil {
		c.serverCPU, c.serverCores, c.rssPerConn = v.CPUUsPerClientTick, new(v.CoreFraction), new(v.RSSPerConnBytes)
	}
	if b := p.botsUse; b != nil {
		c.botsCores = new(b.CPUCoreFraction)
	}
	c.otherCores = p.MachineOtherCPUCores
	c.clientsJoined, c.clientsFailed, c.failReasons = deref(p.ClientsJoined), p.ClientsFailed, p.FailReasons
	return c
}

// ratio is num/den when both were measured and den is not 0.
func ratio(num, den *float64) *float64 {
	if num == nil || den == nil || *den == 0 {
		return nil
	}
	return new(measure.Round3(*num / *den))
}

// The ratios both comparisons show, in groups.
type (
	cpuRatios struct {
		ServerCPUUsPerClientTick *float64 `json:"server_cpu_us_per_client_tick,omitempty"`
		ServerCPUCoreFraction    *float64 `json:"server_cpu_core_fraction,omitempty"`
	}
	byteRatios struct {
		PayloadBytesPerClientS *float64 `json:"payload_bytes_per_client_s,omitempty"`
		WireBytesPerClientS    *float64 `json:"wire_bytes_per_client_s,omitempty"`
		SnapshotBytesMean      *float64 `json:"snapshot_bytes_mean,omitempty"`
	}
	gapRatios struct {
		GapP50Ms *float64 `json:"gap_p50_ms,omitempty"`
		GapP99Ms *float64 `json:"gap_p99_ms,omitempty"`
		RTTP50Ms *float64 `json:"rtt_p50_ms,omitempty"`
		RTTP99Ms *float64 `json:"rtt_p99_ms,omitempty"`
	}
)

func newCPURatios(n, d compared) cpuRatios {
	return cpuRatios{ratio(n.serverCPU, d.serverCPU), ratio(n.serverCores, d.serverCores)}
}

func newByteRatios(n, d compared) byteRatios {
	return byteRatios{ratio(n.payload, d.payload), ratio(n.wire, d.wire), ratio(n.snapshotBytes, d.snapshotBytes)}
}

func newGapRatios(n, d compared) gapRatios {
	return gapRatios{ratio(n.gapP50, d.gapP50), ratio(n.gapP99, d.gapP99), ratio(n.rttP50, d.rttP50), ratio(n.rttP99, d.rttP99)}
}

// val is *v, or 0 for a figure not measured.
func val(v *float64) float64 { return deref(v) }

func deref[T any](v *T) T {
	var zero T
	if v == nil {
		return zero
	}
	return *v
}

// checkJoined adds the check that every bot of a leg joined.
func checkJoined(v *report.Verdict, name string, l *legResult) {
	c := l.compared()
	bots := int64(val(c.bots))
	v.Add(name+": all bots joined", l.ran() && bots > 0 && c.clientsJoined == bots && c.clientsFailed == 0,
		"%d/%d joined, %d failed (%s)", c.clientsJoined, bots, c.clientsFailed, cmp.Or(c.failReasons, "<nil>"))
}
