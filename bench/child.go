package bench

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"time"

	"github.com/skirmishgg/skirmish/bench/diag"
	"github.com/skirmishgg/skirmish/bench/measure"
)

// Child processes: past the per-process fd limit the coordinator re-executes
// its own binary with a hidden first argument. The child reads its
// ShardSpec and then commands as JSON lines on stdin, and reports progress,
// readiness and its Stats as JSON lines on stdout. Closing its stdin ends it.

const (
	childShardFlag    = "--skirmish-bots-shard"
	childBaselineFlag = "--skirmish-bots-baseline"
)

// RunHidden runs a child role if os.Args asks for one. main (and TestMain)
// call it first: handled reports whether it ran, code is the exit status.
func RunHidden() (handled bool, code int) {
	if len(os.Args) < 2 {
		return false, 0
	}
	switch os.Args[1] {
	case childShardFlag:
		return true, shardMain(os.Stdin, os.Stdout)
	case childBaselineFlag:
		return true, baselineMain(os.Stdin, os.Stdout)
	}
	return false, 0
}

type childMsg struct {
	Type     string         `json:"type"` // progress, ready, stats, listening, error, closed
	Progress *Progress      `json:"progress,omitempty"`
	Stats    *measure.Stats `json:"stats,omitempty"`
	URL      string         `json:"url,omitempty"`
	Error    string         `json:"error,omitempty"`
}

type childCmd struct {
	Cmd   string `json:"cmd"` // window, refwindow, collect, close
	Start int64  `json:"start,omitempty"`
	End   int64  `json:"end,omitempty"`
}

// lineWriter serialises JSON lines from several goroutines.
type lineWriter struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func (w *lineWriter) send(m childMsg) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.enc.Encode(m); err != nil {
		diag.Logf("child: write to parent: %v", err)
	}
}

// shardMain is the child side of a shard.
func shardMain(stdin io.Reader, stdout io.Writer) int {
	out := &lineWriter{enc: json.NewEncoder(stdout)}
	dec := json.NewDecoder(bufio.NewReader(stdin))
	var spec ShardSpec
	if err := dec.Decode(&spec); err != nil {
		out.send(childMsg{Type: "error", Error: fmt.Sprintf("read spec: %v", err)})
		return 2
	}
	e, err := NewEngine(spec)
	if err != nil {
		out.send(childMsg{Type: "error", Error: err.Error()})
		return 1
	}
	e.Start()
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { // reports progress until stop
		defer close(done)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		ready := e.Ready()
		for {
			select {
			case <-stop:
				return
			case <-ready:
				p := e.Progress()
				out.send(childMsg{Type: "progress", Progress: &p})
				out.send(childMsg{Type: "ready"})
				ready = nil
			case <-t.C:
				p := e.Progress()
				out.send(childMsg{Type: "progress", Progress: &p})
			}
		}
	}()
loop:
	for {
		var cmd childCmd
		if err := dec.Decode(&cmd); err != nil {
			break // stdin closed: the parent is gone or done
		}
		switch cmd.Cmd {
		case "window":
			e.SetWindow(time.Unix(0, cmd.Start), time.Unix(0, cmd.End))
		case "refwindow":
			e.SetRefWindow(time.Unix(0, cmd.Start), time.Unix(0, cmd.End))
		case "collect":
			out.send(childMsg{Type: "stats", Stats: e.Collect()})
		case "close":
			break loop
		}
	}
	close(stop)
	<-done
	msg := childMsg{Type: "closed"}
	if err := e.Close(); err != nil {
		msg.Error = err.Error()
	}
	out.send(msg)
	return 0
}

// childProc is the parent's handle on a child process speaking JSON lines.
type childProc struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	wmu    sync.Mutex
	enc    *json.Encoder
	msgs   chan childMsg // everything but progress; bounded
	exited chan struct{} // closed when stdout ends

	mu       sync.Mutex
	progress Progress
	lost     int64 // messages dropped because nobody read them
}

// startChild re-executes this binary in a child role and sends it first.
func startChild(role string, first any) (*childProc, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("child: find own binary: %w", err)
	}
	cmd := exec.Command(exe, role)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("child: stdin: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("child: stdout: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("child: start %s: %w", exe, err)
	}
	c := &childProc{
		cmd:    cmd,
		stdin:  stdin,
		enc:    json.NewEncoder(stdin),
		msgs:   make(chan childMsg, 16),
		exited: make(chan struct{}),
	}
	go c.read(stdout) // ends when the child's stdout closes
	if err := c.send(first); err != nil {
		c.kill()
		<-c.exited
		c.cmd.Wait()
		return nil, err
	}
	return c, nil
}

func (c *childProc) read(stdout io.Reader) {
	defer close(c.exited)
	dec := json.NewDecoder(bufio.NewReader(stdout))
	for {
		var m childMsg
		if err := dec.Decode(&m); err != nil {
			if !errors.Is(err, io.EOF) {
				diag.Logf("child %d: bad output: %v", c.cmd.Process.Pid, err)
			}
			return
		}
		if m.Type == "progress" && m.Progress != nil {
			c.mu.Lock()
			c.progress = *m.Progress
			c.mu.Unlock()
			continue
		}
		select {
		case c.msgs <- m:
		default:
			c.mu.Lock()
			c.lost++
			c.mu.Unlock()
		}
	}
}

func (c *childProc) send(v any) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.enc.Encode(v); err != nil {
		return fmt.Errorf("child %d: send: %w", c.cmd.Process.Pid, err)
	}
	return nil
}

var errCanceled = errors.New("canceled")

// await returns the next message of type typ (skipping others), or an
// error if the child exits, reports an error, or timeout passes.
func (c *childProc) await(typ string, timeout time.Duration, cancel <-chan struct{}) (childMsg, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		select {
		case m := <-c.msgs:
			if m.Type == typ {
				return m, nil
			}
			if m.Type == "error" {
				return m, fmt.Errorf("child %d: %s", c.cmd.Process.Pid, m.Error)
			}
		case <-c.exited:
			// Drain what arrived before the exit.
			for {
				select {
				case m := <-c.msgs:
					if m.Type == typ {
						return m, nil
					}
					if m.Type == "error" {
						return m, fmt.Errorf("child %d: %s", c.cmd.Process.Pid, m.Error)
					}
					continue
				default:
				}
				return childMsg{}, fmt.Errorf("child %d exited before %q", c.cmd.Process.Pid, typ)
			}
		case <-t.C:
			return childMsg{}, fmt.Errorf("child %d: no %q after %v", c.cmd.Process.Pid, typ, timeout)
		case <-cancel:
			return childMsg{}, errCanceled
		}
	}
}

// stop closes the child's stdin and waits for it to exit, killing it after
// grace.
func (c *childProc) stop(grace time.Duration) error {
	c.stdin.Close()
	select {
	case <-c.exited:
	case <-time.After(grace):
		c.kill()
		<-c.exited
	}
	if err := c.cmd.Wait(); err != nil {
		return fmt.Errorf("child %d: %w", c.cmd.Process.Pid, err)
	}
	return nil
}

func (c *childProc) kill() {
	if err := c.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		diag.Logf("child %d: kill: %v", c.cmd.Process.Pid, err)
	}
}
