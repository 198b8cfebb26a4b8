package server_test

import (
	"testing"
	"time"

	"github.com/gobwas/ws"

	skirmishv1 "github.com/skirmishgg/skirmish/proto/skirmish/v1"
	"github.com/skirmishgg/skirmish/server"
)

// TestWebSocketPingAnswered: a WebSocket ping gets a pong with its
// payload; of several pings sent together, the newest is answered.
func TestWebSocketPingAnswered(t *testing.T) {
	ts := startServer(t, server.Config{})
	c := dial(t, ts.addr)
	c.hello()
	if _, err := c.conn.Write(maskedFrame(ws.OpPing, true, []byte("are you there"))); err != nil {
		t.Fatal(err)
	}
	c.pongs(5*time.Second, "are you there")
	// In a room, between snapshots.
	c.join("c", "movers", "pings")
	burst := append(maskedFrame(ws.OpPing, true, []byte("first")), maskedFrame(ws.OpPing, true, []byte("second"))...)
	if _, err := c.conn.Write(burst); err != nil {
		t.Fatal(err)
	}
	c.pongs(5*time.Second, "second", "first")
}

// TestUnsupportedProtocolVersion: a Hello of another protocol version gets
// Error{PROTOCOL}, then close code 1002, as docs/protocol.md says.
func TestUnsupportedProtocolVersion(t *testing.T) {
	ts := startServer(t, server.Config{})
	c := dial(t, ts.addr)
	c.send(&skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Hello{Hello: &skirmishv1.Hello{ProtocolVersion: 2, Client: "future"}}})
	m, err := c.recv(5 * time.Second)
	if err != nil {
		t.Fatalf("no answer to a Hello of version 2: %v", err)
	}
	if e := m.GetError(); e == nil || e.Code != skirmishv1.ErrorCode_ERROR_CODE_PROTOCOL {
		t.Fatalf("first answer %v, want Error{ERROR_CODE_PROTOCOL}", m)
	}
	if got := c.closeCode(5 * time.Second); got != ws.StatusProtocolError {
		t.Fatalf("close code %d, want 1002", got)
	}
}

// TestEmptyCloseAnsweredWith1000: a close frame without a code is
// answered with 1000 (RFC 6455 §5.5.1 echoes the code; there is none).
// TestPingPongAndCloseHandshake covers the echo of a code.
func TestEmptyCloseAnsweredWith1000(t *testing.T) {
	ts := startServer(t, server.Config{})
	c := dial(t, ts.addr)
	c.hello()
	if _, err := c.conn.Write(maskedFrame(ws.OpClose, true, nil)); err != nil {
		t.Fatal(err)
	}
	if got := c.closeCode(5 * time.Second); got != ws.StatusNormalClosure {
		t.Fatalf("close answered with %d, want 1000", got)
	}
}
