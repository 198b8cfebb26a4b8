package server_test

import (
	"testing"
	"time"

	"github.com/gobwas/ws"

	skirmishv1 "github.com/skirmishgg/skirmish/proto/skirmish/v1"
	"github.com/skirmishgg/skirmish/server"
)

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
