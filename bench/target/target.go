// Package target starts the server under test: a Skirmish binary on a
// loopback port, its output kept, stopped with SIGTERM.
package target

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"sync"
	"syscall"
	"time"
)

// Server is a Skirmish server binary started on a random loopback port.
type Server struct {
	cmd  *exec.Cmd
	URL  string // ws://127.0.0.1:PORT/ws
	Base string // http://127.0.0.1:PORT/
	PID  int

	logMu sync.Mutex
	log   []byte // last logKeep bytes of its stdout and stderr
	wg    sync.WaitGroup
}

const logKeep = 64 << 10

var listenLine = regexp.MustCompile(`http://(127\.0\.0\.1:[0-9]+)/`)

// Start runs path -addr 127.0.0.1:0 (plus args) and waits for the line
// that tells where it listens.
func Start(path string, args ...string) (*Server, error) {
	cmd := exec.Command(path, append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("server: stdout: %w", err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, fmt.Errorf("server: stderr: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("server: start %s: %w", path, err)
	}
	s := &Server{cmd: cmd, PID: cmd.Process.Pid}
	found := make(chan string, 1)
	s.wg.Add(2)
	go s.pump(stdout, found) // both end when the process closes its pipes
	go s.pump(stderr, found)
	select {
	case hp := <-found:
		s.URL = "ws://" + hp + "/ws"
		s.Base = "http://" + hp + "/"
		return s, nil
	case <-time.After(20 * time.Second):
		s.Stop()
		return nil, fmt.Errorf("server: no listening line after 20s; output:\n%s", s.Logs())
	}
}

// pump keeps the tail of an output stream and reports the listen address.
func (s *Server) pump(r io.Reader, found chan<- string) {
	defer s.wg.Done()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if m := listenLine.FindSubmatch(line); m != nil {
			select {
			case found <- string(m[1]):
			default:
			}
		}
		s.logMu.Lock()
		s.log = append(s.log, line...)
		s.log = append(s.log, '\n')
		if len(s.log) > logKeep {
			s.log = append(s.log[:0], s.log[len(s.log)-logKeep:]...)
		}
		s.logMu.Unlock()
	}
}

// Logs returns the tail of the server's output.
func (s *Server) Logs() string {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return string(s.log)
}

// Alive reports whether the process still runs.
func (s *Server) Alive() bool {
	return s.cmd.Process.Signal(syscall.Signal(0)) == nil
}

// Stop sends SIGTERM, then SIGKILL after 5 s, and waits.
func (s *Server) Stop() error {
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("server: signal: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }() // ends when the process exits
	select {
	case err := <-done:
		s.wg.Wait()
		return exitErr(err)
	case <-time.After(5 * time.Second):
		s.cmd.Process.Kill()
		err := <-done
		s.wg.Wait()
		return fmt.Errorf("server: did not stop within 5s of SIGTERM (killed): %w", exitErr(err))
	}
}

// End stops the server and reports, with the tail of its output, a
// server that had exited before: one that died during a run.
func (s *Server) End() error {
	var err error
	if !s.Alive() {
		err = fmt.Errorf("the server exited during the run; last output: %s", Tail(s.Logs(), 400))
	}
	return errors.Join(err, s.Stop())
}

// Tail is the last n bytes of s, marked as cut.
func Tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// exitErr ignores the exit caused by our own SIGTERM.
func exitErr(err error) error {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGTERM {
			return nil
		}
	}
	return err
}
