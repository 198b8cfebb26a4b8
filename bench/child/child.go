// Package child runs parts of skirmish-bots in child processes: past the
// per-process fd limit the bots' shards, and the baseline server (so that
// its CPU and memory are measured like the real server's). The parent
// re-executes its own binary with a hidden first argument naming a Role;
// the child reads its input (a first value, then commands) as JSON lines
// on stdin and reports as JSON lines on stdout. Closing its stdin ends it.
package child

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
)

// A Role is what a child process runs. Main decodes its input from in,
// reports on out, and returns the exit status.
type Role struct {
	Name string // the hidden first argument
	Main func(in *json.Decoder, out *Writer) int
}

// RunHidden runs the role that os.Args[1] names, if it names one of roles.
// main (and the TestMain of a package whose tests start children) call it
// first: handled reports whether it ran, code is the exit status.
func RunHidden(roles ...Role) (handled bool, code int) {
	if len(os.Args) < 2 {
		return false, 0
	}
	for _, r := range roles {
		if os.Args[1] == r.Name {
			out := &Writer{enc: json.NewEncoder(os.Stdout)}
			return true, r.Main(json.NewDecoder(bufio.NewReader(os.Stdin)), out)
		}
	}
	return false, 0
}

// Message types every role may send.
const (
	TypeProgress = "progress" // kept as the latest, not queued (see Proc.Progress)
	TypeError    = "error"    // ends any Await
	TypeClosed   = "closed"
)

// Msg is one line from a child.
type Msg struct {
	Type  string          `json:"type"`
	Data  json.RawMessage `json:"data,omitempty"`
	Error string          `json:"error,omitempty"`
}

// Decode decodes the message's data into v.
func (m Msg) Decode(v any) error {
	if err := json.Unmarshal(m.Data, v); err != nil {
		return fmt.Errorf("child message %q: %w", m.Type, err)
	}
	return nil
}

// Writer serialises a child's JSON lines from several goroutines.
type Writer struct {
	mu  sync.Mutex
	enc *json.Encoder
}

// Send reports a message of type typ with data (nil for none) and an
// error text (empty for none).
func (w *Writer) Send(typ string, data any, errText string) {
	m := Msg{Type: typ, Error: errText}
	if data != nil {
		b, err := json.Marshal(data)
		if err != nil {
			m.Type, m.Error = TypeError, fmt.Sprintf("encode %s: %v", typ, err)
		}
		m.Data = b
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.enc.Encode(m); err != nil {
		diag.Logf("child: write to parent: %v", err)
	}
}

// Proc is the parent's handle on a child process.
type Proc struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	wmu    sync.Mutex
	enc    *json.Encoder
	msgs   chan Msg      // everything but progress; bounded
	exited chan struct{} // closed when stdout ends

	mu       sync.Mutex
	progress json.RawMessage
	lost     int64 // messages dropped because nobody read them
}

// msgQueue bounds the messages a parent has not awaited yet; the children
// send few (ready, stats, listening, closed), and more are dropped and
// counted rather than buffered.
const msgQueue = 16

// Start re-executes this binary in role and sends it first.
func Start(role string, first any) (*Proc, error) {
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
	p := &Proc{
		cmd:    cmd,
		stdin:  stdin,
		enc:    json.NewEncoder(stdin),
		msgs:   make(chan Msg, msgQueue),
		exited: make(chan struct{}),
	}
	go p.read(stdout) // ends when the child's stdout closes
	if err := p.Send(first); err != nil {
		p.kill()
		<-p.exited
		p.cmd.Wait()
		return nil, err
	}
	return p, nil
}

// PID is the child's process id.
func (p *Proc) PID() int { return p.cmd.Process.Pid }

func (p *Proc) read(stdout io.Reader) {
	defer close(p.exited)
	dec := json.NewDecoder(bufio.NewReader(stdout))
	for {
		var m Msg
		if err := dec.Decode(&m); err != nil {
			if !errors.Is(err, io.EOF) {
				diag.Logf("child %d: bad output: %v", p.PID(), err)
			}
			return
		}
		if m.Type == TypeProgress {
			p.mu.Lock()
			p.progress = m.Data
			p.mu.Unlock()
			continue
		}
		select {
		case p.msgs <- m:
		default:
			p.mu.Lock()
			p.lost++
			p.mu.Unlock()
		}
	}
}

// Progress decodes the latest progress message into v (and leaves v as
// it is before the first).
func (p *Proc) Progress(v any) error {
	p.mu.Lock()
	data := p.progress
	p.mu.Unlock()
	if data == nil {
		return nil
	}
	return json.Unmarshal(data, v)
}

// Send writes v to the child as one JSON line.
func (p *Proc) Send(v any) error {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	if err := p.enc.Encode(v); err != nil {
		return fmt.Errorf("child %d: send: %w", p.PID(), err)
	}
	return nil
}

// ErrCanceled is Await's error when its cancel channel closed.
var ErrCanceled = errors.New("canceled")

// Await returns the next message of type typ (skipping others), or an
// error if the child exits, reports an error, or timeout passes.
func (p *Proc) Await(typ string, timeout time.Duration, cancel <-chan struct{}) (Msg, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		select {
		case m := <-p.msgs:
			if done, err := p.match(m, typ); done {
				return m, err
			}
		case <-p.exited:
			// Drain what arrived before the exit.
			for {
				select {
				case m := <-p.msgs:
					if done, err := p.match(m, typ); done {
						return m, err
					}
					continue
				default:
				}
				return Msg{}, fmt.Errorf("child %d exited before %q", p.PID(), typ)
			}
		case <-t.C:
			return Msg{}, fmt.Errorf("child %d: no %q after %v", p.PID(), typ, timeout)
		case <-cancel:
			return Msg{}, ErrCanceled
		}
	}
}

// match tells whether m ends an Await for typ, and with which error.
func (p *Proc) match(m Msg, typ string) (bool, error) {
	switch m.Type {
	case typ:
		return true, nil
	case TypeError:
		return true, fmt.Errorf("child %d: %s", p.PID(), m.Error)
	}
	return false, nil
}

// Stop closes the child's stdin and waits for it to exit, killing it after
// grace.
func (p *Proc) Stop(grace time.Duration) error {
	p.stdin.Close()
	select {
	case <-p.exited:
	case <-time.After(grace):
		p.kill()
		<-p.exited
	}
	if err := p.cmd.Wait(); err != nil {
		return fmt.Errorf("child %d: %w", p.PID(), err)
	}
	return nil
}

func (p *Proc) kill() {
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		diag.Logf("child %d: kill: %v", p.PID(), err)
	}
}
