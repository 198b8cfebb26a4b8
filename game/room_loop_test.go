package game_test

// These tests need the room's loop goroutine. They wait on conditions with
// generous timeouts and assert no timing.

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/skirmishgg/skirmish/game"
	"github.com/skirmishgg/skirmish/game/movers"
)

// TestRoomRunAndClose is the room test that needs the loop: Run ticks on
// its own, Close stops it, OnClose runs once and later joins fail. It waits
// on conditions with generous timeouts and asserts no timing.
func TestRoomRunAndClose(t *testing.T) {
	var closes int
	closed := make(chan *game.Room, 1)
	bc := &recLink{}
	r := game.NewRoom(game.RoomConfig{
		ID: "loop", Mode: movers.New, TickRate: game.MaxTickRate, Link: bc, Logger: quietLogger(),
		OnClose: func(r *game.Room) { closes++; closed <- r },
	})
	go r.Run()

	p := &fakePeer{name: "a"}
	id, err := r.Join(p, "a")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Welcome from the running loop", func() bool { return p.count() >= 2 })
	if m := p.take(t); m[0].GetWelcome().GetPlayerId() != id {
		t.Fatalf("first message %v, want Welcome for %d", m[0], id)
	}
	waitFor(t, "a snapshot from the running loop", func() bool {
		bc.mu.Lock()
		defer bc.mu.Unlock()
		return len(bc.calls) > 0
	})

	r.Close()
	select {
	case <-r.Done():
	default:
		t.Fatal("Done is not closed after Close returned")
	}
	select {
	case got := <-closed:
		if got != r {
			t.Error("OnClose got another room")
		}
	default:
		t.Fatal("OnClose was not called before Close returned")
	}
	r.Close() // idempotent
	if closes != 1 {
		t.Errorf("OnClose called %d times, want 1", closes)
	}
	if _, err := r.Join(&fakePeer{name: "b"}, "b"); !errors.Is(err, game.ErrRoomClosed) {
		t.Errorf("Join after Close: err %v, want ErrRoomClosed", err)
	}
	ticks := r.Stats().Ticks
	if ticks == 0 {
		t.Error("Stats().Ticks = 0 although snapshots were sent")
	}
}

// panicMode fails at a chosen tick, like a buggy mode.
type panicMode struct {
	game.Mode
	steps, at int
}

func (m *panicMode) Step(dt float64) {
	m.steps++
	if m.steps == m.at {
		panic("mode bug")
	}
	m.Mode.Step(dt)
}

func TestRoomPanicEndsOnlyThatRoom(t *testing.T) {
	hub := game.NewHub(game.HubConfig{
		Modes: map[string]game.ModeSpec{
			"buggy":     {New: func(c game.ModeConfig) game.Mode { return &panicMode{Mode: movers.New(c), at: 5} }},
			movers.Name: {New: movers.New},
		},
		TickRate: 60,
		NewLink:  func() game.Link { return &recLink{} },
		Logger:   quietLogger(),
	})
	defer hub.Close()
	// What the hub reports as the victim hears of the failure: a client
	// told that its room failed must find it counted.
	failedAtDrop := make(chan uint64, 1)
	victim := &fakePeer{name: "v", onDrop: func(game.DropReason) { failedAtDrop <- hub.Stats().RoomsFailed }}
	bystander := &fakePeer{name: "b"}
	bad, _, err := hub.JoinWith(victim, game.JoinRequest{Name: "v", Mode: "buggy", Room: "bad"})
	if err != nil {
		t.Fatal(err)
	}
	good, _, err := hub.JoinWith(bystander, game.JoinRequest{Name: "b", Mode: movers.Name, Room: "good"})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(victim.drops()) == 0 || hub.Stats().RoomsFailed == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("victim drops %v, rooms failed %d", victim.drops(), hub.Stats().RoomsFailed)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got := victim.drops(); !slices.Equal(got, []game.DropReason{game.DropRoomFailed}) {
		t.Fatalf("victim drops %v", got)
	}
	if got := <-failedAtDrop; got != 1 {
		t.Fatalf("rooms failed %d when the victim was dropped, want 1: the failure must be counted first", got)
	}
	if len(bystander.drops()) != 0 {
		t.Fatal("the other room's player was dropped")
	}
	before := good.Tick()
	for good.Tick() < before+3 {
		if time.Now().After(deadline) {
			t.Fatal("the other room stopped ticking")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// The failed room is gone: its name opens a fresh room.
	again, _, err := hub.JoinWith(&fakePeer{}, game.JoinRequest{Name: "x", Mode: movers.Name, Room: "bad"})
	if err != nil {
		t.Fatalf("joining the failed room's name again: %v", err)
	}
	if again == bad || again.Failed() {
		t.Fatalf("joined the failed room again (same room %v, failed %v), want a fresh one", again == bad, again.Failed())
	}
}
