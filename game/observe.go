package game

import "time"

// Observer hears about a hub's rooms, for metrics and logs: when each
// opens and closes, and what each of its ticks did. The server implements
// it (HubConfig.Observer). Its methods run on the goroutine of the join
// that opened the room and on the room's loop; they must not block.
type Observer interface {
	// RoomOpened is called when the hub opens r, before its loop starts.
	// The TickObserver it returns (nil: none) hears r's ticks.
	RoomOpened(r *Room) TickObserver
	// RoomClosed is called once r's loop has ended (r.Failed tells
	// whether a panic ended it).
	RoomClosed(r *Room)
}

// TickObserver hears, once per tick and on the room's loop, what the tick
// did. Everything a tick measures is gathered in one TickReport, so that
// an observer pays one call per room·tick, never one per member or
// message.
type TickObserver interface {
	ObserveTick(t *TickReport)
}

// TickReport is what one tick did. The room reuses it and its slice: an
// observer must not keep them after ObserveTick returns.
type TickReport struct {
	Tick uint32
	// Work is the time the tick took: reading the members, applying their
	// messages, advancing the world and broadcasting.
	Work time.Duration
	// Snapshots are the snapshots encoded this tick, one per distinct view
	// (a baseline and, with interest management, a cell), each shared by
	// its receivers.
	Snapshots []SnapshotReport
}

// SnapshotReport describes one encoded snapshot.
type SnapshotReport struct {
	// Bytes is the encoded ServerMessage, before framing and input_ack.
	Bytes int
	// BaseAge is how many ticks older than the snapshot its baseline is;
	// 0 for a full snapshot.
	BaseAge uint32
	// Receivers is the number of members it went to.
	Receivers int
}

// monoStart is the origin of the rooms' busy stamps: a monotonic clock,
// so that a step of the wall clock never looks like a stalled loop.
var monoStart = time.Now()

// monoNow is the monotonic time since monoStart, never 0.
func monoNow() int64 { return int64(time.Since(monoStart)) | 1 }

// Busy reports how long the room's loop has been inside its current turn
// of ticks (0 while it waits for the next one). A loop that stays busy
// far longer than a tick is stuck: a mode that never returns, say.
func (r *Room) Busy() time.Duration {
	since := r.busySince.Load()
	if since == 0 {
		return 0
	}
	return max(0, time.Duration(monoNow()-since))
}

// StalledRooms returns the ids of the rooms whose loop has been busy in
// one turn for longer than after (see Room.Busy).
func (h *Hub) StalledRooms(after time.Duration) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var ids []string
	for r := range h.live {
		if r.Busy() > after {
			ids = append(ids, r.ID())
		}
	}
	return ids
}
