package game

import (
	"log/slog"
	"sync"
	"time"
)

// Limits and defaults of a hub. Every room is a goroutine, a timer and
// the memory of its world, and any client can ask for one; so rooms are
// counted in total and per owner, and an empty room closes soon.
const (
	// DefaultRoomIdleTimeout is how long an unlisted (private or named)
	// room stays open empty: long enough for its players to reconnect or
	// to follow a share link, short enough that a flood of joins that
	// leave at once does not pile up rooms.
	DefaultRoomIdleTimeout = 5 * time.Second
	// DefaultPublicRoomIdleTimeout is how long a listed public room stays
	// open empty, so that quick-match and the listing do not flap between
	// two players. Public rooms open only when all others of the mode are
	// full, so a client cannot make many of them.
	DefaultPublicRoomIdleTimeout = 30 * time.Second
	// DefaultMaxRooms bounds the rooms of a hub. An empty room sleeps and
	// costs about 13 KB (its goroutine's stack and its world), so a hub
	// full of empty rooms costs ~26 MB and no CPU; and 2,000 rooms seat
	// ten players each of a server's 19,500 default connections.
	DefaultMaxRooms = 2000
	// DefaultMaxRoomsPerOwner bounds the live rooms opened by one owner
	// (one IP address, or one IPv6 /64): a few private rooms for a
	// household or a LAN party, not the server's whole budget.
	DefaultMaxRoomsPerOwner = 8
)

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
	// IdleTimeout closes unlisted rooms (private and named) that stay
	// empty this long; DefaultRoomIdleTimeout when 0.
	IdleTimeout time.Duration
	// PublicIdleTimeout closes listed public rooms that stay empty this
	// long; DefaultPublicRoomIdleTimeout when 0.
	PublicIdleTimeout time.Duration
	// MaxRooms bounds the open rooms; a join that would open one more
	// fails with ErrTooManyRooms. DefaultMaxRooms when 0, no limit when
	// negative.
	MaxRooms int
	// MaxRoomsPerOwner bounds the open rooms opened by one owner
	// (JoinRequest.Owner); DefaultMaxRoomsPerOwner when 0, no limit when
	// negative.
	MaxRoomsPerOwner int
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
	owners map[string]int // live rooms by owner; bounded by live
	closed bool
	counts hubCounts
	// retired sums the counters of closed rooms, so that the hub's stay
	// monotonic.
	retired RoomStats
	wg      sync.WaitGroup
}

// hubCounts are the hub's counters, under Hub.mu.
type hubCounts struct {
	opened, closed uint64
	refused        uint64 // joins refused by MaxRooms or MaxRoomsPerOwner
	failed         uint64 // rooms that ended on a panic
}

// NewHub creates a hub.
func NewHub(cfg HubConfig) *Hub {
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultRoomIdleTimeout
	}
	if cfg.PublicIdleTimeout <= 0 {
		cfg.PublicIdleTimeout = DefaultPublicRoomIdleTimeout
	}
	if cfg.MaxRooms == 0 {
		cfg.MaxRooms = DefaultMaxRooms
	}
	if cfg.MaxRoomsPerOwner == 0 {
		cfg.MaxRoomsPerOwner = DefaultMaxRoomsPerOwner
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Hub{cfg: cfg, log: cfg.Logger, rooms: make(map[string]*Room), live: make(map[*Room]struct{}), owners: make(map[string]int)}
}

// remove forgets a room whose loop has ended; it is each room's OnClose.
// Rooms open and close at any client's will, so this logs at Debug only;
// HubStats counts them.
func (h *Hub) remove(r *Room) {
	h.mu.Lock()
	if h.rooms[r.ID()] == r {
		delete(h.rooms, r.ID())
	}
	delete(h.live, r)
	if r.owner != "" {
		if h.owners[r.owner]--; h.owners[r.owner] <= 0 {
			delete(h.owners, r.owner)
		}
	}
	h.counts.closed++
	if r.Failed() {
		h.counts.failed++
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
