package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
	"golang.org/x/sys/unix"
	"google.golang.org/protobuf/proto"

	"github.com/skirmishgg/skirmish/game"
	"github.com/skirmishgg/skirmish/game/modes"
	"github.com/skirmishgg/skirmish/game/movers"
	skirmishv1 "github.com/skirmishgg/skirmish/proto/skirmish/v1"
	"github.com/skirmishgg/skirmish/proto/wire"
	"github.com/skirmishgg/skirmish/server"
)

// The set-up every test of the server shares: a real server on a
// loopback port, and clients of it; the test modes its hub runs besides
// the shipped ones; frames and messages built by hand.

// testServer is a real server on a loopback port.
type testServer struct {
	srv  *server.Server
	hub  *game.Hub
	addr string
}

func startServer(t *testing.T, cfg server.Config) *testServer {
	return startServerWith(t, cfg, game.HubConfig{})
}

// startServerWith starts a server whose hub has hc's settings on top of
// the test modes (arena, movers, and "buggy", which panics at its 10th
// tick, besides hc.Modes) and session tokens.
func startServerWith(t *testing.T, cfg server.Config, hc game.HubConfig) *testServer {
	t.Helper()
	sessions, err := server.NewSessions(nil)
	if err != nil {
		t.Fatal(err)
	}
	extra := hc.Modes
	hc.Modes = modes.Shipped()
	maps.Copy(hc.Modes, extra)
	hc.Modes["buggy"] = game.ModeSpec{New: func(c game.ModeConfig) game.Mode { return &buggyMode{Mode: movers.New(c)} }}
	hc.Modes["crowd"] = game.ModeSpec{New: newCrowdMode}
	hc.DefaultMode = modes.Default
	hc.NewLink = server.NewLink
	hc.Sessions = sessions
	if cfg.Rooms == nil {
		cfg.Rooms = server.NewRoomObserver(cfg.Logger)
	}
	hc.Observer = cfg.Rooms
	hub := game.NewHub(hc)
	cfg.Hub = hub
	if cfg.Handler == nil {
		cfg.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "page %s", r.URL.Path)
		})
	}
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	ts := &testServer{srv: srv, hub: hub, addr: ln.Addr().String()}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		hub.Close()
	})
	return ts
}

// startServerHandler starts a server whose pages h serves.
func startServerHandler(t *testing.T, cfg server.Config, h http.Handler) *testServer {
	cfg.Handler = h
	return startServer(t, cfg)
}

func jsonDecode(resp *http.Response, v any) error {
	return json.NewDecoder(resp.Body).Decode(v)
}

// client is a test WebSocket client built on the generated code.
type client struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func dial(t *testing.T, addr string) *client {
	t.Helper()
	return dialWith(t, ws.DefaultDialer, addr)
}

func dialWith(t *testing.T, d ws.Dialer, addr string) *client {
	t.Helper()
	conn, br, _, err := d.Dial(context.Background(), "ws://"+addr+"/ws")
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	if br == nil {
		br = bufio.NewReader(conn)
	}
	return &client{t: t, conn: conn, r: br}
}

// in returns c for use in (sub)test t: its failures end t, on t's
// goroutine, never a parent test from a subtest.
func (c *client) in(t *testing.T) *client {
	cc := *c
	cc.t = t
	return &cc
}

func (c *client) send(m *skirmishv1.ClientMessage) {
	c.t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := wsutil.WriteClientBinary(c.conn, b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// recv reads the next server message within d.
func (c *client) recv(d time.Duration) (*skirmishv1.ServerMessage, error) {
	_ = c.conn.SetReadDeadline(time.Now().Add(d))
	rd := wsutil.Reader{Source: c.r, State: ws.StateClientSide, CheckUTF8: true,
		OnIntermediate: wsutil.ControlFrameHandler(c.conn, ws.StateClientSide)}
	for {
		h, err := rd.NextFrame()
		if err != nil {
			return nil, err
		}
		if h.OpCode.IsControl() {
			if err := rd.OnIntermediate(h, &rd); err != nil {
				return nil, err
			}
			continue
		}
		b, err := io.ReadAll(&rd)
		if err != nil {
			return nil, err
		}
		var m skirmishv1.ServerMessage
		if err := proto.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("unmarshal: %w", err)
		}
		return &m, nil
	}
}

// until reads messages until pred is true or d passes.
func (c *client) until(d time.Duration, what string, pred func(*skirmishv1.ServerMessage) bool) *skirmishv1.ServerMessage {
	c.t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		m, err := c.recv(time.Until(deadline))
		if err != nil {
			c.t.Fatalf("waiting for %s: %v", what, err)
		}
		if pred(m) {
			return m
		}
	}
	c.t.Fatalf("no %s within %v", what, d)
	return nil
}

