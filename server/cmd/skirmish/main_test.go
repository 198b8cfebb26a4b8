package main

import (
	"bufio"
	"context"
	"debug/buildinfo"
	"syscall"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
	"google.golang.org/protobuf/proto"

	skirmishv1 "github.com/skirmishgg/skirmish/proto/skirmish/v1"
)

// TestSIGTERMClosesEveryClientWithGoingAway sends a real SIGTERM to the
// real binary with players in a room, a client in the lobby and one that
// never reads, so never answers the close frame: once the drain ends,
// each gets close code 1001, and the process exits with status 0.
func TestSIGTERMClosesEveryClientWithGoingAway(t *testing.T) {
	p := startBinary(t, "-drain-timeout", "1s", "-drain-warning", "500ms")
	players := joinRoom(t, p, 2, "sigterm")
	lobby := dialBot(t, p.addr)

	// The mute client joins the room, then reads nothing.
	conn, br, _, err := ws.Dial(context.Background(), "ws://"+p.addr+"/ws")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if br == nil {
		br = bufio.NewReader(conn)
	}
	for _, m := range []*skirmishv1.ClientMessage{
		{Msg: &skirmishv1.ClientMessage_Hello{Hello: &skirmishv1.Hello{ProtocolVersion: 1, Client: "mute"}}},
		{Msg: &skirmishv1.ClientMessage_Join{Join: &skirmishv1.Join{Name: "mute", Mode: "movers", Room: "sigterm"}}},
	} {
		b, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if err := wsutil.WriteClientBinary(conn, b); err != nil {
			t.Fatal(err)
		}
	}
	p.signal(t, syscall.SIGTERM)
	p.waitExit(t, 30*time.Second) // status 0, not death by the signal
	for i, b := range append(players, lobby) {
		waitUntil(t, 10*time.Second, "the close", func() bool { code, _ := b.closed(); return code != 0 })
		if code, _ := b.closed(); code != ws.StatusGoingAway {
			t.Errorf("client %d closed with %d, want 1001", i, code)
		}
	}
	// The mute client's close frame waits in its socket buffer.
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		f, err := ws.ReadFrame(br)
		if err != nil {
			t.Fatalf("the client that never answered got no close frame: %v", err)
		}
		if f.Header.OpCode == ws.OpClose {
			if code, _ := ws.ParseCloseFrameData(f.Payload); code != ws.StatusGoingAway {
				t.Fatalf("the client that never answered got %d, want 1001", code)
			}
			break
		}
	}
}

// TestBinaryBuiltWithTheTestsRaceDetector: the binary the tests run has
// the race detector when they do, so that a race in it fails them (it
// exits with status 66).
func TestBinaryBuiltWithTheTestsRaceDetector(t *testing.T) {
	info, err := buildinfo.ReadFile(binary(t))
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
