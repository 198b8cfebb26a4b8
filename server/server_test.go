package server_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"google.golang.org/protobuf/proto"

	skirmishv1 "github.com/skirmishgg/skirmish/proto/skirmish/v1"
	"github.com/skirmishgg/skirmish/proto/wire"
	"github.com/skirmishgg/skirmish/server"
)

func TestTwoClientsSeeEachOtherMove(t *testing.T) {
	ts := startServer(t, server.Config{})
	a, b := dial(t, ts.addr), dial(t, ts.addr)
	a.hello()
	b.hello()
	wa := a.join("alice", "arena", "duel")
	wb := b.join("bob", "", "duel")
	if wa.Room != "duel" || wb.Room != "duel" || wa.PlayerId == wb.PlayerId {
		t.Fatalf("welcomes: %v / %v", wa, wb)
	}
	first := b.until(5*time.Second, "snapshot with alice", func(m *skirmishv1.ServerMessage) bool {
		_, ok := entityX(t, m.GetSnapshot(), wa.PlayerId)
		return m.GetSnapshot() != nil && ok
	})
	x0, _ := entityX(t, first.GetSnapshot(), wa.PlayerId)
	// Alice walks towards the far side wall, wherever she spawned.
	dir := float32(1)
	if x0 > int32(wb.WorldWidth)*wire.PositionScale/2 {
		dir = -1
	}
	for seq := uint32(1); seq <= 5; seq++ {
		a.input(seq, dir, 0)
	}
	// Within a few ticks bob sees alice further that way.
	b.until(5*time.Second, "alice moving", func(m *skirmishv1.ServerMessage) bool {
		x, ok := entityX(t, m.GetSnapshot(), wa.PlayerId)
		return m.GetSnapshot() != nil && ok && float32(x-x0)*dir > 0
	})
	// Alice's own snapshots acknowledge her inputs.
	a.until(5*time.Second, "input_ack 5", func(m *skirmishv1.ServerMessage) bool {
		return m.GetSnapshot() != nil && m.InputAck == 5
	})
}

func TestBadClientClosedOthersContinue(t *testing.T) {
	cases := []struct {
		name  string
		frame []byte // raw bytes the bad client sends after joining
		code  ws.StatusCode
	}{
		{"undecodable protobuf", maskedFrame(ws.OpBinary, true, []byte{0xff, 0xff, 0xff}), ws.StatusInvalidFramePayloadData},
		{"unmasked frame", ws.MustCompileFrame(ws.NewBinaryFrame([]byte{1, 2})), ws.StatusProtocolError},
		{"text frame", maskedFrame(ws.OpText, true, []byte("hi")), ws.StatusUnsupportedData},
		{"oversized frame", maskedFrame(ws.OpBinary, true, make([]byte, server.DefaultMaxMessageBytes+1)), ws.StatusMessageTooBig},
		{"reserved opcode", maskedFrame(ws.OpCode(3), true, nil), ws.StatusProtocolError},
		{"fragmented control frame", maskedFrame(ws.OpPing, false, nil), ws.StatusProtocolError},
		{"fragments over the limit", append(maskedFrame(ws.OpBinary, false, make([]byte, 3000)), maskedFrame(ws.OpContinuation, true, make([]byte, 3000))...), ws.StatusMessageTooBig},
		// RFC 6455 §5.2: no extension is negotiated, so every RSV bit is an error.
		{"RSV1 set", rsvFrame(ws.Rsv(true, false, false), ws.OpBinary), ws.StatusProtocolError},
		{"RSV2 set", rsvFrame(ws.Rsv(false, true, false), ws.OpBinary), ws.StatusProtocolError},
		{"RSV3 set on a ping", rsvFrame(ws.Rsv(false, false, true), ws.OpPing), ws.StatusProtocolError},
		// §5.4: a continuation frame continues a message; with none begun it is an error.
		{"continuation with no message", maskedFrame(ws.OpContinuation, true, []byte{1}), ws.StatusProtocolError},
		{"new message inside a fragmented one", append(maskedFrame(ws.OpBinary, false, []byte{1}), maskedFrame(ws.OpBinary, true, []byte{2})...), ws.StatusProtocolError},
		// §5.5: control frames carry at most 125 bytes.
		{"ping of 126 bytes", maskedFrame(ws.OpPing, true, make([]byte, 126)), ws.StatusProtocolError},
		// §5.5.1, §7.4: a close payload is empty or a valid code and a UTF-8 reason.
		{"close payload of 1 byte", maskedFrame(ws.OpClose, true, []byte{0x03}), ws.StatusProtocolError},
		{"close code 999", maskedFrame(ws.OpClose, true, ws.NewCloseFrameBody(999, "")), ws.StatusProtocolError},
		{"close code 1004 (reserved)", maskedFrame(ws.OpClose, true, ws.NewCloseFrameBody(1004, "")), ws.StatusProtocolError},
		{"close code 1005 (never sent)", maskedFrame(ws.OpClose, true, ws.NewCloseFrameBody(1005, "")), ws.StatusProtocolError},
		{"close code 1006 (never sent)", maskedFrame(ws.OpClose, true, ws.NewCloseFrameBody(1006, "")), ws.StatusProtocolError},
		{"close code 1016 (unassigned)", maskedFrame(ws.OpClose, true, ws.NewCloseFrameBody(1016, "")), ws.StatusProtocolError},
		{"close reason not UTF-8", maskedFrame(ws.OpClose, true, ws.NewCloseFrameBody(ws.StatusNormalClosure, "\xff\xfe")), ws.StatusProtocolError},
	}
	ts := startServer(t, server.Config{})
	good := dial(t, ts.addr)
	good.hello()
	good.join("good", "movers", "mixed")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			good := good.in(t)
			bad := dial(t, ts.addr)
			bad.hello()
			bad.join("bad", "movers", "mixed")
			if _, err := bad.conn.Write(tc.frame); err != nil {
				t.Fatal(err)
			}
			if got := bad.closeCode(5 * time.Second); got != tc.code {
				t.Fatalf("close code %d, want %d", got, tc.code)
			}
			// The good client still gets snapshots after the bad one left.
			tick := func() uint32 {
				return good.until(5*time.Second, "snapshot", func(m *skirmishv1.ServerMessage) bool { return m.GetSnapshot() != nil }).GetSnapshot().Tick
			}
			t1 := tick()
			if t2 := tick(); t2 <= t1 {
				t.Fatalf("good client's ticks did not advance: %d then %d", t1, t2)
			}
		})
	}
}

