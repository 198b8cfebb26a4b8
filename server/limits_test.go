package server_test

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"google.golang.org/protobuf/proto"

	skirmishv1 "github.com/skirmishgg/skirmish/proto/skirmish/v1"
	"github.com/skirmishgg/skirmish/server"
)

// TestFloodingConnectionDoesNotStarveOthers floods the server from one
// connection as fast as the socket takes it, with limits high enough that
// the flood is never cut off, and a single worker: a second client must
// still get its Hello and Pong answered, because a connection keeps a
// worker for one read budget per turn.
func TestFloodingConnectionDoesNotStarveOthers(t *testing.T) {
	ts := startServer(t, server.Config{Workers: 1, Rates: server.RateLimits{
		MessageRate: 1e9, MessageBurst: 1e9, ByteRate: 1e9, ByteBurst: 1e9,
	}})
	flooder := dial(t, ts.addr)
	flooder.hello()
	chunk := make([]byte, 0, 64<<10)
	for len(chunk) < 60<<10 {
		chunk = append(chunk, maskedFrame(ws.OpBinary, true, pingMsg(t, 1))...)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // the flood
		defer wg.Done()
		for ctx.Err() == nil {
			if _, err := flooder.conn.Write(chunk); err != nil {
				return
			}
		}
	}()
	go func() { // drain the pongs so the flood is not slowed by our side
		defer wg.Done()
		buf := make([]byte, 64<<10)
		for ctx.Err() == nil {
			_ = flooder.conn.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
			_, _ = flooder.conn.Read(buf)
		}
	}()
	defer func() { cancel(); flooder.conn.Close(); wg.Wait() }()
	waitFor(t, 10*time.Second, "flood under way", func() bool { return ts.srv.Stats().BytesIn > 1<<20 })

	other := dial(t, ts.addr)
	other.send(&skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Hello{Hello: &skirmishv1.Hello{ProtocolVersion: 1}}})
	other.until(5*time.Second, "server hello", func(m *skirmishv1.ServerMessage) bool { return m.GetHello() != nil })
	other.send(&skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Ping{Ping: &skirmishv1.Ping{ClientTimeUs: 42}}})
	other.until(5*time.Second, "pong", func(m *skirmishv1.ServerMessage) bool { return m.GetPong().GetClientTimeUs() == 42 })
}

// TestInputFloodDroppedThenClosed sends inputs far faster than the room's
// tick rate allows: the excess is dropped and counted, and a connection
// that keeps it up is closed with 1008. A client sending one input per
// tick next to it is never limited.
func TestInputFloodDroppedThenClosed(t *testing.T) {
	ts := startServer(t, server.Config{})
	good, bad := dial(t, ts.addr), dial(t, ts.addr)
	good.hello()
	bad.hello()
	good.join("good", "movers", "flood")
	bad.join("bad", "movers", "flood")
	var flood []byte
	for seq := uint32(1); seq <= 400; seq++ {
		b, _ := proto.Marshal(&skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Input{Input: &skirmishv1.Input{Seq: seq}}})
		flood = append(flood, maskedFrame(ws.OpBinary, true, b)...)
	}
	if _, err := bad.conn.Write(flood); err != nil {
		t.Fatal(err)
	}
	if got := bad.closeCode(3 * time.Second); got != ws.StatusPolicyViolation {
		t.Fatalf("flooder closed with %d, want 1008", got)
	}
	st := ts.srv.Stats()
	if st.RateLimited == 0 || st.RateClosed != 1 {
		t.Fatalf("rate_limited %d, rate_closed %d; want > 0 and 1", st.RateLimited, st.RateClosed)
	}
	before := ts.srv.Stats().RateLimited
	for seq := uint32(1); seq <= 30; seq++ {
		good.input(seq, 1, 0)
		good.until(time.Second, "snapshot", func(m *skirmishv1.ServerMessage) bool { return m.GetSnapshot() != nil })
	}
	good.until(time.Second, "input_ack 30", func(m *skirmishv1.ServerMessage) bool { return m.InputAck == 30 })
	if after := ts.srv.Stats().RateLimited; after != before {
		t.Fatalf("a client at one input per tick was limited %d times", after-before)
	}
}

