package bench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// baselineMain is the child side of a baseline server process: it reads
// its BaselineConfig, serves, reports its URL, and exits when stdin closes.
func baselineMain(stdin io.Reader, stdout io.Writer) int {
	out := &lineWriter{enc: json.NewEncoder(stdout)}
	dec := json.NewDecoder(bufio.NewReader(stdin))
	var cfg BaselineConfig
	if err := dec.Decode(&cfg); err != nil {
		out.send(childMsg{Type: "error", Error: fmt.Sprintf("read config: %v", err)})
		return 2
	}
	s, err := StartBaseline(cfg)
	if err != nil {
		out.send(childMsg{Type: "error", Error: err.Error()})
		return 1
	}
	out.send(childMsg{Type: "listening", URL: s.URL()})
	io.Copy(io.Discard, stdin) // until the parent closes stdin
	s.Close()
	skipped, rejected := s.Stats()
	out.send(childMsg{Type: "closed", Error: fmt.Sprintf("skipped %d snapshots, rejected %d connections", skipped, rejected)})
	return 0
}

// BaselineProcess is a baseline server running in a child process, so that
// its CPU and memory are measured exactly like the real server's.
type BaselineProcess struct {
	c   *childProc
	URL string
	PID int
}

// StartBaselineProcess starts the baseline server in a child process.
func StartBaselineProcess(cfg BaselineConfig) (*BaselineProcess, error) {
	c, err := startChild(childBaselineFlag, cfg)
	if err != nil {
		return nil, fmt.Errorf("baseline process: %w", err)
	}
	m, err := c.await("listening", 15*time.Second, nil)
	if err != nil {
		c.stop(5 * time.Second)
		return nil, fmt.Errorf("baseline process: %w", err)
	}
	return &BaselineProcess{c: c, URL: m.URL, PID: c.cmd.Process.Pid}, nil
}

// Close stops the process.
func (p *BaselineProcess) Close() error {
	return p.c.stop(15 * time.Second)
}