func TestFragmentedMessageReassembled(t *testing.T) {
	ts := startServer(t, server.Config{})
	c := dial(t, ts.addr)
	hello, _ := proto.Marshal(&skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Hello{Hello: &skirmishv1.Hello{ProtocolVersion: 1, Client: "fragments"}}})
	raw := maskedFrame(ws.OpBinary, false, hello[:3])
	raw = append(raw, maskedFrame(ws.OpPing, true, []byte("p"))...) // control frames may interleave
	raw = append(raw, maskedFrame(ws.OpContinuation, true, hello[3:])...)
	if _, err := c.conn.Write(raw); err != nil {
		t.Fatal(err)
	}
	c.until(5*time.Second, "server hello", func(m *skirmishv1.ServerMessage) bool { return m.GetHello() != nil })
}

func TestPingPongAndCloseHandshake(t *testing.T) {
	ts := startServer(t, server.Config{})
	c := dial(t, ts.addr)
	c.hello()
	c.send(&skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Ping{Ping: &skirmishv1.Ping{ClientTimeUs: 42}}})
	m := c.until(5*time.Second, "pong", func(m *skirmishv1.ServerMessage) bool { return m.GetPong() != nil })
	if m.GetPong().ClientTimeUs != 42 {
		t.Fatalf("pong echoes %d, want 42", m.GetPong().ClientTimeUs)
	}
	if _, err := c.conn.Write(maskedFrame(ws.OpClose, true, ws.NewCloseFrameBody(4000, "bye"))); err != nil {
		t.Fatal(err)
	}
	if got := c.closeCode(5 * time.Second); got != 4000 {
		t.Fatalf("close echo code %d, want 4000", got)
	}
}

func TestInputBeforeJoinGetsError(t *testing.T) {
	ts := startServer(t, server.Config{})
	c := dial(t, ts.addr)
	c.hello()
	c.input(1, 1, 0)
	m := c.until(5*time.Second, "error", func(m *skirmishv1.ServerMessage) bool { return m.GetError() != nil })
	if m.GetError().Code != skirmishv1.ErrorCode_ERROR_CODE_BAD_REQUEST {
		t.Fatalf("error %v", m.GetError())
	}
	c.send(&skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Join{Join: &skirmishv1.Join{Mode: "chess"}}})
	m = c.until(5*time.Second, "error", func(m *skirmishv1.ServerMessage) bool { return m.GetError() != nil })
	if m.GetError().Code != skirmishv1.ErrorCode_ERROR_CODE_UNKNOWN_MODE {
		t.Fatalf("error %v", m.GetError())
	}
}

