package game

import (
	"cmp"
	"errors"
	"fmt"
	"math/rand/v2"
)

// Room codes and names.
const (
	maxRoomIDLen     = 32
	roomCodeLen      = 6
	roomCodeAlphabet = "abcdefghjkmnpqrstuvwxyz23456789" // no look-alikes
)

// Errors returned by Hub.JoinWith.
var (
	ErrUnknownMode  = errors.New("unknown game mode")
	ErrBadRoomID    = errors.New("room id must be 1 to 32 letters, digits, '-' or '_'")
	ErrModeMismatch = errors.New("room runs another game mode")
	ErrHubClosed    = errors.New("server is shutting down")
	ErrBadRoomShape = errors.New("bad room capacity or tick rate")
	ErrNoSuchRoom   = errors.New("no such room to watch")
)

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
			// The room closed itself (idle or failed) but its OnClose has
			// not removed it yet: forget it now, so the next round opens a fresh one.
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

// room finds the room a join names, or quick-matches it into a public
// room, or opens a new one. h.mu must be held.
func (h *Hub) room(req JoinRequest) (*Room, error) {
	if h.closed {
		return nil, ErrHubClosed
	}
	if r, found, err := h.find(req); found || err != nil {
		return r, err
	}
	mode := cmp.Or(req.Mode, h.cfg.DefaultMode)
	spec, ok := h.cfg.Modes[mode]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownMode, mode)
	}
	if req.Room == "" && !req.Private {
		if r := h.quickMatch(mode); r != nil {
			return r, nil
		}
	}
	return h.open(mode, spec, req)
}

// find looks up the existing room a join names (no room has the empty
// name). Watching never opens a room, so that a typo cannot open an empty
// one; a player joining a room names no mode or the one it runs.
func (h *Hub) find(req JoinRequest) (r *Room, found bool, err error) {
	r, found = h.rooms[req.Room]
	switch {
	case req.Spectate && !found:
		return nil, false, fmt.Errorf("%w: %q", ErrNoSuchRoom, req.Room)
	case found && !req.Spectate && req.Mode != "" && r.ModeName() != req.Mode:
		return nil, false, fmt.Errorf("%w: room %q runs %q", ErrModeMismatch, req.Room, r.ModeName())
	}
	return r, found, nil
}

// quickMatch returns the fullest public room of mode that has space, so
// that players meet instead of spreading out; nil when all are full.
func (h *Hub) quickMatch(mode string) *Room {
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
	return best
}

// open creates a room of mode shaped by req and starts its loop: named
// after req.Room, or under a fresh code, listed for quick-match when the
// request named no room and asked for no private one.
func (h *Hub) open(mode string, spec ModeSpec, req JoinRequest) (*Room, error) {
	capacity := spec.Capacity
	if capacity <= 0 {
		capacity = DefaultCapacity
	}
	if req.Capacity > capacity {
		return nil, fmt.Errorf("%w: mode %q holds at most %d players", ErrBadRoomShape, mode, capacity)
	}
	// JoinWith refused negative shapes: zero means the default.
	capacity, tickRate := cmp.Or(req.Capacity, capacity), cmp.Or(req.TickRate, h.cfg.TickRate)
	id, public := req.Room, req.Room == "" && !req.Private
	if id == "" {
		id = h.newRoomID()
	}
	r := NewRoom(RoomConfig{
		ID:            id,
		Mode:          spec.New,
		TickRate:      tickRate,
		Capacity:      capacity,
		ViewRange:     spec.ViewRange,
		Sessions:      h.cfg.Sessions,
		ResumeGrace:   h.cfg.ResumeGrace,
		Seed:          rand.Uint64(),
		Link:          h.newLink(),
		IdleTimeout:   h.cfg.IdleTimeout,
		FullSnapshots: h.cfg.FullSnapshots,
		OnClose:       h.remove,
		Logger:        h.log,
	})
	r.public = public
	if h.cfg.Observer != nil {
		r.cfg.Observer = h.cfg.Observer.RoomOpened(r)
	}
	h.rooms[id] = r
	h.live[r] = struct{}{}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		r.Run()
	}()
	return r, nil
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
