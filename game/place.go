package game

import (
	"cmp"
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
)

// Room codes and names.
const (
	maxRoomIDLen = 32
	// RoomCodeLen is the length of the code of a room the hub names
	// itself (private and quick-match rooms). A private room's code is
	// all that keeps strangers out, so it must not be guessable: 10
	// symbols of a 32-symbol alphabet carry 50 bits (a thousand guesses
	// a second against a full hub of 2,000 rooms find one in about 18
	// years on average), and stay short enough to read out or type.
	RoomCodeLen = 10
	// roomCodeAlphabet is Crockford's base32 in lower case: digits and
	// letters without i, l, o and u, so no two symbols look alike.
	roomCodeAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"
)

// Errors returned by Hub.JoinWith.
var (
	ErrUnknownMode  = errors.New("unknown game mode")
	ErrBadRoomID    = errors.New("room id must be 1 to 32 letters, digits, '-' or '_'")
	ErrModeMismatch = errors.New("room runs another game mode")
	ErrHubClosed    = errors.New("server is shutting down")
	ErrBadRoomShape = errors.New("bad room capacity or tick rate")
	ErrNoSuchRoom   = errors.New("no such room to watch")
	ErrTooManyRooms = errors.New("too many rooms")
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
	// Capacity and TickRate shape a private or named room this request
	// creates (0: the mode's capacity, the hub's tick rate); the mode's
	// capacity is the most a room may ask for. Quick-match ignores them:
	// public rooms have the mode's shape, whoever opened them.
	Capacity, TickRate int
	// Owner is who opens a room this request creates, for
	// HubConfig.MaxRoomsPerOwner: the server passes the client's IP
	// address (IPv6: its /64). Empty means no per-owner limit (tests and
	// tools).
	Owner string
}

// JoinWith places a player (or spectator) in a room and returns the room
// and the player's id. A join that would open a room beyond
// HubConfig.MaxRooms or MaxRoomsPerOwner fails with ErrTooManyRooms.
func (h *Hub) JoinWith(peer Peer, req JoinRequest) (*Room, uint32, error) {
	if req.Room != "" && !validRoomID(req.Room) {
		return nil, 0, ErrBadRoomID
	}
	if req.Room == "" && !req.Private {
		req.Capacity, req.TickRate = 0, 0 // quick-match: the mode's shape
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
// request named no room and asked for no private one. Over a room limit it
// makes nothing. h.mu must be held.
func (h *Hub) open(mode string, spec ModeSpec, req JoinRequest) (*Room, error) {
	if err := h.roomAllowed(req.Owner); err != nil {
		h.counts.refused++
		return nil, err
	}
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
	idle := h.cfg.IdleTimeout
	if public {
		idle = h.cfg.PublicIdleTimeout
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
		IdleTimeout:   idle,
		FullSnapshots: h.cfg.FullSnapshots,
		OnClose:       h.remove,
		Logger:        h.log,
	})
	r.public, r.owner = public, req.Owner
	if h.cfg.Observer != nil {
		r.cfg.Observer = h.cfg.Observer.RoomOpened(r)
	}
	h.rooms[id] = r
	h.live[r] = struct{}{}
	if req.Owner != "" {
		h.owners[req.Owner]++
	}
	h.counts.opened++
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		r.Run()
	}()
	return r, nil
}

// roomAllowed returns an ErrTooManyRooms when opening one more room
// would pass MaxRooms, or MaxRoomsPerOwner for owner. h.mu must be held.
func (h *Hub) roomAllowed(owner string) error {
	if limit := h.cfg.MaxRooms; limit > 0 && len(h.live) >= limit {
		return fmt.Errorf("%w: the server holds its most rooms (%d); join an existing one", ErrTooManyRooms, limit)
	}
	if limit := h.cfg.MaxRoomsPerOwner; owner != "" && limit > 0 && h.owners[owner] >= limit {
		return fmt.Errorf("%w: your address has %d rooms open, the most it may", ErrTooManyRooms, limit)
	}
	return nil
}

// newRoomID returns an unused room code of RoomCodeLen symbols, 5
// random bits each from crypto/rand (a code is a capability, so it must
// not be predictable from earlier ones). h.mu must be held.
func (h *Hub) newRoomID() string {
	var code [RoomCodeLen]byte
	for {
		var raw [8]byte
		_, _ = crand.Read(raw[:]) // never fails (Go 1.24+)
		bits := binary.LittleEndian.Uint64(raw[:])
		for i := range code {
			code[i] = roomCodeAlphabet[bits&31]
			bits >>= 5
		}
		if _, taken := h.rooms[string(code[:])]; !taken {
			return string(code[:])
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
