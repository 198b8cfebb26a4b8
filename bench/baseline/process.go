package baseline

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/skirmishgg/skirmish/bench/child"
)

// ProcessRole runs the baseline server in a child process: it reads its
// Config, serves, reports its URL, and exits when stdin closes.
var ProcessRole = child.Role{Name: "--skirmish-bots-baseline", Main: baselineMain}

// msgListening carries the baseline server's URL.
const msgListening = "listening"

func baselineMain(in *json.Decoder, out *child.Writer) int {
	var cfg Config
	if err := in.Decode(&cfg); err != nil {
		out.Send(child.TypeError, nil, fmt.Sprintf("read config: %v", err))
		return 2
	}
	s, err := Start(cfg)
	if err != nil {
		out.Send(child.TypeError, nil, err.Error())
		return 1
	}
	out.Send(msgListening, s.URL(), "")
	io.Copy(io.Discard, os.Stdin) // until the parent closes stdin
	s.Close()
	skipped, rejected := s.Stats()
	out.Send(child.TypeClosed, nil, fmt.Sprintf("skipped %d snapshots, rejected %d connections", skipped, rejected))
	return 0
}

// Process is a baseline server running in a child process, so that
// its CPU and memory are measured exactly like the real server's.
type Process struct {
	p   *child.Proc
	URL string
	PID int
}

// StartProcess starts the baseline server in a child process.
func StartProcess(cfg Config) (*Process, error) {
	p, err := child.Start(ProcessRole.Name, cfg)
	if err != nil {
		return nil, fmt.Errorf("baseline process: %w", err)
	}
	m, err := p.Await(msgListening, 15*time.Second, nil)
	var url string
	if err == nil {
		err = m.Decode(&url)
	}
	if err != nil {
		p.Stop(5 * time.Second)
		return nil, fmt.Errorf("baseline process: %w", err)
	}
	return &Process{p: p, URL: url, PID: p.PID()}, nil
}

// Close stops the process.
func (p *Process) Close() error {
	return p.p.Stop(15 * time.Second)
}
