package measure

import (
	"context"
	"fmt"
	"time"

	"github.com/skirmishgg/skirmish/bench/diag"
)

// ServerSample is the server's side of a load run.
type ServerSample struct {
	Measured       bool          // the pid was sampled
	CPU            time.Duration // utime+stime over the window
	RSSBefore      int64         // before the bots connected
	RSSAfter       int64         // at the end of the window
	HasDebug       bool          // /debug/stats was read
	Goroutines     int64         // at the end of the window
	Connections    int64
	GoroutinesPre  int64 // before the bots connected
	ConnectionsPre int64
	// The reference window, when a run has one: CPU over it, RSS at its
	// end.
	RefCPU time.Duration
	RefRSS int64
	// RSS is what the sampler saw, per phase: connect, warmup, ref,
	// window (churn: window, finishing).
	RSS RSSSummary
}

// ServerProbe samples the server under test: /proc for CPU and RSS (when
// its pid is known, i.e. it runs on this machine) and /debug/stats (when
// StatsURL is set).
type ServerProbe struct {
	PID      int
	StatsURL string
	cpuStart ProcSample
}

// Before samples RSS and counts before any bot connects.
func (p *ServerProbe) Before(ctx context.Context, s *ServerSample) error {
	if p.PID != 0 {
		ps, err := ReadProc(p.PID)
		if err != nil {
			return fmt.Errorf("server probe: %w", err)
		}
		s.RSSBefore = ps.RSS
	}
	if p.StatsURL != "" {
		d, err := FetchStats(ctx, p.StatsURL)
		if err != nil {
			diag.Logf("server probe: %v", err)
		} else {
			s.GoroutinesPre, s.ConnectionsPre = int64(d.Goroutines), int64(d.Connections)
		}
	}
	return nil
}

// WindowStart samples the CPU at the start of the window.
func (p *ServerProbe) WindowStart() error {
	if p.PID == 0 {
		return nil
	}
	ps, err := ReadProc(p.PID)
	if err != nil {
		return fmt.Errorf("server probe: %w", err)
	}
	p.cpuStart = ps
	return nil
}

// WindowEnd samples the CPU, RSS and counts at the end of the window.
func (p *ServerProbe) WindowEnd(ctx context.Context, s *ServerSample) error {
	if p.PID != 0 {
		ps, err := ReadProc(p.PID)
		if err != nil {
			return fmt.Errorf("server probe: %w", err)
		}
		s.Measured = true
		s.CPU = ps.CPU - p.cpuStart.CPU
		s.RSSAfter = ps.RSS
	}
	if p.StatsURL != "" {
		d, err := FetchStats(ctx, p.StatsURL)
		if err != nil {
			diag.Logf("server probe: %v", err)
		} else {
			s.HasDebug = true
			s.Goroutines, s.Connections = int64(d.Goroutines), int64(d.Connections)
		}
	}
	return nil
}
