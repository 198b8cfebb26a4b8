package server_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobwas/ws"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/skirmishgg/skirmish/game"
	"github.com/skirmishgg/skirmish/game/movers"
	skirmishv1 "github.com/skirmishgg/skirmish/proto/skirmish/v1"
	"github.com/skirmishgg/skirmish/server"
)

// startAdmin serves ts's admin handler on a loopback port and returns its
// base URL.
func startAdmin(t *testing.T, ts *testServer) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	admin := &http.Server{Handler: ts.srv.AdminHandler(false)}
	go func() { _ = admin.Serve(ln) }()
	t.Cleanup(func() { _ = admin.Close() })
	return "http://" + ln.Addr().String()
}

// get fetches url and returns the status and body.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, string(b)
}

// scrape is one parsed /metrics answer.
type scrape struct {
	raw      string
	families map[string]*dto.MetricFamily
}

func scrapeMetrics(t *testing.T, admin string) scrape {
	t.Helper()
	status, body := get(t, admin+"/metrics")
	if status != http.StatusOK {
		t.Fatalf("/metrics: %d %s", status, body)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return scrape{raw: body, families: fams}
}

// value is the value of the series of name with the given label pairs:
// a gauge's or counter's value, a histogram's sample count. It fails the
// test when there is no such series.
func (s scrape) value(t *testing.T, name string, labels ...string) float64 {
	t.Helper()
	v, ok := s.lookup(name, labels...)
	if !ok {
		t.Fatalf("no series %s%v in the scrape", name, labels)
	}
	return v
}

func (s scrape) lookup(name string, labels ...string) (float64, bool) {
	fam := s.families[name]
	if fam == nil {
		return 0, false
	}
next:
	for _, m := range fam.Metric {
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, lp := range m.Label {
				if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

// waitMetric scrapes until cond holds for the scrape.
func waitMetric(t *testing.T, admin, what string, cond func(s scrape) bool) scrape {
	t.Helper()
	var s scrape
	waitFor(t, 5*time.Second, what, func() bool {
		s = scrapeMetrics(t, admin)
		return cond(s)
	})
	return s
}

// TestMetricsFollowAPlayer watches the scrape move as a client connects,
// joins, plays, leaves and closes.
func TestMetricsFollowAPlayer(t *testing.T) {
	ts := startServer(t, server.Config{})
	admin := startAdmin(t, ts)
	s0 := scrapeMetrics(t, admin)
	if v := s0.value(t, "skirmish_connections", "state", "lobby"); v != 0 {
		t.Fatalf("lobby connections before any client: %v", v)
	}
	joins0 := s0.value(t, "skirmish_joins_total", "result", "ok")

	c := dial(t, ts.addr)
	c.hello()
	waitMetric(t, admin, "the client in the lobby", func(s scrape) bool {
		return s.value(t, "skirmish_connections", "state", "lobby") == 1
	})

	c.join("p", "movers", "metrics")
	s := waitMetric(t, admin, "the player in its room", func(s scrape) bool {
		return s.value(t, "skirmish_connections", "state", "room") == 1 &&
			s.value(t, "skirmish_connections", "state", "lobby") == 0 &&
			s.value(t, "skirmish_players", "mode", "movers") == 1 &&
			s.value(t, "skirmish_rooms", "mode", "movers") == 1
	})
	if got := s.value(t, "skirmish_joins_total", "result", "ok"); got != joins0+1 {
		t.Fatalf("joins ok %v, want %v", got, joins0+1)
	}
	if got := s.value(t, "skirmish_rooms_opened_total", "mode", "movers"); got != 1 {
		t.Fatalf("rooms opened %v, want 1", got)
	}

	// Play: inputs that acknowledge the snapshots received, so that the
	// room sends deltas.
	var ack uint32
	for seq := uint32(1); seq <= 30; seq++ {
		m := c.until(2*time.Second, "snapshot", func(m *skirmishv1.ServerMessage) bool { return m.GetSnapshot() != nil })
		ack = m.GetSnapshot().Tick
		c.send(&skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Input{Input: &skirmishv1.Input{Seq: seq, Dx: 1, AckTick: ack}}})
	}
	before := s
	s = waitMetric(t, admin, "the play in the counters", func(s scrape) bool {
		return s.value(t, "skirmish_inputs_total", "result", "queued") >= 30 &&
			s.value(t, "skirmish_snapshot_bytes", "kind", "delta") > 0 &&
			s.value(t, "skirmish_baseline_age_ticks") > 0
	})
	for _, g := range []struct {
		name   string
		labels []string
	}{
		{"skirmish_tick_seconds", []string{"mode", "movers"}},
		{"skirmish_ticks_total", nil},
		{"skirmish_frames_total", []string{"direction", "in"}},
		{"skirmish_frames_total", []string{"direction", "out"}},
		{"skirmish_bytes_total", []string{"direction", "in"}},
		{"skirmish_bytes_total", []string{"direction", "out"}},
	} {
		if b, a := before.value(t, g.name, g.labels...), s.value(t, g.name, g.labels...); a <= b {
			t.Errorf("%s%v did not grow while playing: %v then %v", g.name, g.labels, b, a)
		}
	}
	if v := s.value(t, "skirmish_snapshot_bytes", "kind", "full"); v < 1 {
		t.Errorf("no full snapshot counted (a new player's first is full)")
	}
	if v := s.value(t, "skirmish_inputs_total", "result", "outside_room"); v != 0 {
		t.Errorf("inputs outside a room: %v", v)
	}

	c.send(&skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Leave{Leave: &skirmishv1.Leave{}}})
	waitMetric(t, admin, "the player gone from the room", func(s scrape) bool {
		return s.value(t, "skirmish_players", "mode", "movers") == 0 &&
			s.value(t, "skirmish_connections", "state", "lobby") == 1
	})

	closes0 := s.value(t, "skirmish_closes_total", "code", "1000")
	if err := ws.WriteFrame(c.conn, ws.MaskFrame(ws.NewCloseFrame(ws.NewCloseFrameBody(ws.StatusNormalClosure, "bye")))); err != nil {
		t.Fatal(err)
	}
	waitMetric(t, admin, "the close counted", func(s scrape) bool {
		return s.value(t, "skirmish_closes_total", "code", "1000") == closes0+1 &&
			s.value(t, "skirmish_connections", "state", "lobby") == 0 &&
			s.value(t, "skirmish_connections", "state", "closing")+s.value(t, "skirmish_connections", "state", "room") == 0
	})
}

// TestJoinAndResumeResultsCounted checks the result labels of refused
// joins and resumes.
func TestJoinAndResumeResultsCounted(t *testing.T) {
	ts := startServer(t, server.Config{})
	admin := startAdmin(t, ts)
	c := dial(t, ts.addr)
	c.hello()
	if e := c.joinWith(&skirmishv1.Join{Mode: "no-such-mode"}).GetError(); e.GetCode() != skirmishv1.ErrorCode_ERROR_CODE_UNKNOWN_MODE {
		t.Fatalf("join of an unknown mode: %v", e)
	}
	if e := c.joinWith(&skirmishv1.Join{ResumeToken: "forged"}).GetError(); e.GetCode() != skirmishv1.ErrorCode_ERROR_CODE_SESSION_INVALID {
		t.Fatalf("resume with a forged token: %v", e)
	}
	s := scrapeMetrics(t, admin)
	if v := s.value(t, "skirmish_joins_total", "result", "unknown_mode"); v != 1 {
		t.Errorf("joins unknown_mode %v, want 1", v)
	}
	if v := s.value(t, "skirmish_resumes_total", "result", "session_invalid"); v != 1 {
		t.Errorf("resumes session_invalid %v, want 1", v)
	}
	if v := s.value(t, "skirmish_joins_total", "result", "ok"); v != 0 {
		t.Errorf("joins ok %v, want 0", v)
	}
}

// TestHealthAndReadiness checks /healthz and /readyz, and /readyz at the
// connection limit and while draining.
func TestHealthAndReadiness(t *testing.T) {
	ts := startServer(t, server.Config{MaxConns: 2})
	admin := startAdmin(t, ts)
	if status, body := get(t, admin+"/healthz"); status != http.StatusOK {
		t.Fatalf("/healthz: %d %s", status, body)
	}
	if status, body := get(t, admin+"/readyz"); status != http.StatusOK {
		t.Fatalf("/readyz: %d %s", status, body)
	}
	a := dial(t, ts.addr)
	a.hello()
	b := dial(t, ts.addr)
	b.hello()
	status, body := get(t, admin+"/readyz")
	if status != http.StatusServiceUnavailable || !strings.Contains(body, "connection limit") {
		t.Fatalf("/readyz at the connection limit: %d %s", status, body)
	}
	if status, _ := get(t, admin+"/healthz"); status != http.StatusOK {
		t.Fatalf("/healthz at the connection limit: %d (a full server is healthy)", status)
	}
	b.conn.Close()
	waitFor(t, 5*time.Second, "ready again below the limit", func() bool {
		status, _ := get(t, admin+"/readyz")
		return status == http.StatusOK
	})

	resp, err := http.Post(admin+"/drain", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /drain: %d", resp.StatusCode)
	}
	select {
	case <-ts.srv.Draining():
	default:
		t.Fatal("Draining not closed after POST /drain")
	}
	status, body = get(t, admin+"/readyz")
	if status != http.StatusServiceUnavailable || !strings.Contains(body, "draining") {
		t.Fatalf("/readyz while draining: %d %s", status, body)
	}
	if v := scrapeMetrics(t, admin).value(t, "skirmish_draining"); v != 1 {
		t.Fatalf("skirmish_draining %v while draining", v)
	}
	if status, _ := get(t, admin+"/healthz"); status != http.StatusOK {
		t.Fatalf("/healthz while draining: %d (a draining server is healthy)", status)
	}
}

// stuckMode is movers whose Step blocks until release is closed, once
// hold is set: a room loop stuck in a tick.
type stuckMode struct {
	game.Mode
	hold    *atomic.Bool
	release chan struct{}
}

func (m *stuckMode) Step(dt float64) {
	if m.hold.Load() {
		<-m.release
	}
	m.Mode.Step(dt)
}

// TestHealthzNamesAStuckRoom makes a room's loop hang in a tick: /healthz
// fails and names it, and recovers when the loop does.
func TestHealthzNamesAStuckRoom(t *testing.T) {
	var hold atomic.Bool
	release := make(chan struct{})
	ts := startServerWith(t, server.Config{StallTimeout: 50 * time.Millisecond}, game.HubConfig{
		Modes: map[string]game.ModeSpec{"stuck": {New: func(c game.ModeConfig) game.Mode {
			return &stuckMode{Mode: movers.New(c), hold: &hold, release: release}
		}}},
	})
	var once sync.Once
	unblock := func() { hold.Store(false); once.Do(func() { close(release) }) }
	t.Cleanup(unblock) // before the server's cleanup closes the hub
	admin := startAdmin(t, ts)
	c := dial(t, ts.addr)
	c.hello()
	c.join("p", "stuck", "hangs")
	c.until(2*time.Second, "a snapshot", func(m *skirmishv1.ServerMessage) bool { return m.GetSnapshot() != nil })
	if status, body := get(t, admin+"/healthz"); status != http.StatusOK {
		t.Fatalf("/healthz with a ticking room: %d %s", status, body)
	}
	hold.Store(true)
	waitFor(t, 5*time.Second, "/healthz to name the stuck room", func() bool {
		status, body := get(t, admin+"/healthz")
		return status == http.StatusServiceUnavailable && strings.Contains(body, "rooms: 1 stuck") && strings.Contains(body, "hangs")
	})
	unblock()
	waitFor(t, 5*time.Second, "/healthz to recover", func() bool {
		status, _ := get(t, admin+"/healthz")
		return status == http.StatusOK
	})
}

// TestScrapePassesPromtool lints a real scrape, taken after a player has
// played (so that every histogram has samples), with Prometheus's own
// linter. make test requires promtool (Debian's prometheus package);
// elsewhere the test is skipped without it.
func TestScrapePassesPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("SKIRMISH_REQUIRE_PROMTOOL") != "" {
			t.Fatal("promtool not found: install Debian's prometheus package")
		}
		t.Skip("promtool not found (Debian's prometheus package)")
	}
	s := scrapeAfterPlay(t)
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(s.raw)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("promtool check metrics: %v\n%s", err, out.String())
	}
}

