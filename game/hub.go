package game

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"
)

// Hub defaults.
const (
	DefaultRoomIdleTimeout = 30 * time.Second
	maxRoomIDLen           = 32
	roomCodeLen            = 6
	roomCodeAlphabet       = "abcdefghjkmnpqrstuvwxyz23456789" // no look-alikes
)

// Errors returned by Hub.Join.
var (
	ErrUnknownMode  = errors.New("unknown game mode")
	ErrBadRoomID    = errors.New("room id must be 1 to 32 letters, digits, '-' or '_'")
	ErrModeMismatch = errors.New("room runs another game mode")
	ErrHubClosed    = errors.New("server is shutting down")
	ErrBadRoomShape = errors.New("bad room capacity or tick rate")
	ErrNoSuchRoom   = errors.New("no such room to watch")
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
	// IdleTimeout closes rooms that stay empty this long;
	// DefaultRoomIdleTimeout when 0.
	IdleTimeout time.Duration
	Broadcaster Broadcaster
	// Sessions signs session tokens; nil disables resume.
	Sessions SessionIssuer
	// ResumeGrace is how long a disconnected player waits for a resume;
	// DefaultResumeGrace when 0.
	ResumeGrace time.Duration
	// FullSnapshots turns delta snapshots off in every room.
	FullSnapshots bool
	Logger        *slog.Logger
}

// HubStats are the hub's gauges.
type HubStats struct {
	Rooms         int
	Players       int
	Overruns      uint64
	Skipped       uint64
	InputsDropped uint64
	RoomsFailed   uint64
}

// Hub owns the rooms of a server: it finds or creates the room a player
// asks for and runs each room's loop in its own goroutine until the room
// closes itself (empty too long) or the hub closes.
type Hub struct {
	cfg HubConfig
	log *slog.Logger

	mu     sync.Mutex
	rooms  map[string]*Room
	closed bool
	failed uint64 // rooms that ended on a panic
	wg     sync.WaitGroup
}

// NewHub creates a hub.
func NewHub(cfg HubConfig) *Hub {
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultRoomIdleTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Hub{cfg: cfg, log: cfg.Logger, rooms: make(map[string]*Room)}
}

// JoinRequest is what a player asks the hub for.
type JoinRequest struct {
	Name string
	// Mode of the room; empty means the default mode (or, for an existing
	// named room, whatever it runs).
	Mode string
	// Room names the room; empty quick-matches into a public room of the
	// mode with space, creating one when all are full. A named room is
	// created on first use and is not listed.
	Room string
	// Private creates a new unlisted room with a short random code.
	Private bool
	// Spectate joins as a spectator.
	Spectate bool
	// Capacity and TickRate shape a room this request creates (0: the
	// mode's capacity, the hub's tick rate); the mode's capacity is the
	// most a room may ask for.
	Capacity, TickRate int
}

// Join places a player in a room: JoinWith with name, mode and room only.
func (h *Hub) Join(peer Peer, name, mode, roomID string) (*Room, uint32, error) {
	return h.JoinWith(peer, JoinRequest{Name: name, Mode: mode, Room: roomID})
}

// JoinWith places a player (or spectator) in a room and returns the room
// and the player's id.
func (h *Hub) JoinWith(peer Peer, req JoinRequest) (*Room, uint32, error) {
	if req.Room != "" && !validRoomID(req.Room) {
		return nil, 0, ErrBadRoomID
	}
	if req.TickRate < 0 || req.TickRate > MaxTickRate || req.Capacity < 0 {
		return nil, 0, ErrBadRoomShape
	}
	// Find the room and join it under h.mu: concurrent quick-matches then
	// see each other's players and never race for a room's last place.
	h.mu.Lock()
	defer h.mu.Unlock()
	for {
		r, err := h.room(req)
		if err != nil {
			return nil, 0, err
		}
		var id uint32
		if req.Spectate {
			id, err = r.JoinSpectator(peer)
		} else {
			id, err = r.Join(peer, req.Name)
		}
		if errors.Is(err, ErrRoomClosed) {
			// The room closed itself (idle) but its OnClose has not removed
			// it yet: forget it now, so the next round opens a fresh one.
			// Each round removes a room, so the loop ends.
			delete(h.rooms, r.ID())
			continue
		}
		if err != nil {
			return nil, 0, err
		}
		return r, id, nil
	}
}