func TestMessageBeforeHelloClosed(t *testing.T) {
	ts := startServer(t, server.Config{})
	c := dial(t, ts.addr)
	c.send(&skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Join{Join: &skirmishv1.Join{}}})
	if got := c.closeCode(5 * time.Second); got != ws.StatusPolicyViolation {
		t.Fatalf("close code %d, want 1008", got)
	}
}

func TestStalledPeersClosedAtDeadline(t *testing.T) {
	ts := startServer(t, server.Config{HandshakeTimeout: 200 * time.Millisecond, FrameTimeout: 200 * time.Millisecond})
	// Half an upgrade request.
	half, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer half.Close()
	if _, err := half.Write([]byte("GET /ws HTTP/1.1\r\nHost: x\r\n")); err != nil {
		t.Fatal(err)
	}
	// Half a frame.
	c := dial(t, ts.addr)
	c.hello()
	frame := maskedFrame(ws.OpBinary, true, make([]byte, 100))
	if _, err := c.conn.Write(frame[:20]); err != nil {
		t.Fatal(err)
	}
	// Meanwhile a legitimate client is served.
	ok := dial(t, ts.addr)
	ok.hello()

	_ = half.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := half.Read(make([]byte, 1)); err == nil || errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
		t.Fatalf("half upgrade: want the server to close, got %v", err)
	}
	if got := c.closeCode(5 * time.Second); got != ws.StatusPolicyViolation {
		t.Fatalf("half frame close code %d, want 1008", got)
	}
	st := ts.srv.Stats()
	if st.HandshakeTimeouts != 1 || st.FrameTimeouts != 1 {
		t.Fatalf("stats: handshake timeouts %d, frame timeouts %d; want 1 and 1", st.HandshakeTimeouts, st.FrameTimeouts)
	}
}

func TestPageAndSocketShareOnePort(t *testing.T) {
	ts := startServer(t, server.Config{})
	resp, err := http.Get("http://" + ts.addr + "/index.html?x=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "page /index.html" {
		t.Fatalf("page: %d %q", resp.StatusCode, body)
	}
	// Operator endpoints are not on the public port: the page handler
	// gets those paths like any other.
	for _, path := range []string{"/debug/stats", "/debug/pprof/"} {
		resp, err = http.Get("http://" + ts.addr + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != "page "+path { // the page handler's, not stats
			t.Fatalf("public %s: %d %s", path, resp.StatusCode, body)
		}
	}
	// A plain GET of /ws is not an upgrade: 400 from the upgrader.
	resp, err = http.Get("http://" + ts.addr + "/ws")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 4 {
		t.Fatalf("plain GET /ws: status %d, want 4xx", resp.StatusCode)
	}
	c := dial(t, ts.addr)
	c.hello()
}

// TestOneFDPerConnection checks that a WebSocket connection costs the
// server exactly one file descriptor (no dup through conn.File()).
func TestOneFDPerConnection(t *testing.T) {
	ts := startServer(t, server.Config{MaxConnsPerIP: -1})
	_, portStr, _ := net.SplitHostPort(ts.addr)
	port, _ := strconv.Atoi(portStr)
	const n = 100
	for range n {
		c := dial(t, ts.addr)
		c.hello() // answered: the server holds the connection
	}
	// Only this server's ends count, so other tests' sockets closing
	// meanwhile cannot move the figure.
	if got := serverSocketFDs(t, port); got != n {
		t.Fatalf("%d connections hold %d fds in the server, want %d", n, got, n)
	}
	if got := ts.srv.Stats().Connections; got != n {
		t.Fatalf("server counts %d connections, want %d", got, n)
	}
}

func TestShutdownClosesWithGoingAway(t *testing.T) {
	ts := startServer(t, server.Config{})
	c := dial(t, ts.addr)
	c.hello()
	c.join("c", "movers", "bye")
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		done <- ts.srv.Shutdown(ctx)
	}()
	if got := c.closeCode(5 * time.Second); got != ws.StatusGoingAway {
		t.Fatalf("close code %d on shutdown, want 1001", got)
	}
	c.conn.Close() // answer by closing: Shutdown stops waiting for us
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if n := ts.srv.Conns(); n != 0 {
		t.Fatalf("%d connections left after shutdown", n)
	}
	if _, err := net.Dial("tcp", ts.addr); err == nil {
		t.Fatal("still accepting after shutdown")
	}
}
