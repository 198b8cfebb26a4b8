package main

// These tests build the real binary (with the race detector when they run
// with it), start it, play 50 clients in a room over real sockets and
// signal the process as an orchestrator would.
//
// The drain's promises include wall-clock figures: readiness fails within
// 100 ms of SIGTERM, the process exits within 1 s of the last room
// emptying, and snapshots keep their pace. On a loaded machine one
// process can stall for longer than any of these, so the tests assert the
// behaviour (readiness fails, the room plays on without a disconnect,
// the process exits once the rooms are empty) and log the figures they
// measured; speed is the benchmarks' business.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
	"google.golang.org/protobuf/proto"

	skirmishv1 "github.com/skirmishgg/skirmish/proto/skirmish/v1"
	"github.com/skirmishgg/skirmish/proto/wire"
)

const drainBots = 50

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		_ = os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// binary builds the server binary once per test run.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "skirmish-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "skirmish")
		args := []string{"build", "-o", binPath}
		if raceEnabled {
			args = append(args, "-race")
		}
		out, err := exec.Command("go", append(args, ".")...).CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// process is the server binary running.
type process struct {
	cmd       *exec.Cmd
	addr      string // host:port of the public listener
	admin     string // base URL of the admin listener
	exited    chan struct{}
	exitErr   error
	exitedAt  time.Time
	stderrBuf *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func startBinary(t *testing.T, args ...string) *process {
	t.Helper()
	args = append([]string{"-addr", "127.0.0.1:0", "-admin-addr", "127.0.0.1:0", "-max-conns-per-ip", "0"}, args...)
	cmd := exec.Command(binary(t), args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, exited: make(chan struct{}), stderrBuf: &lockedBuffer{}}
	cmd.Stderr = p.stderrBuf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.exitErr = cmd.Wait()
		p.exitedAt = time.Now()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("server log:\n%s", p.stderrBuf.String())
		}
	})
	lines := bufio.NewScanner(stdout)
	for (p.addr == "" || p.admin == "") && lines.Scan() {
		line := lines.Text()
		if u, ok := strings.CutPrefix(line, "skirmish: serving http://"); ok {
			p.addr = strings.TrimSuffix(u, "/")
		}
		if u, ok := strings.CutPrefix(line, "skirmish: admin "); ok {
			p.admin = strings.TrimSuffix(u, "/")
		}
	}
	if p.addr == "" || p.admin == "" {
		t.Fatalf("the server did not print its addresses; stderr:\n%s", p.stderrBuf.String())
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	return p
}

func (p *process) signal(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

// waitExit waits for the process to end and checks that it exited 0.
func (p *process) waitExit(t *testing.T, d time.Duration) time.Time {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(d):
		t.Fatalf("the server did not exit within %v", d)
	}
	if p.exitErr != nil {
		t.Fatalf("the server exited with %v", p.exitErr)
	}
	return p.exitedAt
}