// room finds or creates the room for a join. h.mu must be held.
func (h *Hub) room(req JoinRequest) (*Room, error) {
	if h.closed {
		return nil, ErrHubClosed
	}
	mode, roomID := req.Mode, req.Room
	if req.Spectate {
		// Watching never creates a room: a typo must not open an empty one.
		r, ok := h.rooms[roomID]
		if !ok {
			return nil, fmt.Errorf("%w: %q", ErrNoSuchRoom, roomID)
		}
		return r, nil
	}
	if roomID != "" {
		if r, ok := h.rooms[roomID]; ok {
			if mode != "" && r.ModeName() != mode {
				return nil, fmt.Errorf("%w: room %q runs %q", ErrModeMismatch, roomID, r.ModeName())
			}
			return r, nil
		}
	}
	if mode == "" {
		mode = h.cfg.DefaultMode
	}
	spec, ok := h.cfg.Modes[mode]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownMode, mode)
	}
	public := roomID == "" && !req.Private
	if req.Private && roomID == "" {
		roomID = h.newRoomID()
	}
	if public {
		// Quick-match: the fullest public room of the mode that has space,
		// so that players meet instead of spreading out.
		var best *Room
		for _, r := range h.rooms {
			if !r.public || r.ModeName() != mode {
				continue
			}
			n := int(r.players.Load())
			if n < r.Capacity() && (best == nil || n > int(best.players.Load())) {
				best = r
			}
		}
		if best != nil {
			return best, nil
		}
		roomID = h.newRoomID()
	}
	capacity, tickRate := spec.Capacity, h.cfg.TickRate
	if capacity <= 0 {
		capacity = DefaultCapacity
	}
	if req.Capacity > capacity {
		return nil, fmt.Errorf("%w: mode %q holds at most %d players", ErrBadRoomShape, mode, capacity)
	}
	if req.Capacity > 0 {
		capacity = req.Capacity
	}
	if req.TickRate > 0 {
		tickRate = req.TickRate
	}
	r := NewRoom(RoomConfig{
		ID:            roomID,
		Mode:          spec.New,
		TickRate:      tickRate,
		Capacity:      capacity,
		ViewRange:     spec.ViewRange,
		Sessions:      h.cfg.Sessions,
		ResumeGrace:   h.cfg.ResumeGrace,
		Seed:          NewSeed(),
		Broadcaster:   h.cfg.Broadcaster,
		IdleTimeout:   h.cfg.IdleTimeout,
		FullSnapshots: h.cfg.FullSnapshots,
		OnClose:       h.remove,
		Logger:        h.log,
	})
	r.public = public
	h.rooms[roomID] = r
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		r.Run()
	}()
	h.log.Info("room opened", "room", roomID, "mode", mode)
	return r, nil
}

func (h *Hub) remove(r *Room) {
	h.mu.Lock()
	if h.rooms[r.ID()] == r {
		delete(h.rooms, r.ID())
	}
	if r.Failed() {
		h.failed++
	}
	h.mu.Unlock()
	h.log.Info("room closed", "room", r.ID(), "ticks", r.Stats().Ticks)
}

// newRoomID returns an unused short room code. h.mu must be held.
func (h *Hub) newRoomID() string {
	b := make([]byte, roomCodeLen)
	for {
		for i := range b {
			b[i] = roomCodeAlphabet[rand.IntN(len(roomCodeAlphabet))]
		}
		if _, taken := h.rooms[string(b)]; !taken {
			return string(b)
		}
	}
}

func validRoomID(id string) bool {
	if len(id) == 0 || len(id) > maxRoomIDLen {
		return false
	}
	for _, c := range []byte(id) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
		if !ok {
			return false
		}
	}
	return true
}

// Stats sums the rooms' counters.
func (h *Hub) Stats() HubStats {
	h.mu.Lock()
	rooms := make([]*Room, 0, len(h.rooms))
	for _, r := range h.rooms {
		rooms = append(rooms, r)
	}
	failed := h.failed
	h.mu.Unlock()
	s := HubStats{Rooms: len(rooms), RoomsFailed: failed}
	for _, r := range rooms {
		rs := r.Stats()
		s.Players += rs.Players
		s.Overruns += rs.Overruns
		s.Skipped += rs.Skipped
		s.InputsDropped += rs.InputsDropped
	}
	return s
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

// Resume gives a player back to a new connection (see Room.Resume).
func (h *Hub) Resume(peer Peer, roomID string, player, gen uint32) (*Room, error) {
	h.mu.Lock()
	r, ok := h.rooms[roomID]
	h.mu.Unlock()
	if !ok {
		return nil, ErrSessionGone
	}
	if err := r.Resume(player, gen, peer); err != nil {
		return nil, err
	}
	return r, nil
}

// RoomInfo describes a public room for listings.
type RoomInfo struct {
	ID       string `json:"id"`
	Mode     string `json:"mode"`
	Players  int    `json:"players"`
	Capacity int    `json:"capacity"`
	TickRate int    `json:"tick_rate"`
}

// PublicRooms lists the rooms quick-match fills, fullest first.
func (h *Hub) PublicRooms() []RoomInfo {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := []RoomInfo{}
	for _, r := range h.rooms {
		if r.public {
			out = append(out, RoomInfo{ID: r.ID(), Mode: r.ModeName(), Players: int(r.players.Load()), Capacity: r.Capacity(), TickRate: r.TickRate()})
		}
	}
	slices.SortFunc(out, func(a, b RoomInfo) int {
		if a.Players != b.Players {
			return b.Players - a.Players
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}