// closeCode reads until the server closes, within d, and returns its
// close code.
func (c *client) closeCode(d time.Duration) ws.StatusCode {
	c.t.Helper()
	deadline := time.Now().Add(d)
	for {
		_, err := c.recv(time.Until(deadline))
		var ce wsutil.ClosedError
		if errors.As(err, &ce) {
			return ce.Code
		}
		if err != nil {
			c.t.Fatalf("expected a close frame, got %v", err)
		}
	}
}

func (c *client) hello() {
	c.t.Helper()
	c.send(&skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Hello{Hello: &skirmishv1.Hello{ProtocolVersion: 1, Client: "test"}}})
	c.until(5*time.Second, "server hello", func(m *skirmishv1.ServerMessage) bool { return m.GetHello() != nil })
}

func (c *client) join(name, mode, room string) *skirmishv1.Welcome {
	c.t.Helper()
	c.send(&skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Join{Join: &skirmishv1.Join{Name: name, Mode: mode, Room: room}}})
	m := c.until(5*time.Second, "welcome", func(m *skirmishv1.ServerMessage) bool {
		if e := m.GetError(); e != nil {
			c.t.Fatalf("join refused: %v", e)
		}
		return m.GetWelcome() != nil
	})
	return m.GetWelcome()
}

func (c *client) input(seq uint32, dx, dy float32) {
	c.send(&skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Input{Input: &skirmishv1.Input{Seq: seq, Dx: dx, Dy: dy}}})
}

// entityX returns the x of entity id in a snapshot world, reconstructing
// full snapshots only (the server sends full snapshots to these clients).
func entityX(t *testing.T, s *skirmishv1.Snapshot, id uint32) (int32, bool) {
	t.Helper()
	if s == nil {
		return 0, false
	}
	world, err := wire.ApplySnapshot(nil, nil, s, game.DefaultTickRate)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range world {
		if e.ID == id {
			return e.X, true
		}
	}
	return 0, false
}

// rsvFrame is a client frame of op with the given RSV bits.
func rsvFrame(rsv byte, op ws.OpCode) []byte {
	f := ws.NewFrame(op, true, []byte{1})
	f.Header.Rsv = rsv
	b, err := ws.CompileFrame(ws.MaskFrameInPlace(f))
	if err != nil {
		panic(err)
	}
	return b
}

// maskedFrame builds a client frame.
func maskedFrame(op ws.OpCode, fin bool, payload []byte) []byte {
	f := ws.NewFrame(op, fin, append([]byte(nil), payload...))
	f = ws.MaskFrameInPlace(f)
	b, err := ws.CompileFrame(f)
	if err != nil {
		panic(err)
	}
	return b
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// serverSocketFDs counts this process's fds that are the accepting end of
// a TCP connection on port: sockets whose local port is port and that do
// not listen. A connection costs the server one; a dup of it would count
// twice.
func serverSocketFDs(t *testing.T, port int) int {
	t.Helper()
	inodes := map[string]bool{}
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		data, err := os.ReadFile(table)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n")[1:] {
			f := strings.Fields(line)                       // sl local remote st ... uid timeout inode
			if len(f) < 10 || f[3] == "0A" || f[9] == "0" { // 0A: LISTEN
				continue
			}
			_, hexPort, _ := strings.Cut(f[1], ":")
			if p, err := strconv.ParseUint(hexPort, 16, 16); err == nil && int(p) == port {
				inodes[f[9]] = true
			}
		}
	}
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		target, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err != nil {
			continue // closed meanwhile
		}
		if inode, ok := strings.CutPrefix(target, "socket:["); ok && inodes[strings.TrimSuffix(inode, "]")] {
			n++
		}
	}
	return n
}

// buggyMode panics at its 10th tick, like a mode with a bug.
type buggyMode struct {
	game.Mode
	steps int
}

func (m *buggyMode) Step(dt float64) {
	if m.steps++; m.steps == 10 {
		panic("buggy mode")
	}
	m.Mode.Step(dt)
}