// TestDrainKeepsRoomsAndResumesRefusesNewPlayers drains a server with a
// player in a room: the room plays on, a resume is taken, a new player is
// refused, and Drain returns once the player leaves.
func TestDrainKeepsRoomsAndResumesRefusesNewPlayers(t *testing.T) {
	ts := startServer(t, server.Config{})
	admin := startAdmin(t, ts)
	a := dial(t, ts.addr)
	a.hello()
	w := a.join("a", "movers", "drain")
	ts.srv.StartDrain()

	b := dial(t, ts.addr)
	b.hello()
	for _, j := range []*skirmishv1.Join{{Name: "b", Mode: "movers", Room: "drain"}, {Spectate: true, Room: "drain"}, {Name: "b"}} {
		e := b.joinWith(j).GetError()
		if e.GetCode() != skirmishv1.ErrorCode_ERROR_CODE_DRAINING {
			t.Fatalf("join %v while draining: %v, want ERROR_CODE_DRAINING", j, e)
		}
	}
	if v := scrapeMetrics(t, admin).value(t, "skirmish_joins_total", "result", "draining"); v != 3 {
		t.Fatalf("joins refused for draining: %v, want 3", v)
	}
	// The room plays on.
	tick := a.until(2*time.Second, "snapshot", func(m *skirmishv1.ServerMessage) bool { return m.GetSnapshot() != nil }).GetSnapshot().Tick
	a.until(2*time.Second, "a later snapshot", func(m *skirmishv1.ServerMessage) bool { return m.GetSnapshot().GetTick() > tick+3 })

	drained := make(chan error, 1)
	go func() { drained <- ts.srv.Drain(t.Context()) }()

	// The player's connection drops; it resumes on a new one.
	a.conn.Close()
	again := dial(t, ts.addr)
	again.hello()
	w2 := again.joinWith(&skirmishv1.Join{ResumeToken: w.SessionToken}).GetWelcome()
	if w2 == nil || !w2.Resumed || w2.PlayerId != w.PlayerId {
		t.Fatalf("resume while draining: %v", w2)
	}
	select {
	case err := <-drained:
		t.Fatalf("Drain returned (%v) with a player in a room", err)
	default:
	}
	again.send(&skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Leave{Leave: &skirmishv1.Leave{}}})
	select {
	case err := <-drained:
		if err != nil {
			t.Fatalf("Drain: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Drain did not return after the last player left")
	}
}