func (p *process) status(t *testing.T, path string) int {
	t.Helper()
	resp, err := http.Get(p.admin + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// bot is a WebSocket client that records what reaches it.
type bot struct {
	conn net.Conn
	wmu  sync.Mutex // writes: the test's and the close reply's

	mu        sync.Mutex
	welcome   *skirmishv1.Welcome
	arrivals  []time.Time // of snapshots
	errors    []*skirmishv1.Error
	errorAt   []time.Time
	closeCode ws.StatusCode // 0 while open
	closedAt  time.Time
	readErr   error
}

func (b *bot) Write(p []byte) (int, error) {
	b.wmu.Lock()
	defer b.wmu.Unlock()
	return b.conn.Write(p)
}

func (b *bot) send(t *testing.T, m *skirmishv1.ClientMessage) {
	t.Helper()
	p, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := wsutil.WriteClientBinary(b, p); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// dialBot connects, says Hello and starts reading.
func dialBot(t *testing.T, addr string) *bot {
	t.Helper()
	conn, br, _, err := ws.Dial(context.Background(), "ws://"+addr+"/ws")
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	if br == nil {
		br = bufio.NewReader(conn)
	}
	b := &bot{conn: conn}
	go b.read(br)
	b.send(t, &skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Hello{Hello: &skirmishv1.Hello{ProtocolVersion: 1, Client: "drain-test"}}})
	return b
}

func (b *bot) read(br *bufio.Reader) {
	rd := wsutil.Reader{Source: br, State: ws.StateClientSide, OnIntermediate: wsutil.ControlFrameHandler(b, ws.StateClientSide)}
	for {
		h, err := rd.NextFrame()
		if err == nil && h.OpCode.IsControl() {
			err = rd.OnIntermediate(h, &rd)
			if err == nil {
				continue
			}
		}
		var p []byte
		if err == nil {
			p, err = io.ReadAll(&rd)
		}
		now := time.Now()
		if err != nil {
			b.mu.Lock()
			var ce wsutil.ClosedError
			if errors.As(err, &ce) {
				b.closeCode = ce.Code
			} else {
				b.closeCode = 1006
				b.readErr = err
			}
			b.closedAt = now
			b.mu.Unlock()
			return
		}
		s, err := wire.ScanServerMessage(p)
		if err != nil {
			continue
		}
		b.mu.Lock()
		switch s.Kind {
		case wire.FieldServerSnapshot:
			b.arrivals = append(b.arrivals, now)
		case wire.FieldServerWelcome, wire.FieldServerError:
			var m skirmishv1.ServerMessage
			if proto.Unmarshal(p, &m) == nil {
				if w := m.GetWelcome(); w != nil {
					b.welcome = w
				}
				if e := m.GetError(); e != nil {
					b.errors = append(b.errors, e)
					b.errorAt = append(b.errorAt, now)
				}
			}
		}
		b.mu.Unlock()
	}
}

// snapshotsSince counts the snapshots that arrived after t.
func (b *bot) snapshotsSince(t time.Time) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	i, _ := slices.BinarySearchFunc(b.arrivals, t, func(a, t time.Time) int { return a.Compare(t) })
	return len(b.arrivals) - i
}

// gaps returns the snapshot inter-arrival gaps of arrivals in [from, to).
func (b *bot) gaps(from, to time.Time) []time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []time.Duration
	for i := 1; i < len(b.arrivals); i++ {
		if !b.arrivals[i-1].Before(from) && b.arrivals[i].Before(to) {
			out = append(out, b.arrivals[i].Sub(b.arrivals[i-1]))
		}
	}
	return out
}

func (b *bot) closed() (ws.StatusCode, time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.closeCode, b.closedAt
}

func waitUntil(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %v", what, d)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// joinRoom starts n bots in one movers room and waits for their
// Welcome and first snapshots.
func joinRoom(t *testing.T, p *process, n int, room string) []*bot {
	t.Helper()
	bots := make([]*bot, n)
	for i := range bots {
		bots[i] = dialBot(t, p.addr)
		bots[i].send(t, &skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Join{Join: &skirmishv1.Join{Name: fmt.Sprint("bot", i), Mode: "movers", Room: room}}})
	}
	start := time.Now()
	waitUntil(t, 20*time.Second, "every bot in the room, receiving snapshots", func() bool {
		for _, b := range bots {
			if b.snapshotsSince(start) < 5 {
				return false
			}
		}
		return true
	})
	return bots
}

func p99(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return ds[(len(ds)*99)/100]
}

