package measure

import (
	"sync"
	"time"
)

// RSSSampler reads a process's RSS at a fixed interval for the length of
// a run, tagging every sample with the run's current phase (connect,
// warmup, ref, window, ...), so that a report can say how high the RSS
// went in each phase and show its course. One goroutine, ended by Stop.
type RSSSampler struct {
	pid   int
	every time.Duration
	read  func(pid int) (int64, error)
	start time.Time

	mu      sync.Mutex
	phase   string
	samples []RSSPoint
	max     map[string]int64
	last    int64
	errs    int

	stopCh chan struct{}
	done   chan struct{}
}

// RSSPoint is one sample: seconds since the sampler started, the phase,
// and the RSS in bytes.
type RSSPoint struct {
	T     float64 `json:"t_s"`
	Phase string  `json:"phase"`
	RSS   int64   `json:"rss_bytes"`
}

// rssSamplesMax bounds the samples kept (an hour at 4 a second); later
// samples still count in the per-phase maxima.
const rssSamplesMax = 14400

func readRSS(pid int) (int64, error) {
	ps, err := ReadProc(pid)
	return ps.RSS, err
}

// StartRSSSampler starts sampling pid every interval, in phase.
func StartRSSSampler(pid int, every time.Duration, phase string) *RSSSampler {
	return startRSSSamplerWith(pid, every, phase, readRSS)
}

func startRSSSamplerWith(pid int, every time.Duration, phase string, read func(int) (int64, error)) *RSSSampler {
	s := &RSSSampler{
		pid: pid, every: every, read: read, start: time.Now(),
		phase: phase, max: map[string]int64{},
		stopCh: make(chan struct{}), done: make(chan struct{}),
	}
	s.sample()
	go s.run() // ends on Stop
	return s
}

func (s *RSSSampler) run() {
	defer close(s.done)
	t := time.NewTicker(s.every)
	defer t.Stop()
	for {
		select {
		case <-s.stopCh:
			return
		case <-t.C:
			s.sample()
		}
	}
}

func (s *RSSSampler) sample() {
	rss, err := s.read(s.pid)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.errs++
		return
	}
	s.last = rss
	if rss > s.max[s.phase] {
		s.max[s.phase] = rss
	}
	if len(s.samples) < rssSamplesMax {
		s.samples = append(s.samples, RSSPoint{T: Round3(time.Since(s.start).Seconds()), Phase: s.phase, RSS: rss})
	}
}

// SetPhase starts a new phase with a sample of its own, so that even a
// phase shorter than the interval has a maximum.
func (s *RSSSampler) SetPhase(phase string) {
	s.mu.Lock()
	s.phase = phase
	s.mu.Unlock()
	s.sample()
}

// Stop ends the sampling (with a last sample) and waits for it; it may
// be called more than once.
func (s *RSSSampler) Stop() {
	select {
	case <-s.stopCh:
		return
	default:
	}
	s.sample()
	close(s.stopCh)
	<-s.done
}

// RSSSummary is what a sampler saw.
type RSSSummary struct {
	Max    map[string]int64 // per phase
	Last   int64
	Series []RSSPoint
	Errors int
}

// MaxOf is the highest sample over the named phases (all when none).
func (r RSSSummary) MaxOf(phases ...string) int64 {
	var m int64
	if len(phases) == 0 {
		for _, v := range r.Max {
			m = max(m, v)
		}
		return m
	}
	for _, p := range phases {
		m = max(m, r.Max[p])
	}
	return m
}

// Summary is what the sampler saw so far.
func (s *RSSSampler) Summary() RSSSummary {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := RSSSummary{Max: make(map[string]int64, len(s.max)), Last: s.last, Errors: s.errs}
	for k, v := range s.max {
		out.Max[k] = v
	}
	out.Series = append([]RSSPoint(nil), s.samples...)
	return out
}

// Downsample keeps at most one point per step (the highest of each step,
// so that no peak is lost), for a readable JSON series.
func Downsample(points []RSSPoint, step float64) []RSSPoint {
	if step <= 0 || len(points) == 0 {
		return points
	}
	var out []RSSPoint
	for _, p := range points {
		bucket := int64(p.T / step)
		if n := len(out); n > 0 && int64(out[n-1].T/step) == bucket && out[n-1].Phase == p.Phase {
			if p.RSS > out[n-1].RSS {
				out[n-1].RSS = p.RSS
			}
			continue
		}
		out = append(out, p)
	}
	return out
}
