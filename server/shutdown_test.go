package server_test

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"golang.org/x/sys/unix"

	skirmishv1 "github.com/skirmishgg/skirmish/proto/skirmish/v1"
	"github.com/skirmishgg/skirmish/server"
)

// TestShutdownWhenPeerNeverAnswers: Shutdown sends its close frame and,
// for a peer that neither answers nor closes, gives up after CloseTimeout,
// not at the end of its context. The peer finds the close frame (1001)
// and then the end of the stream.
func TestShutdownWhenPeerNeverAnswers(t *testing.T) {
	ts := startServer(t, server.Config{CloseTimeout: 300 * time.Millisecond})
	c := dial(t, ts.addr)
	c.hello()
	c.join("mute", "movers", "mute")
	// From here on c reads nothing and sends nothing until Shutdown is done.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- ts.srv.Shutdown(ctx) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("shutdown: %v", err)
		}
		if ctx.Err() != nil {
			t.Fatal("Shutdown waited for its context to end, not CloseTimeout")
		}
	case <-ctx.Done():
		t.Fatal("Shutdown still waiting for a peer that never answers after 20 s")
	}
	if n := ts.srv.Conns(); n != 0 {
		t.Fatalf("%d connections left after shutdown", n)
	}
	for {
		f := c.frame(5 * time.Second)
		if f.Header.OpCode != ws.OpClose {
			continue
		}
		if code, _ := ws.ParseCloseFrameData(f.Payload); code != ws.StatusGoingAway {
			t.Fatalf("close code %d, want 1001", code)
		}
		break
	}
	_ = c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.Copy(io.Discard, c.r); err != nil && !errors.Is(err, unix.ECONNRESET) {
		t.Fatalf("after the close frame: %v, want the end of the stream", err)
	}
}

// TestRefusedAtMaxConns: with MaxConns open connections, the next one is
// closed at accept and counted; once one closes, a new one gets in.
func TestRefusedAtMaxConns(t *testing.T) {
	ts := startServer(t, server.Config{MaxConns: 2})
	a, b := dial(t, ts.addr), dial(t, ts.addr)
	a.hello()
	b.hello()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if conn, _, _, err := ws.Dial(ctx, "ws://"+ts.addr+"/ws"); err == nil {
		conn.Close()
		t.Fatal("a third connection was upgraded with MaxConns 2")
	}
	if got := ts.srv.Stats().Rejected; got != 1 {
		t.Fatalf("rejected %d, want 1", got)
	}
	a.conn.Close()
	waitFor(t, 10*time.Second, "the closed connection's slot freed", func() bool { return ts.srv.Conns() == 1 })
	c := dial(t, ts.addr)
	c.hello()
	c.send(&skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Ping{Ping: &skirmishv1.Ping{ClientTimeUs: 7}}})
	c.until(5*time.Second, "pong", func(m *skirmishv1.ServerMessage) bool { return m.GetPong().GetClientTimeUs() == 7 })
}