// TestSIGTERMDrainsThenExits: SIGTERM with 50 clients in a room. The
// readiness fails, the room plays on (every client keeps getting
// snapshots) without a disconnect, a new player is refused and the page still
// served; once the clients leave, the process closes the rest with 1001
// and exits 0.
func TestSIGTERMDrainsThenExits(t *testing.T) {
	p := startBinary(t, "-drain-timeout", "1m")
	bots := joinRoom(t, p, drainBots, "drain")
	if p.status(t, "/readyz") != http.StatusOK || p.status(t, "/healthz") != http.StatusOK {
		t.Fatal("not ready or not healthy before SIGTERM")
	}
	// A second of play before the signal, for the reference gaps.
	before := time.Now()
	waitUntil(t, 20*time.Second, "a second of snapshots", func() bool { return time.Since(before) > time.Second })

	sigAt := time.Now()
	p.signal(t, syscall.SIGTERM)
	waitUntil(t, 10*time.Second, "/readyz 503", func() bool { return p.status(t, "/readyz") == http.StatusServiceUnavailable })
	notReady := time.Since(sigAt)
	t.Logf("/readyz 503 %v after SIGTERM (promise 100 ms)", notReady.Round(time.Millisecond))
	if p.status(t, "/healthz") != http.StatusOK {
		t.Error("/healthz fails while draining")
	}

	// A new player is refused; the page is still served.
	late := dialBot(t, p.addr)
	late.send(t, &skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Join{Join: &skirmishv1.Join{Name: "late", Mode: "movers", Room: "drain"}}})
	waitUntil(t, 5*time.Second, "the late join's answer", func() bool {
		late.mu.Lock()
		defer late.mu.Unlock()
		return len(late.errors) > 0 || late.welcome != nil
	})
	if late.welcome != nil || late.errors[0].Code != skirmishv1.ErrorCode_ERROR_CODE_DRAINING {
		t.Fatalf("a join while draining got welcome %v, errors %v; want ERROR_CODE_DRAINING", late.welcome, late.errors)
	}
	resp, err := http.Get("http://" + p.addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the page while draining: %d", resp.StatusCode)
	}

	// A second of play after the signal: the room plays on.
	after := sigAt.Add(time.Second)
	waitUntil(t, 20*time.Second, "a second of snapshots after SIGTERM", func() bool {
		for _, b := range bots {
			if b.snapshotsSince(after) == 0 {
				return false
			}
		}
		return true
	})
	var gapsBefore, gapsAfter []time.Duration
	for i, b := range bots {
		if code, _ := b.closed(); code != 0 {
			t.Fatalf("bot %d closed (%d) before it left", i, code)
		}
		gapsBefore = append(gapsBefore, b.gaps(before, sigAt)...)
		gapsAfter = append(gapsAfter, b.gaps(sigAt, after)...)
	}
	pb, pa := p99(gapsBefore), p99(gapsAfter)
	t.Logf("snapshot gap p99: %v in the second before SIGTERM, %v in the second after (%d and %d gaps; promise: no rise)",
		pb.Round(time.Millisecond/10), pa.Round(time.Millisecond/10), len(gapsBefore), len(gapsAfter))
	select {
	case <-p.exited:
		t.Fatal("the server exited with players in a room")
	default:
	}

	// The players leave; the process ends.
	for _, b := range bots {
		b.send(t, &skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Leave{Leave: &skirmishv1.Leave{}}})
	}
	lastLeave := time.Now()
	exitAt := p.waitExit(t, 30*time.Second)
	t.Logf("exited %v after the last Leave (promise 1 s)", exitAt.Sub(lastLeave).Round(time.Millisecond))
	for i, b := range append(bots, late) {
		if code, _ := b.closed(); code != ws.StatusGoingAway {
			t.Errorf("bot %d closed with %d, want 1001", i, code)
		}
	}
}

// TestDrainTimeoutWarnsThenCloses: the rooms outlast -drain-timeout; the
// players hear ERROR_CODE_SERVER_RESTARTING, then the close (1001), and
// the process exits 0.
func TestDrainTimeoutWarnsThenCloses(t *testing.T) {
	p := startBinary(t, "-drain-timeout", "2s", "-drain-warning", "1s")
	bots := joinRoom(t, p, drainBots, "stays")
	p.signal(t, syscall.SIGTERM)
	p.waitExit(t, 30*time.Second)
	checkWarnedThenClosed(t, bots)
}

// TestSecondSIGTERMEndsTheDrain: a second SIGTERM skips to the end, long
// before -drain-timeout.
func TestSecondSIGTERMEndsTheDrain(t *testing.T) {
	p := startBinary(t, "-drain-timeout", "10m")
	bots := joinRoom(t, p, 5, "skip")
	p.signal(t, syscall.SIGTERM)
	waitUntil(t, 10*time.Second, "/readyz 503", func() bool { return p.status(t, "/readyz") == http.StatusServiceUnavailable })
	p.signal(t, syscall.SIGTERM)
	p.waitExit(t, 30*time.Second)
	checkWarnedThenClosed(t, bots)
}

// checkWarnedThenClosed checks that every bot heard the restart warning
// and then the 1001 close.
func checkWarnedThenClosed(t *testing.T, bots []*bot) {
	t.Helper()
	waitUntil(t, 5*time.Second, "every bot closed", func() bool {
		for _, b := range bots {
			if code, _ := b.closed(); code == 0 {
				return false
			}
		}
		return true
	})
	for i, b := range bots {
		b.mu.Lock()
		code, closedAt, errs, errAt := b.closeCode, b.closedAt, b.errors, b.errorAt
		b.mu.Unlock()
		if len(errs) != 1 || errs[0].Code != skirmishv1.ErrorCode_ERROR_CODE_SERVER_RESTARTING {
			t.Fatalf("bot %d heard %v, want one ERROR_CODE_SERVER_RESTARTING", i, errs)
		}
		if code != ws.StatusGoingAway || closedAt.Before(errAt[0]) {
			t.Fatalf("bot %d closed with %d at %v, warned at %v; want 1001 after the warning", i, code, closedAt, errAt[0])
		}
	}
}
