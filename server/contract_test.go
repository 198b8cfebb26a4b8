package server_test

import (
	"bufio"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/gobwas/httphead"
	"github.com/gobwas/ws"

	skirmishv1 "github.com/skirmishgg/skirmish/proto/skirmish/v1"
	"github.com/skirmishgg/skirmish/server"
)

// The tests of this file pin behaviour that docs/protocol.md states and
// that a client author could otherwise only guess.

// quiet reads c's messages for d and fails if any matches bad.
func (c *client) quiet(d time.Duration, what string, bad func(*skirmishv1.ServerMessage) bool) {
	c.t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		m, err := c.recv(time.Until(deadline))
		if err != nil {
			return
		}
		if bad(m) {
			c.t.Fatalf("%s: %v", what, m)
		}
	}
}

// pingPong sends a Ping and returns the messages that came before its
// Pong: the server answers a connection's messages in order, so these are
// all the answers to what was sent before the Ping.
func (c *client) pingPong() []*skirmishv1.ServerMessage {
	c.t.Helper()
	c.send(&skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Ping{Ping: &skirmishv1.Ping{ClientTimeUs: 7}}})
	var before []*skirmishv1.ServerMessage
	for {
		m, err := c.recv(5 * time.Second)
		if err != nil {
			c.t.Fatalf("waiting for pong: %v", err)
		}
		if m.GetPong() != nil {
			return before
		}
		before = append(before, m)
	}
}

// sendRaw sends b as one binary message.
func (c *client) sendRaw(b []byte) {
	c.t.Helper()
	if _, err := c.conn.Write(maskedFrame(ws.OpBinary, true, b)); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

func errorsIn(msgs []*skirmishv1.ServerMessage) []skirmishv1.ErrorCode {
	var out []skirmishv1.ErrorCode
	for _, m := range msgs {
		if e := m.GetError(); e != nil {
			out = append(out, e.Code)
		}
	}
	return out
}

// TestCloseWithoutLeaveIsADisconnect: only Leave leaves. A normal close
// (1000) without it is a disconnect like any other: the player stays in
// the room for the resume grace (the others see no change) and resumes;
// Leave before the close removes it at once.
func TestCloseWithoutLeaveIsADisconnect(t *testing.T) {
	ts := startServer(t, server.Config{})
	alice, bob, carol := dial(t, ts.addr), dial(t, ts.addr), dial(t, ts.addr)
	for _, c := range []*client{alice, bob, carol} {
		c.hello()
	}
	w := alice.join("alice", "movers", "closes")
	bob.join("bob", "movers", "closes")
	wc := carol.join("carol", "movers", "closes")

	if _, err := alice.conn.Write(maskedFrame(ws.OpClose, true, ws.NewCloseFrameBody(ws.StatusNormalClosure, "bye"))); err != nil {
		t.Fatal(err)
	}
	if got := alice.closeCode(2 * time.Second); got != ws.StatusNormalClosure {
		t.Fatalf("close echoed %d, want 1000", got)
	}
	bob.quiet(300*time.Millisecond, "a normal close without Leave changed the roster", func(m *skirmishv1.ServerMessage) bool { return len(m.GetRosterUpdate().GetLeft()) > 0 })
	again := dial(t, ts.addr)
	again.hello()
	if w2 := again.joinWith(&skirmishv1.Join{ResumeToken: w.SessionToken}).GetWelcome(); w2 == nil || !w2.Resumed || w2.PlayerId != w.PlayerId {
		t.Fatalf("resume after a normal close answered %v", w2)
	}

	carol.send(&skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Leave{Leave: &skirmishv1.Leave{}}})
	if _, err := carol.conn.Write(maskedFrame(ws.OpClose, true, ws.NewCloseFrameBody(ws.StatusNormalClosure, "bye"))); err != nil {
		t.Fatal(err)
	}
	u := bob.until(2*time.Second, "carol's leave", func(m *skirmishv1.ServerMessage) bool { return len(m.GetRosterUpdate().GetLeft()) > 0 }).GetRosterUpdate()
	if !slices.Equal(u.Left, []uint32{wc.PlayerId}) {
		t.Fatalf("roster update %v, want carol (%d) gone", u, wc.PlayerId)
	}
}

// TestMessagesWithoutAKnownMember: an empty ClientMessage, or one whose
// only field is a member this server does not know (a newer client's),
// parses, so it answers ERROR_CODE_BAD_REQUEST and the connection stays;
// bytes that do not parse as a ClientMessage close it with 1007.
func TestMessagesWithoutAKnownMember(t *testing.T) {
	ts := startServer(t, server.Config{})
	c := dial(t, ts.addr)
	c.hello()
	c.sendRaw(nil)
	c.sendRaw([]byte{0x4a, 0x00}) // field 9, an empty message
	if got := errorsIn(c.pingPong()); !slices.Equal(got, []skirmishv1.ErrorCode{skirmishv1.ErrorCode_ERROR_CODE_BAD_REQUEST, skirmishv1.ErrorCode_ERROR_CODE_BAD_REQUEST}) {
		t.Fatalf("errors %v, want BAD_REQUEST twice", got)
	}
	c.sendRaw([]byte{0xff, 0xff})
	if got := c.closeCode(2 * time.Second); got != ws.StatusInvalidFramePayloadData {
		t.Fatalf("close code %d, want 1007", got)
	}
}

