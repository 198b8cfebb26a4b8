package game

import (
	"slices"
	"strings"
)

// HubStats are the hub's gauges and counters. The counters (Ticks,
// Overruns, Skipped, InputsDropped, RoomsFailed) include the rooms that
// have closed: they only grow.
type HubStats struct {
	Rooms         int
	Players       int
	Ticks         uint64
	Overruns      uint64
	Skipped       uint64
	InputsDropped uint64
	RoomsFailed   uint64
	RoomsOpened   uint64
	RoomsClosed   uint64
	// RoomsRefused counts joins refused with ErrTooManyRooms.
	RoomsRefused uint64
	// Modes has the rooms and players of every mode the hub serves, those
	// with none included.
	Modes map[string]ModeStats
}

// ModeStats are the gauges of one game mode.
type ModeStats struct {
	Rooms, Players int
}

// Stats sums the rooms' counters.
func (h *Hub) Stats() HubStats {
	h.mu.Lock()
	rooms := make([]*Room, 0, len(h.live))
	for r := range h.live {
		rooms = append(rooms, r)
	}
	c, retired := h.counts, h.retired
	h.mu.Unlock()
	s := HubStats{
		Rooms: len(rooms), RoomsFailed: c.failed, RoomsOpened: c.opened, RoomsClosed: c.closed, RoomsRefused: c.refused,
		Modes: make(map[string]ModeStats, len(h.cfg.Modes)),
		Ticks: retired.Ticks, Overruns: retired.Overruns, Skipped: retired.Skipped, InputsDropped: retired.InputsDropped,
	}
	for name := range h.cfg.Modes {
		s.Modes[name] = ModeStats{}
	}
	for _, r := range rooms {
		rs := r.Stats()
		s.Players += rs.Players
		s.Ticks += rs.Ticks
		m := s.Modes[r.ModeName()]
		m.Rooms++
		m.Players += rs.Players
		s.Modes[r.ModeName()] = m
		s.Overruns += rs.Overruns
		s.Skipped += rs.Skipped
		s.InputsDropped += rs.InputsDropped
	}
	return s
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
