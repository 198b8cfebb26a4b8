package main

import (
	"bufio"
	"bytes"
	"context"
	"debug/buildinfo"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
	"google.golang.org/protobuf/proto"

	skirmishv1 "github.com/skirmishgg/skirmish/proto/skirmish/v1"
)

// These tests run the real binary, built by TestMain (with the race
// detector when the tests run with it), as an operator would.

var (
	binary   string
	buildErr error
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "skirmish-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "temp dir:", err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "skirmish")
	args := []string{"build", "-o", binary}
	if raceEnabled {
		args = append(args, "-race")
	}
	if out, err := exec.Command("go", append(args, ".")...).CombinedOutput(); err != nil {
		buildErr = fmt.Errorf("go build: %w\n%s", err, out)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// process is the running binary and its output.
type process struct {
	cmd    *exec.Cmd
	addr   string
	mu     sync.Mutex
	output bytes.Buffer // stdout and stderr
	exited chan struct{}
}

func (p *process) logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.output.String()
}

func (p *process) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.output.Write(b)
}

var servingLine = regexp.MustCompile(`skirmish: serving http://([^/\s]+)/`)

// start runs the binary on a port of the kernel's choosing and waits until
// it says where it serves.
func start(t *testing.T, args ...string) *process {
	t.Helper()
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	p := &process{exited: make(chan struct{})}
	p.cmd = exec.Command(binary, append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	p.cmd.Stderr = p
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() { // owns stdout until the process closes it
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			fmt.Fprintln(p, sc.Text())
			if m := servingLine.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
		_ = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.exited
		if t.Failed() {
			t.Logf("server output:\n%s", p.logs())
		}
	})
	select {
	case p.addr = <-addr:
	case <-p.exited:
		t.Fatalf("the server exited before serving: %v\n%s", p.cmd.ProcessState, p.logs())
	case <-time.After(30 * time.Second):
		t.Fatalf("the server said nothing of serving within 30 s:\n%s", p.logs())
	}
	return p
}

// wsClient is a minimal game client.
type wsClient struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func dial(t *testing.T, addr string) *wsClient {
	t.Helper()
	conn, br, _, err := ws.Dial(context.Background(), "ws://"+addr+"/ws")
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	if br == nil {
		br = bufio.NewReader(conn)
	}
	return &wsClient{t: t, conn: conn, r: br}
}

func (c *wsClient) send(m *skirmishv1.ClientMessage) {
	c.t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := wsutil.WriteClientBinary(c.conn, b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// await reads frames until a message satisfies pred.
func (c *wsClient) await(what string, pred func(*skirmishv1.ServerMessage) bool) {
	c.t.Helper()
	for {
		f := c.next(what)
		if f.Header.OpCode != ws.OpBinary {
			continue
		}
		var m skirmishv1.ServerMessage
		if err := proto.Unmarshal(f.Payload, &m); err != nil {
			c.t.Fatalf("waiting for %s: %v", what, err)
		}
		if pred(&m) {
			return
		}
	}
}

func (c *wsClient) next(what string) ws.Frame {
	c.t.Helper()
	f, err := ws.ReadFrame(c.r)
	if err != nil {
		c.t.Fatalf("waiting for %s: %v", what, err)
	}
	return f
}

// closeCode reads frames until the server's close frame and returns its
// code.
func (c *wsClient) closeCode() ws.StatusCode {
	c.t.Helper()
	for {
		if f := c.next("a close frame"); f.Header.OpCode == ws.OpClose {
			code, _ := ws.ParseCloseFrameData(f.Payload)
			return code
		}
	}
}

func (c *wsClient) hello() {
	c.t.Helper()
	c.send(&skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Hello{Hello: &skirmishv1.Hello{ProtocolVersion: 1, Client: "signal test"}}})
	c.await("server hello", func(m *skirmishv1.ServerMessage) bool { return m.GetHello() != nil })
}

func (c *wsClient) join(room string) {
	c.t.Helper()
	c.send(&skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Join{Join: &skirmishv1.Join{Name: "p", Mode: "movers", Room: room}}})
	c.await("welcome", func(m *skirmishv1.ServerMessage) bool {
		if e := m.GetError(); e != nil {
			c.t.Fatalf("join refused: %v", e)
		}
		return m.GetWelcome() != nil
	})
}

// TestSIGTERMClosesClientsWithGoingAway sends a real SIGTERM to the real
// binary: every client, in a room or in the lobby, gets close code 1001,
// including one that never answers the close frame, and the process exits
// with status 0.
func TestSIGTERMClosesClientsWithGoingAway(t *testing.T) {
	p := start(t)
	players := []*wsClient{dial(t, p.addr), dial(t, p.addr)}
	for _, c := range players {
		c.hello()
		c.join("sigterm")
	}
	lobby, mute := dial(t, p.addr), dial(t, p.addr)
	lobby.hello()
	mute.hello()
	mute.join("sigterm") // and reads nothing from here on

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for i, c := range append(players, lobby) {
		_ = c.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		if got := c.closeCode(); got != ws.StatusGoingAway {
			t.Errorf("client %d closed with %d, want 1001", i, got)
		}
		// Answer, as a client does.
		_ = ws.WriteFrame(c.conn, ws.MaskFrame(ws.NewCloseFrame(ws.NewCloseFrameBody(ws.StatusGoingAway, ""))))
	}
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not exit within 30 s of SIGTERM")
	}
	st := p.cmd.ProcessState
	if w, ok := st.Sys().(syscall.WaitStatus); ok && w.Signaled() {
		t.Fatalf("the server died of %v instead of shutting down", w.Signal())
	}
	if st.ExitCode() != 0 { // 66 would be a data race the detector found
		t.Fatalf("exit status %d, want 0", st.ExitCode())
	}
	// The mute client's close frame is in its socket buffer.
	_ = mute.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if got := mute.closeCode(); got != ws.StatusGoingAway {
		t.Errorf("the client that never answered got %d, want 1001", got)
	}
}

// TestBinaryBuiltWithTheTestsRaceDetector: the binary the tests run has
// the race detector when they do.
func TestBinaryBuiltWithTheTestsRaceDetector(t *testing.T) {
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	info, err := buildinfo.ReadFile(binary)
	if err != nil {
		t.Fatal(err)
	}
	race := false
	for _, s := range info.Settings {
		race = race || s.Key == "-race" && s.Value == "true"
	}
	if race != raceEnabled {
		t.Fatalf("binary built with -race=%v, tests run with -race=%v", race, raceEnabled)
	}
}