// TestJoinsAreRateLimited sends Joins back to back: past the burst they
// are refused with RATE_LIMITED and the connection stays open.
func TestJoinsAreRateLimited(t *testing.T) {
	ts := startServer(t, server.Config{})
	c := dial(t, ts.addr)
	c.hello()
	for i := range server.DefaultJoinBurst + 2 {
		c.send(&skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Join{Join: &skirmishv1.Join{Mode: "movers", Room: "r" + string(rune('a'+i))}}})
	}
	c.until(3*time.Second, "RATE_LIMITED", func(m *skirmishv1.ServerMessage) bool {
		return m.GetError().GetCode() == skirmishv1.ErrorCode_ERROR_CODE_RATE_LIMITED
	})
	c.send(&skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Ping{Ping: &skirmishv1.Ping{ClientTimeUs: 7}}})
	c.until(time.Second, "pong after the refusal", func(m *skirmishv1.ServerMessage) bool { return m.GetPong().GetClientTimeUs() == 7 })
}

// TestGuessingRoomCodesIsCutOff spectates rooms that do not exist until
// the server closes the connection.
func TestGuessingRoomCodesIsCutOff(t *testing.T) {
	ts := startServer(t, server.Config{Rates: server.RateLimits{JoinRate: 1000, JoinBurst: 1000}})
	c := dial(t, ts.addr)
	c.hello()
	for i := range 12 {
		c.send(&skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Join{Join: &skirmishv1.Join{Spectate: true, Room: "nope" + string(rune('a'+i))}}})
	}
	if got := c.closeCode(3 * time.Second); got != ws.StatusPolicyViolation {
		t.Fatalf("close %d, want 1008", got)
	}
	if st := ts.srv.Stats(); st.LookupsClosed != 1 {
		t.Fatalf("lookups_closed %d, want 1", st.LookupsClosed)
	}
}

// TestPingsOfOneReadAnsweredOnce sends ten WebSocket pings in one write:
// one pong comes back, carrying the newest payload.
func TestPingsOfOneReadAnsweredOnce(t *testing.T) {
	ts := startServer(t, server.Config{})
	c := dial(t, ts.addr)
	c.hello()
	var pings []byte
	for i := range 10 {
		pings = append(pings, maskedFrame(ws.OpPing, true, []byte{byte('0' + i)})...)
	}
	pings = append(pings, maskedFrame(ws.OpBinary, true, pingMsg(t, 99))...)
	if _, err := c.conn.Write(pings); err != nil {
		t.Fatal(err)
	}
	// Read until the protocol Pong of a second Ping sent afterwards, and
	// count the WebSocket pongs on the way.
	var pongs []string
	sentSecond := false
	_ = c.conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	for {
		f, err := ws.ReadFrame(c.r)
		if err != nil {
			t.Fatalf("after %d pongs: %v", len(pongs), err)
		}
		if f.Header.OpCode == ws.OpPong {
			pongs = append(pongs, string(f.Payload))
			continue
		}
		var m skirmishv1.ServerMessage
		if proto.Unmarshal(f.Payload, &m) != nil {
			continue
		}
		if m.GetPong().GetClientTimeUs() == 99 && !sentSecond {
			sentSecond = true
			if _, err := c.conn.Write(maskedFrame(ws.OpBinary, true, pingMsg(t, 100))); err != nil {
				t.Fatal(err)
			}
		}
		if m.GetPong().GetClientTimeUs() == 100 {
			break
		}
	}
	if len(pongs) != 1 || pongs[0] != "9" {
		t.Fatalf("pongs %q, want one, for the newest ping \"9\"", pongs)
	}
}

