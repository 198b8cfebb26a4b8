package bench

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/skirmishgg/skirmish/bench/diag"
	"github.com/skirmishgg/skirmish/bench/measure"
)

// shard is a group of bots driven by the coordinator: an Engine in this
// process or one in a child process.
type shard interface {
	Progress() Progress
	// Ready is closed when every bot reached its target or failed (or the
	// shard died).
	Ready() <-chan struct{}
	SetWindow(start, end time.Time) error
	SetRefWindow(start, end time.Time) error
	Collect() (*measure.Stats, error)
	Close() error
	// PID is the process running the shard (for its CPU and RSS).
	PID() int
}

// localShard is an Engine in this process.
type localShard struct{ e *Engine }

func (s localShard) Progress() Progress     { return s.e.Progress() }
func (s localShard) Ready() <-chan struct{} { return s.e.Ready() }
func (s localShard) SetWindow(start, end time.Time) error {
	s.e.SetWindow(start, end)
	return nil
}
func (s localShard) SetRefWindow(start, end time.Time) error {
	s.e.SetRefWindow(start, end)
	return nil
}
func (s localShard) Collect() (*measure.Stats, error) { return s.e.Collect(), nil }
func (s localShard) Close() error                     { return s.e.Close() }
func (s localShard) PID() int                         { return os.Getpid() }

// childShard is an Engine in a child process.
type childShard struct {
	c         *childProc
	ready     chan struct{}
	readyOnce sync.Once
	stop      chan struct{}
	stopOnce  sync.Once
	done      chan struct{}
}

func startChildShard(spec ShardSpec) (*childShard, error) {
	c, err := startChild(childShardFlag, spec)
	if err != nil {
		return nil, err
	}
	s := &childShard{c: c, ready: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	go s.watch() // ends on stop or when the child exits
	return s, nil
}

// watch closes ready when the child reports it, or exits.
func (s *childShard) watch() {
	defer close(s.done)
	if _, err := s.c.await("ready", 24*time.Hour, s.stop); err != nil && !errors.Is(err, errCanceled) {
		diag.Logf("%v", err)
	}
	s.readyOnce.Do(func() { close(s.ready) })
}

func (s *childShard) Progress() Progress {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	return s.c.progress
}

func (s *childShard) Ready() <-chan struct{} { return s.ready }

func (s *childShard) PID() int { return s.c.cmd.Process.Pid }

func (s *childShard) SetWindow(start, end time.Time) error {
	return s.c.send(childCmd{Cmd: "window", Start: start.UnixNano(), End: end.UnixNano()})
}

func (s *childShard) SetRefWindow(start, end time.Time) error {
	return s.c.send(childCmd{Cmd: "refwindow", Start: start.UnixNano(), End: end.UnixNano()})
}

func (s *childShard) Collect() (*measure.Stats, error) {
	s.stopWatch()
	if err := s.c.send(childCmd{Cmd: "collect"}); err != nil {
		return nil, err
	}
	m, err := s.c.await("stats", 30*time.Second, nil)
	if err != nil {
		return nil, err
	}
	if m.Stats == nil {
		return nil, fmt.Errorf("child %d: empty stats", s.c.cmd.Process.Pid)
	}
	return m.Stats, nil
}

func (s *childShard) Close() error {
	s.c.send(childCmd{Cmd: "close"})
	err := s.c.stop(30 * time.Second)
	s.stopWatch()
	return err
}

// stopWatch ends the watcher so that nobody else reads the child's messages.
func (s *childShard) stopWatch() {
	s.stopOnce.Do(func() { close(s.stop) })
	<-s.done
}
