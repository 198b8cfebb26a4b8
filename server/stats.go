package server

import (
	"encoding/json"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"

	"github.com/gobwas/ws"
)

// stats are the server's counters; all are safe for concurrent use.
type stats struct {
	accepted, rejected, acceptErrors       atomic.Uint64
	upgraded, handshakeErrors              atomic.Uint64
	handshakeTimeouts, frameTimeouts       atomic.Uint64
	bytesIn, bytesOut, framesIn            atomic.Uint64
	inputs, inputsOutsideRoom, badMessages atomic.Uint64
	protocolErrors, joins, joinErrors      atomic.Uint64
	snapshotsSent, snapshotsReplaced       atomic.Uint64
	slowClosed                             atomic.Uint64
	resumes, resumeErrors                  atomic.Uint64
	closeCodes                             [closeCodeSlots]atomic.Uint64
}

// closeCodeSlots covers close codes 1000..1015 (4001, session taken
// over, is counted in resumes).
const closeCodeSlots = 16

// closed counts a connection closed with code (1006: without a close frame).
func (s *stats) closed(code ws.StatusCode) {
	if i := int(code) - 1000; i >= 0 && i < closeCodeSlots {
		s.closeCodes[i].Add(1)
	}
}

// Stats is the JSON document served at /debug/stats. Names are stable:
// tools (the bench bots) read them.
type Stats struct {
	Goroutines        int               `json:"goroutines"`
	Connections       int               `json:"connections"`
	FDs               int               `json:"fds"`
	Rooms             int               `json:"rooms"`
	Players           int               `json:"players"`
	Accepted          uint64            `json:"accepted"`
	Rejected          uint64            `json:"rejected"`
	AcceptErrors      uint64            `json:"accept_errors"`
	Upgraded          uint64            `json:"upgraded"`
	HandshakeErrors   uint64            `json:"handshake_errors"`
	HandshakeTimeouts uint64            `json:"handshake_timeouts"`
	FrameTimeouts     uint64            `json:"frame_timeouts"`
	BytesIn           uint64            `json:"bytes_in"`
	BytesOut          uint64            `json:"bytes_out"`
	FramesIn          uint64            `json:"frames_in"`
	Inputs            uint64            `json:"inputs"`
	InputsOutsideRoom uint64            `json:"inputs_outside_room"`
	InputsDropped     uint64            `json:"inputs_dropped"`
	BadMessages       uint64            `json:"bad_messages"`
	ProtocolErrors    uint64            `json:"protocol_errors"`
	Joins             uint64            `json:"joins"`
	JoinErrors        uint64            `json:"join_errors"`
	SnapshotsSent     uint64            `json:"snapshots_sent"`
	SnapshotsReplaced uint64            `json:"snapshots_replaced"`
	SlowClosed        uint64            `json:"slow_closed"`
	Resumes           uint64            `json:"resumes"`
	ResumeErrors      uint64            `json:"resume_errors"`
	RoomsFailed       uint64            `json:"rooms_failed"`
	TickOverruns      uint64            `json:"tick_overruns"`
	TicksSkipped      uint64            `json:"ticks_skipped"`
	CloseCodes        map[string]uint64 `json:"close_codes"`
	HeapInuseBytes    uint64            `json:"heap_inuse_bytes"`
	// Mallocs counts heap allocations since start: its growth over a
	// window, divided by clients × ticks, is allocations per client·tick.
	Mallocs uint64 `json:"mallocs"`
	GCs     uint32 `json:"gcs"`
}

// Stats returns a snapshot of the server's counters.
func (s *Server) Stats() Stats {
	hs := s.cfg.Hub.Stats()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	st := Stats{
		Goroutines:        runtime.NumGoroutine(),
		Connections:       s.Conns(),
		FDs:               openFDs(),
		Rooms:             hs.Rooms,
		Players:           hs.Players,
		Accepted:          s.stats.accepted.Load(),
		Rejected:          s.stats.rejected.Load(),
		AcceptErrors:      s.stats.acceptErrors.Load(),
		Upgraded:          s.stats.upgraded.Load(),
		HandshakeErrors:   s.stats.handshakeErrors.Load(),
		HandshakeTimeouts: s.stats.handshakeTimeouts.Load(),
		FrameTimeouts:     s.stats.frameTimeouts.Load(),
		BytesIn:           s.stats.bytesIn.Load(),
		BytesOut:          s.stats.bytesOut.Load(),
		FramesIn:          s.stats.framesIn.Load(),
		Inputs:            s.stats.inputs.Load(),
		InputsOutsideRoom: s.stats.inputsOutsideRoom.Load(),
		InputsDropped:     hs.InputsDropped,
		BadMessages:       s.stats.badMessages.Load(),
		ProtocolErrors:    s.stats.protocolErrors.Load(),
		Joins:             s.stats.joins.Load(),
		JoinErrors:        s.stats.joinErrors.Load(),
		SnapshotsSent:     s.stats.snapshotsSent.Load(),
		SnapshotsReplaced: s.stats.snapshotsReplaced.Load(),
		SlowClosed:        s.stats.slowClosed.Load(),
		Resumes:           s.stats.resumes.Load(),
		ResumeErrors:      s.stats.resumeErrors.Load(),
		RoomsFailed:       hs.RoomsFailed,
		TickOverruns:      hs.Overruns,
		TicksSkipped:      hs.Skipped,
		CloseCodes:        map[string]uint64{},
		HeapInuseBytes:    ms.HeapInuse,
		Mallocs:           ms.Mallocs,
		GCs:               ms.NumGC,
	}
	for i := range s.stats.closeCodes {
		if n := s.stats.closeCodes[i].Load(); n > 0 {
			st.CloseCodes[strconv.Itoa(1000+i)] = n
		}
	}
	return st
}

func (s *Server) serveStats(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(s.Stats())
}

// openFDs counts the process's open file descriptors (-1 where /proc is
// not available).
func openFDs() int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(entries)
}

// serveRooms lists the public rooms (those quick-match fills) as JSON:
// [{"id", "mode", "players", "capacity", "tick_rate"}].
func (s *Server) serveRooms(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(s.cfg.Hub.PublicRooms())
}
