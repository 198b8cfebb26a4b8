// Package target starts the server under test: a Skirmish binary on a
// loopback port with its admin listener on another, its output kept,
// stopped with SIGINT.
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
	cmd   *exec.Cmd
	URL   string // ws://127.0.0.1:PORT/ws
	Base  string // http://127.0.0.1:PORT/
	Admin string // http://127.0.0.1:PORT/ of the admin listener
	PID   int

	logMu sync.Mutex
	log   []byte // last logKeep bytes of its stdout and stderr
	wg    sync.WaitGroup
}

const logKeep = 64 << 10

var (
	listenLine = regexp.MustCompile(`serving http://(127\.0\.0\.1:[0-9]+)/`)
	adminLine  = regexp.MustCompile(`admin http://(127\.0\.0\.1:[0-9]+)/`)
)

// loadArgs are the flags every server under test gets before args: both
// listeners on free loopback ports, and no per-address caps, since every
// bot connects from loopback.
var loadArgs = []string{"-addr", "127.0.0.1:0", "-admin-addr", "127.0.0.1:0", "-max-conns-per-ip", "0", "-max-rooms-per-ip", "0"}

// Start runs path with loadArgs and args, and waits for the lines that
// tell where it listens.
func Start(path string, args ...string) (*Server, error) {
	cmd := exec.Command(path, append(append([]string(nil), loadArgs...), args...)...)
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
	found, admin := make(chan string, 1), make(chan string, 1)
	s.wg.Add(2)
	go s.pump(stdout, found, admin) // both end when the process closes its pipes
	go s.pump(stderr, found, admin)
	timeout := time.After(20 * time.Second)
	for s.URL == "" || s.Admin == "" {
		select {
		case hp := <-found:
			s.URL = "ws://" + hp + "/ws"
			s.Base = "http://" + hp + "/"
		case hp := <-admin:
			s.Admin = "http://" + hp + "/"
		case <-timeout:
			s.Stop()
			return nil, fmt.Errorf("server: no serving and admin lines after 20s; output:\n%s", s.Logs())
		}
	}
	return s, nil
}

// pump keeps the tail of an output stream and reports the listen address.
func (s *Server) pump(r io.Reader, found, admin chan<- string) {
	defer s.wg.Done()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		for _, l := range []struct {
			re *regexp.Regexp
			to chan<- string
		}{{listenLine, found}, {adminLine, admin}} {
			if m := l.re.FindSubmatch(line); m != nil {
				select {
				case l.to <- string(m[1]):
				default:
				}
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

// Stop sends SIGINT (stop now; SIGTERM would drain, waiting for the
// players' rooms to empty), then SIGKILL after 5 s, and waits.
func (s *Server) Stop() error {
	if err := s.cmd.Process.Signal(syscall.SIGINT); err != nil && !errors.Is(err, os.ErrProcessDone) {
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
		return fmt.Errorf("server: did not stop within 5s of SIGINT (killed): %w", exitErr(err))
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

// exitErr ignores the exit caused by our own SIGINT.
func exitErr(err error) error {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGINT {
			return nil
		}
	}
	return err
}