// TestConnectionsPerIPCapped opens one connection over the cap: it is
// closed at accept, and counted; closing another frees a slot.
func TestConnectionsPerIPCapped(t *testing.T) {
	ts := startServer(t, server.Config{MaxConnsPerIP: 3})
	var cs []*client
	for range 3 {
		c := dial(t, ts.addr)
		c.hello()
		cs = append(cs, c)
	}
	if _, _, _, err := ws.Dial(context.Background(), "ws://"+ts.addr+"/ws"); err == nil {
		t.Fatal("a fourth connection from one address was upgraded")
	}
	if st := ts.srv.Stats(); st.RejectedPerIP != 1 {
		t.Fatalf("rejected_per_ip %d, want 1", st.RejectedPerIP)
	}
	cs[0].conn.Close()
	waitFor(t, 3*time.Second, "a freed slot", func() bool { return ts.srv.Conns() == 2 })
	dial(t, ts.addr).hello()
}

// TestSilentConnectionsTimeOut covers the deadlines of the wheel: no Hello
// after the upgrade, and no message in the lobby.
func TestSilentConnectionsTimeOut(t *testing.T) {
	ts := startServer(t, server.Config{HelloTimeout: 150 * time.Millisecond, LobbyTimeout: 300 * time.Millisecond})
	noHello := dial(t, ts.addr)
	lobby := dial(t, ts.addr)
	start := time.Now()
	lobby.hello()
	player := dial(t, ts.addr)
	player.hello()
	player.join("p", "movers", "stays")
	if got := noHello.closeCode(3 * time.Second); got != ws.StatusPolicyViolation {
		t.Fatalf("no Hello: close %d, want 1008", got)
	}
	if got := lobby.closeCode(3 * time.Second); got != ws.StatusPolicyViolation {
		t.Fatalf("lobby: close %d, want 1008", got)
	}
	if el := time.Since(start); el < 300*time.Millisecond {
		t.Fatalf("lobby closed after %v, before its 300ms", el)
	}
	st := ts.srv.Stats()
	if st.HelloTimeouts != 1 || st.LobbyTimeouts != 1 {
		t.Fatalf("hello_timeouts %d lobby_timeouts %d, want 1 and 1", st.HelloTimeouts, st.LobbyTimeouts)
	}
	// The player in a room is not idle: it still gets snapshots.
	player.until(time.Second, "snapshot", func(m *skirmishv1.ServerMessage) bool { return m.GetSnapshot() != nil })
}

// TestUnansweredPingCloses pings a silent connection: a client whose
// WebSocket layer answers stays, one that does not is closed.
func TestUnansweredPingCloses(t *testing.T) {
	ts := startServer(t, server.Config{PingInterval: 100 * time.Millisecond, PongTimeout: 200 * time.Millisecond, LobbyTimeout: time.Minute})
	answers := dial(t, ts.addr) // its recv answers pings
	answers.hello()
	answerErr := make(chan error, 1)
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				answerErr <- nil
				return
			default:
			}
			if _, err := answers.recv(50 * time.Millisecond); err != nil && !isTimeout(err) {
				answerErr <- err
				return
			}
		}
	}()
	mute, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer mute.Close()
	br := upgradeRaw(t, mute)
	if _, err := mute.Write(maskedFrame(ws.OpBinary, true, helloMsg(t))); err != nil {
		t.Fatal(err)
	}
	// Read (and never answer) until the server closes.
	_ = mute.SetReadDeadline(time.Now().Add(3 * time.Second))
	sawPing := false
	for {
		f, err := ws.ReadFrame(br)
		if err != nil {
			t.Fatalf("mute client: %v (saw a ping: %v)", err, sawPing)
		}
		if f.Header.OpCode == ws.OpPing {
			sawPing = true
		}
		if f.Header.OpCode == ws.OpClose {
			code, _ := ws.ParseCloseFrameData(f.Payload)
			if !sawPing || code != ws.StatusGoingAway {
				t.Fatalf("closed with %d after a ping: %v; want 1001 after one", code, sawPing)
			}
			break
		}
	}
	// The answering client is still there after several ping rounds.
	waitFor(t, 3*time.Second, "more ping rounds", func() bool { return ts.srv.Stats().PingsSent >= 6 })
	close(stop)
	if err := <-answerErr; err != nil {
		t.Fatalf("the client that answers pings was closed: %v", err)
	}
	if st := ts.srv.Stats(); st.PingTimeouts != 1 {
		t.Fatalf("ping_timeouts %d pings_sent %d", st.PingTimeouts, st.PingsSent)
	}
}