// TestOnlyTheFirstRefusedInputIsAnswered: an Input the server cannot take
// (in the lobby, or from a spectator) gets one Error; the ones after it in
// the same state are dropped without an answer. Each Welcome and each
// Leave starts a new state.
func TestOnlyTheFirstRefusedInputIsAnswered(t *testing.T) {
	ts := startServer(t, server.Config{})
	p := dial(t, ts.addr)
	p.hello()
	p.join("p", "movers", "watched-inputs")
	c := dial(t, ts.addr)
	c.hello()
	for seq := range uint32(3) {
		c.input(seq+1, 1, 0)
	}
	if got := errorsIn(c.pingPong()); !slices.Equal(got, []skirmishv1.ErrorCode{skirmishv1.ErrorCode_ERROR_CODE_BAD_REQUEST}) {
		t.Fatalf("lobby inputs answered %v, want one BAD_REQUEST", got)
	}
	if w := c.joinWith(&skirmishv1.Join{Room: "watched-inputs", Spectate: true}).GetWelcome(); w == nil {
		t.Fatal("spectate refused")
	}
	for seq := range uint32(3) {
		c.input(seq+4, 1, 0)
	}
	if got := errorsIn(c.pingPong()); !slices.Equal(got, []skirmishv1.ErrorCode{skirmishv1.ErrorCode_ERROR_CODE_SPECTATOR}) {
		t.Fatalf("spectator inputs answered %v, want one SPECTATOR", got)
	}
	c.send(&skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Leave{Leave: &skirmishv1.Leave{}}})
	for seq := range uint32(2) {
		c.input(seq+7, 1, 0)
	}
	if got := errorsIn(c.pingPong()); !slices.Equal(got, []skirmishv1.ErrorCode{skirmishv1.ErrorCode_ERROR_CODE_BAD_REQUEST}) {
		t.Fatalf("lobby inputs after a Leave answered %v, want one BAD_REQUEST", got)
	}
}

// TestModeOfANamedRoom: an empty Join.mode opens a room of the default
// mode (arena) and joins an existing room whatever it runs; a mode named
// explicitly must be the one the room runs (ERROR_CODE_BAD_REQUEST
// otherwise). A spectator watches whatever the room runs.
func TestModeOfANamedRoom(t *testing.T) {
	ts := startServer(t, server.Config{})
	host := dial(t, ts.addr)
	host.hello()
	if w := host.join("host", "", "mode-new"); w.Mode != "arena" {
		t.Fatalf("a new room without a mode runs %q, want arena", w.Mode)
	}
	host.join("host", "movers", "mode-movers")
	c := dial(t, ts.addr)
	c.hello()
	if w := c.join("c", "", "mode-movers"); w.Mode != "movers" {
		t.Fatalf("joined with no mode: %q, want the room's movers", w.Mode)
	}
	e := c.joinWith(&skirmishv1.Join{Name: "c", Mode: "arena", Room: "mode-movers"}).GetError()
	if e == nil || e.Code != skirmishv1.ErrorCode_ERROR_CODE_BAD_REQUEST {
		t.Fatalf("arena asked of a movers room: %v", e)
	}
	if w := c.joinWith(&skirmishv1.Join{Mode: "arena", Room: "mode-movers", Spectate: true}).GetWelcome(); w == nil || w.Mode != "movers" {
		t.Fatalf("spectating a movers room with mode arena: %v", w)
	}
}

// TestPermessageDeflateDeclined: the server negotiates no extension, so a
// client that offers permessage-deflate gets none and must send frames
// without RSV bits; a compressed frame closes the connection with 1002.
func TestPermessageDeflateDeclined(t *testing.T) {
	ts := startServer(t, server.Config{})
	d := ws.Dialer{Extensions: []httphead.Option{httphead.NewOption("permessage-deflate", map[string]string{"client_max_window_bits": ""})}}
	conn, br, hs, err := d.Dial(context.Background(), "ws://"+ts.addr+"/ws")
	if err != nil {
		t.Fatalf("dial offering permessage-deflate: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	if br == nil {
		br = bufio.NewReader(conn)
	}
	if len(hs.Extensions) != 0 {
		t.Fatalf("server accepted extensions %v", hs.Extensions)
	}
	c := &client{t: t, conn: conn, r: br}
	c.hello()
	frame := maskedFrame(ws.OpBinary, true, []byte{0x22, 0x00})
	frame[0] |= 0x40 // RSV1: "compressed"
	if _, err := conn.Write(frame); err != nil {
		t.Fatal(err)
	}
	if got := c.closeCode(2 * time.Second); got != ws.StatusProtocolError {
		t.Fatalf("compressed frame closed with %d, want 1002", got)
	}
}
