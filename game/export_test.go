package game

// InsertRoomForTest registers r in h under its id, as if h had opened it.
// Tests use it to reproduce a room that has closed but that its OnClose has
// not yet removed from the hub.
func InsertRoomForTest(h *Hub, r *Room) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.rooms[r.ID()] = r
}

// LockRoomForTest holds r's lock until the returned function is called, as
// a server goroutine inside Join or Input would.
func LockRoomForTest(r *Room) (unlock func()) {
	r.mu.Lock()
	return r.mu.Unlock
}

// AsleepForTest reports whether r's loop sleeps (empty, not ticking).
func AsleepForTest(r *Room) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.asleep
}