// TestDrainDeadlineWarnsThePlayers runs a drain that ends before the
// room does: the player hears ERROR_CODE_SERVER_RESTARTING before the
// deadline, and Shutdown then closes it with 1001.
func TestDrainDeadlineWarnsThePlayers(t *testing.T) {
	ts := startServer(t, server.Config{DrainWarning: 200 * time.Millisecond})
	a := dial(t, ts.addr)
	a.hello()
	a.join("a", "movers", "late")
	ctx, cancel := context.WithTimeout(t.Context(), 400*time.Millisecond)
	defer cancel()
	drained := make(chan error, 1)
	go func() { drained <- ts.srv.Drain(ctx) }()
	e := a.until(5*time.Second, "the restart warning", func(m *skirmishv1.ServerMessage) bool { return m.GetError() != nil }).GetError()
	if e.Code != skirmishv1.ErrorCode_ERROR_CODE_SERVER_RESTARTING || !strings.Contains(e.Message, "restart") {
		t.Fatalf("warning %v", e)
	}
	if err := <-drained; !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Drain: %v, want the deadline", err)
	}
	go func() { _ = ts.srv.Shutdown(context.Background()) }()
	if code := a.closeCode(5 * time.Second); code != ws.StatusGoingAway {
		t.Fatalf("close code %d after the drain, want 1001", code)
	}
}

// scrapeAfterPlay scrapes a server after a player has played in a room,
// acknowledging snapshots: every series the server has exists, with
// samples in every histogram.
func scrapeAfterPlay(t *testing.T) scrape {
	t.Helper()
	ts := startServer(t, server.Config{})
	admin := startAdmin(t, ts)
	c := dial(t, ts.addr)
	c.hello()
	c.join("p", "movers", "played")
	for seq := uint32(1); seq <= 5; seq++ {
		m := c.until(2*time.Second, "snapshot", func(m *skirmishv1.ServerMessage) bool { return m.GetSnapshot() != nil })
		c.send(&skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Input{Input: &skirmishv1.Input{Seq: seq, AckTick: m.GetSnapshot().Tick}}})
	}
	return waitMetric(t, admin, "a delta snapshot", func(s scrape) bool {
		return s.value(t, "skirmish_snapshot_bytes", "kind", "delta") > 0
	})
}