// TestOriginChecked refuses a browser page of another origin with 403 and
// lets the page's own origin, allowed origins and non-browser clients in.
func TestOriginChecked(t *testing.T) {
	ts := startServer(t, server.Config{AllowedOrigins: []string{"https://friends.example"}})
	status := func(origin string) int {
		c, err := net.Dial("tcp", ts.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		req := "GET /ws HTTP/1.1\r\nHost: " + ts.addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
		if origin != "" {
			req += "Origin: " + origin + "\r\n"
		}
		if _, err := c.Write([]byte(req + "\r\n")); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for origin, want := range map[string]int{
		"":                          101,
		"http://" + ts.addr:         101,
		"https://friends.example":   101,
		"https://evil.example":      403,
		"http://" + ts.addr + ".ev": 403,
	} {
		if got := status(origin); got != want {
			t.Errorf("Origin %q: %d, want %d", origin, got, want)
		}
	}
	// The counter moves just after the 403 is written.
	waitFor(t, 2*time.Second, "origin_rejected 2", func() bool { return ts.srv.Stats().OriginRejected == 2 })
}

// TestHTTPConnectionsHoldSlots keeps page requests open in a handler: they
// count under MaxConns until they close, so a game connection past the
// limit is refused, and is accepted again once they are done.
func TestHTTPConnectionsHoldSlots(t *testing.T) {
	release := make(chan struct{})
	var inHandler sync.WaitGroup
	ts := startServerHandler(t, server.Config{MaxConns: 3}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inHandler.Done()
		<-release
	}))
	inHandler.Add(3)
	var done sync.WaitGroup
	for range 3 {
		done.Add(1)
		go func() {
			defer done.Done()
			if resp, err := http.Get("http://" + ts.addr + "/slow"); err == nil {
				resp.Body.Close()
			}
		}()
	}
	inHandler.Wait()
	if _, _, _, err := ws.Dial(context.Background(), "ws://"+ts.addr+"/ws"); err == nil {
		t.Fatal("a connection past MaxConns was upgraded while HTTP requests held the slots")
	}
	close(release)
	done.Wait()
	waitFor(t, 3*time.Second, "HTTP slots back", func() bool { return ts.srv.Stats().HTTPConnections == 0 })
	dial(t, ts.addr).hello()
}

// TestHeadLimitOnEveryRead sends a request head over the limit in one
// write, its end included: 431, not an upgrade.
func TestHeadLimitOnEveryRead(t *testing.T) {
	ts := startServer(t, server.Config{})
	c, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	head := "GET /ws HTTP/1.1\r\nHost: x\r\nX-Pad: " + strings.Repeat("a", 9000) + "\r\n\r\n"
	if _, err := c.Write([]byte(head)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("status %d, want 431", resp.StatusCode)
	}
}

// TestAdminHandlerServesStats checks the operator's endpoint.
func TestAdminHandlerServesStats(t *testing.T) {
	ts := startServer(t, server.Config{})
	dial(t, ts.addr).hello()
	admin := &http.Server{Handler: ts.srv.AdminHandler(false)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = admin.Serve(ln) }()
	defer admin.Close()
	resp, err := http.Get("http://" + ln.Addr().String() + "/debug/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st server.Stats
	if err := jsonDecode(resp, &st); err != nil || st.Connections != 1 || st.Upgraded != 1 {
		t.Fatalf("stats %+v, %v", st, err)
	}
	resp2, err := http.Get("http://" + ln.Addr().String() + "/debug/pprof/")
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != 404 {
		t.Fatalf("pprof without -pprof: %d", resp2.StatusCode)
	}
}
