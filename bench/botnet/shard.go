package botnet

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/skirmishgg/skirmish/bench/child"
	"github.com/skirmishgg/skirmish/bench/diag"
	"github.com/skirmishgg/skirmish/bench/measure"
)

// shard is a group of bots driven by the coordinator: an engine in this
// process or one in a child process.
type shard interface {
	Progress() progress
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

// localShard is an engine in this process.
type localShard struct{ e *engine }

func (s localShard) Progress() progress     { return s.e.Progress() }
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

// childShard is an engine in a child process.
type childShard struct {
	p         *child.Proc
	ready     chan struct{}
	readyOnce sync.Once
	stop      chan struct{}
	stopOnce  sync.Once
	done      chan struct{}
}

func startChildShard(spec ShardSpec) (*childShard, error) {
	p, err := child.Start(ShardRole.Name, spec)
	if err != nil {
		return nil, err
	}
	s := &childShard{p: p, ready: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	go s.watch() // ends on stop or when the child exits
	return s, nil
}

// watch closes ready when the child reports it, or exits.
func (s *childShard) watch() {
	defer close(s.done)
	if _, err := s.p.Await(msgReady, 24*time.Hour, s.stop); err != nil && !errors.Is(err, child.ErrCanceled) {
		diag.Logf("%v", err)
	}
	s.readyOnce.Do(func() { close(s.ready) })
}

func (s *childShard) Progress() progress {
	var p progress
	if err := s.p.Progress(&p); err != nil {
		diag.Logf("%v", err)
	}
	return p
}

func (s *childShard) Ready() <-chan struct{} { return s.ready }

func (s *childShard) PID() int { return s.p.PID() }

func (s *childShard) SetWindow(start, end time.Time) error {
	return s.p.Send(shardCmd{Cmd: cmdWindow, Start: start.UnixNano(), End: end.UnixNano()})
}

func (s *childShard) SetRefWindow(start, end time.Time) error {
	return s.p.Send(shardCmd{Cmd: cmdRefWindow, Start: start.UnixNano(), End: end.UnixNano()})
}

func (s *childShard) Collect() (*measure.Stats, error) {
	s.stopWatch()
	if err := s.p.Send(shardCmd{Cmd: cmdCollect}); err != nil {
		return nil, err
	}
	m, err := s.p.Await(msgStats, 30*time.Second, nil)
	if err != nil {
		return nil, err
	}
	var st measure.Stats
	if err := m.Decode(&st); err != nil {
		return nil, err
	}
	return &st, nil
}

func (s *childShard) Close() error {
	s.p.Send(shardCmd{Cmd: cmdClose})
	err := s.p.Stop(30 * time.Second)
	s.stopWatch()
	return err
}

// stopWatch ends the watcher so that nobody else reads the child's messages.
func (s *childShard) stopWatch() {
	s.stopOnce.Do(func() { close(s.stop) })
	<-s.done
}

// ShardRole runs a shard in a child process: it reads its ShardSpec, then
// shardCmds, and reports progress, readiness and its Stats.
var ShardRole = child.Role{Name: "--skirmish-bots-shard", Main: shardMain}

// The shard's messages to its parent (besides child.TypeProgress,
// TypeError and TypeClosed).
const (
	msgReady = "ready"
	msgStats = "stats"
)

// shardCmd is a parent's command to a child shard.
type shardCmd struct {
	Cmd   string `json:"cmd"`
	Start int64  `json:"start,omitempty"` // Unix ns
	End   int64  `json:"end,omitempty"`
}

// The commands of shardCmd.
const (
	cmdWindow    = "window"
	cmdRefWindow = "refwindow"
	cmdCollect   = "collect"
	cmdClose     = "close"
)

// shardMain is the child side of a shard.
func shardMain(in *json.Decoder, out *child.Writer) int {
	var spec ShardSpec
	if err := in.Decode(&spec); err != nil {
		out.Send(child.TypeError, nil, fmt.Sprintf("read spec: %v", err))
		return 2
	}
	e, err := newEngine(spec)
	if err != nil {
		out.Send(child.TypeError, nil, err.Error())
		return 1
	}
	e.Start()
	stop := make(chan struct{})
	done := make(chan struct{})
	go reportProgress(e, out, stop, done) // ends on stop
loop:
	for {
		var cmd shardCmd
		if err := in.Decode(&cmd); err != nil {
			break // stdin closed: the parent is gone or done
		}
		switch cmd.Cmd {
		case cmdWindow:
			e.SetWindow(time.Unix(0, cmd.Start), time.Unix(0, cmd.End))
		case cmdRefWindow:
			e.SetRefWindow(time.Unix(0, cmd.Start), time.Unix(0, cmd.End))
		case cmdCollect:
			out.Send(msgStats, e.Collect(), "")
		case cmdClose:
			break loop
		}
	}
	close(stop)
	<-done
	errText := ""
	if err := e.Close(); err != nil {
		errText = err.Error()
	}
	out.Send(child.TypeClosed, nil, errText)
	return 0
}

// reportProgress sends the engine's progress four times a second, and
// once more with "ready" when every bot got there, until stop.
func reportProgress(e *engine, out *child.Writer, stop, done chan struct{}) {
	defer close(done)
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	ready := e.Ready()
	for {
		select {
		case <-stop:
			return
		case <-ready:
			out.Send(child.TypeProgress, e.Progress(), "")
			out.Send(msgReady, nil, "")
			ready = nil
		case <-t.C:
			out.Send(child.TypeProgress, e.Progress(), "")
		}
	}
}
