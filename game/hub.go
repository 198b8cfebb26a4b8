package game

import (
	"log/slog"
	"sync"
	"time"
)

// DefaultRoomIdleTimeout is how long a room of a hub stays open empty.
const DefaultRoomIdleTimeout = 30 * time.Second

// ModeSpec registers a game mode with the hub.
type ModeSpec struct {
	New NewModeFunc
	// Capacity is the number of players a room of this mode holds;
	// DefaultCapacity when 0.
	Capacity int
	// ViewRange turns on interest management for rooms of this mode (see
	// RoomConfig.ViewRange).
	ViewRange float64
}

// HubConfig configures a Hub. Zero values pick the defaults.
type HubConfig struct {
	Modes       map[string]ModeSpec
	DefaultMode string // mode of a Join that names none
	TickRate    int    // DefaultTickRate when 0
	// IdleTimeout closes rooms that stay empty this long;
	// DefaultRoomIdleTimeout when 0.
	IdleTimeout time.Duration
	// NewLink opens the Link of each new room.
	NewLink func() Link
	// Sessions signs the tokens of its rooms' Welcome messages and checks
	// those presented to Resume; nil disables resume.
	Sessions Sessions
	// ResumeGrace is how long a disconnected player waits for a resume;
	// DefaultResumeGrace when 0.
	ResumeGrace time.Duration
	// FullSnapshots turns delta snapshots off in every room.
	FullSnapshots bool
	// Observer hears of every room opened and closed and of their ticks;
	// nil for none.
	Observer Observer
	Logger   *slog.Logger
}

// Hub owns the rooms of a server: it finds or creates the room a player
// asks for, runs each room's loop in its own goroutine until the room
// closes itself (empty too long, or failed on a panic) or the hub closes,
// and gives a player back to a new connection that presents its session
// token (Resume).
type Hub struct {
	cfg HubConfig
	log *slog.Logger

	mu    sync.Mutex
	rooms map[string]*Room // by name: the rooms a join can find
	// live are the rooms whose loop has not ended, found by name or not
	// (a join forgets a closing room's name before its loop ends).
	live   map[*Room]struct{}
	closed bool
	failed uint64 // rooms that ended on a panic
	// retired sums the counters of closed rooms, so that the hub's stay
	// monotonic.
	retired RoomStats
	wg      sync.WaitGroup
}

// NewHub creates a hub.
func NewHub(cfg HubConfig) *Hub {
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultRoomIdleTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Hub{cfg: cfg, log: cfg.Logger, rooms: make(map[string]*Room), live: make(map[*Room]struct{})}
}

// remove forgets a room whose loop has ended; it is each room's OnClose.
func (h *Hub) remove(r *Room) {
	h.mu.Lock()
	if h.rooms[r.ID()] == r {
		delete(h.rooms, r.ID())
	}
	delete(h.live, r)
	if r.Failed() {
		h.failed++
	}
	rs := r.Stats()
	h.retired.Ticks += rs.Ticks
	h.retired.Overruns += rs.Overruns
	h.retired.Skipped += rs.Skipped
	h.retired.InputsDropped += rs.InputsDropped
	h.mu.Unlock()
	if h.cfg.Observer != nil {
		h.cfg.Observer.RoomClosed(r)
	}
}

// Close stops every room and waits for their loops to end.
func (h *Hub) Close() {
	h.mu.Lock()
	h.closed = true
	rooms := make([]*Room, 0, len(h.rooms))
	for _, r := range h.rooms {
		rooms = append(rooms, r)
	}
	h.mu.Unlock()
	for _, r := range rooms {
		r.Close()
	}
	h.wg.Wait()
}

// TickRate is the tick rate of the rooms a Join does not shape.
func (h *Hub) TickRate() int {
	if h.cfg.TickRate <= 0 {
		return DefaultTickRate
	}
	return min(h.cfg.TickRate, MaxTickRate)
}

// newLink opens a room's link, if the hub has a way to.
func (h *Hub) newLink() Link {
	if h.cfg.NewLink == nil {
		return nil
	}
	return h.cfg.NewLink()
}
