package game

import "sync/atomic"

// IDs hands out entity ids of one room: 1, 2, 3, ... It is safe for
// concurrent use because players get their id when they join, on the
// server's goroutine, while the mode allocates on the room's.
type IDs struct {
	last atomic.Uint32
}

// Next returns a fresh id.
func (a *IDs) Next() uint32 { return a.last.Add(1) }
