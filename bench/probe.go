package bench

import (
	"context"
	"fmt"
)

// serverProbe samples the server under test: /proc for CPU and RSS (when
// its pid is known, i.e. it runs on this machine) and /debug/stats.
type serverProbe struct {
	pid      int
	statsURL string
	cpuStart ProcSample
}

// before samples RSS and counts before any bot connects.
func (p *serverProbe) before(ctx context.Context, s *ServerSample) error {
	if p.pid != 0 {
		ps, err := ReadProc(p.pid)
		if err != nil {
			return fmt.Errorf("server probe: %w", err)
		}
		s.RSSBefore = ps.RSS
	}
	if p.statsURL != "" {
		d, err := FetchDebugStats(ctx, p.statsURL)
		if err != nil {
			logf("server probe: %v", err)
		} else {
			s.GoroutinesPre, s.ConnectionsPre = d.Goroutines, d.Connections
		}
	}
	return nil
}

func (p *serverProbe) windowStart(s *ServerSample) error {
	if p.pid == 0 {
		return nil
	}
	ps, err := ReadProc(p.pid)
	if err != nil {
		return fmt.Errorf("server probe: %w", err)
	}
	p.cpuStart = ps
	return nil
}

func (p *serverProbe) windowEnd(ctx context.Context, s *ServerSample) error {
	if p.pid != 0 {
		ps, err := ReadProc(p.pid)
		if err != nil {
			return fmt.Errorf("server probe: %w", err)
		}
		s.Measured = true
		s.CPU = ps.CPU - p.cpuStart.CPU
		s.RSSAfter = ps.RSS
	}
	if p.statsURL != "" {
		d, err := FetchDebugStats(ctx, p.statsURL)
		if err != nil {
			logf("server probe: %v", err)
		} else {
			s.HasDebug = true
			s.Goroutines, s.Connections = d.Goroutines, d.Connections
		}
	}
	return nil
}