func (c *client) joinWith(j *skirmishv1.Join) *skirmishv1.ServerMessage {
	c.t.Helper()
	c.send(&skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Join{Join: j}})
	return c.until(5*time.Second, "welcome or error", func(m *skirmishv1.ServerMessage) bool {
		return m.GetWelcome() != nil || m.GetError() != nil
	})
}

// waitFor polls cond until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %v", what, d)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func pingMsg(t *testing.T, us uint64) []byte {
	b, err := proto.Marshal(&skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Ping{Ping: &skirmishv1.Ping{ClientTimeUs: us}}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func helloMsg(t *testing.T) []byte {
	b, err := proto.Marshal(&skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Hello{Hello: &skirmishv1.Hello{ProtocolVersion: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// upgradeRaw upgrades a raw connection with optional extra headers and
// returns a reader positioned after the 101 response.
func upgradeRaw(t *testing.T, c net.Conn, headers ...string) *bufio.Reader {
	t.Helper()
	req := "GET /ws HTTP/1.1\r\nHost: " + c.RemoteAddr().String() + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
	for _, h := range headers {
		req += h + "\r\n"
	}
	if _, err := c.Write([]byte(req + "\r\n")); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %s", resp.Status)
	}
	return br
}

// frame reads the next raw frame from the server within d, unmasked as
// it came: control frames too, which recv answers and skips.
func (c *client) frame(d time.Duration) ws.Frame {
	c.t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(d))
	f, err := ws.ReadFrame(c.r)
	if err != nil {
		c.t.Fatalf("reading a frame: %v", err)
	}
	return f
}

// pongs reads frames until a pong carrying want arrives within d. Every
// pong must be unmasked (a server frame) and carry the payload of one of
// the pings sent (RFC 6455 §5.5.3 lets a server answer only the newest of
// several).
func (c *client) pongs(d time.Duration, want string, sent ...string) {
	c.t.Helper()
	deadline := time.Now().Add(d)
	for {
		f := c.frame(time.Until(deadline))
		switch f.Header.OpCode {
		case ws.OpPong:
		case ws.OpClose:
			c.t.Fatalf("closed while waiting for a pong: %v", f.Payload)
		default:
			continue
		}
		if f.Header.Masked {
			c.t.Fatal("the server's pong is masked")
		}
		got := string(f.Payload)
		if got == want {
			return
		}
		known := false
		for _, s := range sent {
			known = known || s == got
		}
		if !known {
			c.t.Fatalf("pong carries %q, which no ping sent", got)
		}
	}
}

// crowdEntities is how many still entities a "crowd" room adds to its
// players: its full snapshots are several kilobytes, so a client that
// stops reading fills its socket within a few ticks.
const crowdEntities = 600

// crowdMode is movers plus crowdEntities entities that never move, with
// ids above any player's.
type crowdMode struct{ game.Mode }

func newCrowdMode(c game.ModeConfig) game.Mode { return crowdMode{movers.New(c)} }

func (crowdMode) Name() string { return "crowd" }

func (m crowdMode) AppendEntities(dst []wire.Entity) []wire.Entity {
	dst = m.Mode.AppendEntities(dst)
	for i := range int32(crowdEntities) {
		dst = append(dst, wire.Entity{ID: 1<<24 + uint32(i), Kind: wire.KindPlayer, X: i * 40, Y: i * 7, HP: 100})
	}
	return dst
}

// dialSlow connects a client whose socket buffers only a few kilobytes
// (SO_RCVBUF set before connecting turns autotuning off): once it stops
// reading, the server's writes back up within a few snapshots.
func dialSlow(t *testing.T, addr string) *client {
	t.Helper()
	d := ws.Dialer{NetDial: func(ctx context.Context, network, addr string) (net.Conn, error) {
		nd := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
			var serr error
			err := rc.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, 4096) })
			if err != nil {
				return err
			}
			return serr
		}}
		return nd.DialContext(ctx, network, addr)
	}}
	return dialWith(t, d, addr)
}

// snapshotsGoOn checks that c still receives snapshots of advancing ticks.
func (c *client) snapshotsGoOn() {
	c.t.Helper()
	tick := func() uint32 {
		return c.until(5*time.Second, "snapshot", func(m *skirmishv1.ServerMessage) bool { return m.GetSnapshot() != nil }).GetSnapshot().Tick
	}
	if t1, t2 := tick(), tick(); t2 <= t1 {
		c.t.Fatalf("ticks did not advance: %d then %d", t1, t2)
	}
}
