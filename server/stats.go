package server

import (
	"encoding/json"
	"net/http"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws"

	skirmishv1 "github.com/skirmishgg/skirmish/proto/skirmish/v1"
)

// stats are the server's counters; all are safe for concurrent use. They
// are plain atomics on the paths that count them; /debug/stats and the
// Prometheus collector read them when asked.
type stats struct {
	accepted, rejected, rejectedPerIP, acceptErrors atomic.Uint64
	upgraded, handshakeErrors, originRejected       atomic.Uint64
	handshakeTimeouts, frameTimeouts                atomic.Uint64
	helloTimeouts, lobbyTimeouts, pingTimeouts      atomic.Uint64
	pingsSent                                       atomic.Uint64
	httpRejected                                    atomic.Uint64
	bytesIn, bytesOut, framesIn, framesOut          atomic.Uint64
	badMessages                                     atomic.Uint64
	rateLimited, rateClosed, lookupsClosed          atomic.Uint64
	protocolErrors                                  atomic.Uint64
	snapshotsSent, snapshotsReplaced                atomic.Uint64
	slowClosed                                      atomic.Uint64
	// Every decoded input is counted once, by what became of it.
	inputsQueued, inputsOutsideRoom, inputsLimited, inputsEarly atomic.Uint64
	// Joins and resumes by result: slot 0 counts successes, slot n those
	// refused with ErrorCode n.
	joinResults, resumeResults [resultSlots]atomic.Uint64
	closeCodes                 [closeCodeSlots]atomic.Uint64
}

// resultSlots covers the ErrorCode values a join or resume is refused
// with; larger ones share the last slot.
const resultSlots = 32

// result counts one outcome in slots: code 0 for success.
func result(slots *[resultSlots]atomic.Uint64, code skirmishv1.ErrorCode) {
	slots[min(int(code), resultSlots-1)].Add(1)
}

// sumResults adds up slots[from:].
func sumResults(slots *[resultSlots]atomic.Uint64, from int) uint64 {
	var n uint64
	for i := from; i < resultSlots; i++ {
		n += slots[i].Load()
	}
	return n
}

// closeCodeSlots covers close codes 1000..1015 and 4000..4015.
const closeCodeSlots = 32

// closeCodeSlot is the slot of code, or -1.
func closeCodeSlot(code ws.StatusCode) int {
	switch {
	case code >= 1000 && code < 1016:
		return int(code) - 1000
	case code >= 4000 && code < 4016:
		return 16 + int(code) - 4000
	}
	return -1
}

// slotCloseCode is the close code of slot i.
func slotCloseCode(i int) int {
	if i < 16 {
		return 1000 + i
	}
	return 4000 + i - 16
}

// closed counts a connection closed with code (1006: without a close frame).
func (s *stats) closed(code ws.StatusCode) {
	if i := closeCodeSlot(code); i >= 0 {
		s.closeCodes[i].Add(1)
	}
}

// inputs is every input decoded, whatever became of it.
func (s *stats) inputs() uint64 {
	return s.inputsQueued.Load() + s.inputsOutsideRoom.Load() + s.inputsLimited.Load() + s.inputsEarly.Load()
}

// Stats is the JSON document served at /debug/stats on the admin
// listener. Names are stable: tools (the bench bots) read them.
type Stats struct {
	Goroutines        int               `json:"goroutines"`
	Connections       int               `json:"connections"`
	HTTPConnections   int               `json:"http_connections"`
	FDs               int               `json:"fds"`
	Rooms             int               `json:"rooms"`
	RoomsOpened       uint64            `json:"rooms_opened"`
	RoomsClosed       uint64            `json:"rooms_closed"`
	RoomsRefused      uint64            `json:"rooms_refused"`
	Players           int               `json:"players"`
	Accepted          uint64            `json:"accepted"`
	Rejected          uint64            `json:"rejected"`
	RejectedPerIP     uint64            `json:"rejected_per_ip"`
	AcceptErrors      uint64            `json:"accept_errors"`
	Upgraded          uint64            `json:"upgraded"`
	HandshakeErrors   uint64            `json:"handshake_errors"`
	OriginRejected    uint64            `json:"origin_rejected"`
	HTTPRejected      uint64            `json:"http_rejected"`
	HandshakeTimeouts uint64            `json:"handshake_timeouts"`
	HelloTimeouts     uint64            `json:"hello_timeouts"`
	LobbyTimeouts     uint64            `json:"lobby_timeouts"`
	PingTimeouts      uint64            `json:"ping_timeouts"`
	PingsSent         uint64            `json:"pings_sent"`
	FrameTimeouts     uint64            `json:"frame_timeouts"`
	BytesIn           uint64            `json:"bytes_in"`
	BytesOut          uint64            `json:"bytes_out"`
	FramesIn          uint64            `json:"frames_in"`
	Inputs            uint64            `json:"inputs"`
	InputsOutsideRoom uint64            `json:"inputs_outside_room"`
	InputsDropped     uint64            `json:"inputs_dropped"`
	RateLimited       uint64            `json:"rate_limited"`
	RateClosed        uint64            `json:"rate_closed"`
	LookupsClosed     uint64            `json:"lookups_closed"`
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

// Stats returns a snapshot of the server's counters. It is cheap enough
// to poll: no stop-the-world (runtime/metrics instead of ReadMemStats) and
// the fd count is read from /proc at most once per fdCacheTTL.
func (s *Server) Stats() Stats {
	hs := s.cfg.Hub.Stats()
	mem := readMemMetrics()
	s.mu.Lock()
	conns, httpConns := len(s.conns), s.httpConns
	s.mu.Unlock()
	st := Stats{
		Goroutines:        runtime.NumGoroutine(),
		Connections:       conns,
		HTTPConnections:   httpConns,
		FDs:               fdCount.get(),
		Rooms:             hs.Rooms,
		RoomsOpened:       hs.RoomsOpened,
		RoomsClosed:       hs.RoomsClosed,
		RoomsRefused:      hs.RoomsRefused,
		Players:           hs.Players,
		Accepted:          s.stats.accepted.Load(),
		Rejected:          s.stats.rejected.Load(),
		RejectedPerIP:     s.stats.rejectedPerIP.Load(),
		AcceptErrors:      s.stats.acceptErrors.Load(),
		Upgraded:          s.stats.upgraded.Load(),
		HandshakeErrors:   s.stats.handshakeErrors.Load(),
		OriginRejected:    s.stats.originRejected.Load(),
		HTTPRejected:      s.stats.httpRejected.Load(),
		HandshakeTimeouts: s.stats.handshakeTimeouts.Load(),
		HelloTimeouts:     s.stats.helloTimeouts.Load(),
		LobbyTimeouts:     s.stats.lobbyTimeouts.Load(),
		PingTimeouts:      s.stats.pingTimeouts.Load(),
		PingsSent:         s.stats.pingsSent.Load(),
		FrameTimeouts:     s.stats.frameTimeouts.Load(),
		BytesIn:           s.stats.bytesIn.Load(),
		BytesOut:          s.stats.bytesOut.Load(),
		FramesIn:          s.stats.framesIn.Load(),
		Inputs:            s.stats.inputs(),
		InputsOutsideRoom: s.stats.inputsOutsideRoom.Load(),
		InputsDropped:     hs.InputsDropped,
		RateLimited:       s.stats.rateLimited.Load(),
		RateClosed:        s.stats.rateClosed.Load(),
		LookupsClosed:     s.stats.lookupsClosed.Load(),
		BadMessages:       s.stats.badMessages.Load(),
		ProtocolErrors:    s.stats.protocolErrors.Load(),
		Joins:             s.stats.joinResults[0].Load(),
		JoinErrors:        sumResults(&s.stats.joinResults, 1),
		SnapshotsSent:     s.stats.snapshotsSent.Load(),
		SnapshotsReplaced: s.stats.snapshotsReplaced.Load(),
		SlowClosed:        s.stats.slowClosed.Load(),
		Resumes:           s.stats.resumeResults[0].Load(),
		ResumeErrors:      sumResults(&s.stats.resumeResults, 1),
		RoomsFailed:       hs.RoomsFailed,
		TickOverruns:      hs.Overruns,
		TicksSkipped:      hs.Skipped,
		CloseCodes:        map[string]uint64{},
		HeapInuseBytes:    mem.heapInuse,
		Mallocs:           mem.mallocs,
		GCs:               uint32(mem.gcs),
	}
	for i := range s.stats.closeCodes {
		if n := s.stats.closeCodes[i].Load(); n > 0 {
			st.CloseCodes[strconv.Itoa(slotCloseCode(i))] = n
		}
	}
	return st
}

// memMetrics are the runtime figures Stats reports.
type memMetrics struct{ heapInuse, mallocs, gcs uint64 }

var memSamples = []metrics.Sample{
	{Name: "/memory/classes/heap/objects:bytes"},
	{Name: "/memory/classes/heap/unused:bytes"},
	{Name: "/gc/heap/allocs:objects"},
	{Name: "/gc/cycles/total:gc-cycles"},
}

var memMu sync.Mutex // memSamples is reused

func readMemMetrics() memMetrics {
	memMu.Lock()
	defer memMu.Unlock()
	metrics.Read(memSamples)
	u := func(i int) uint64 {
		if memSamples[i].Value.Kind() == metrics.KindUint64 {
			return memSamples[i].Value.Uint64()
		}
		return 0
	}
	// heap in use = object bytes + fragmentation inside in-use spans, as
	// MemStats.HeapInuse.
	return memMetrics{heapInuse: u(0) + u(1), mallocs: u(2), gcs: u(3)}
}

// fdCacheTTL is how stale the fd count may be: counting reads the whole
// /proc/self/fd directory, 19,000 entries at full load.
const fdCacheTTL = time.Second

type fdCounter struct {
	mu   sync.Mutex
	at   time.Time
	last int
}

var fdCount fdCounter

// get returns the process's open file descriptors (-1 where /proc is not
// available), counted at most once per fdCacheTTL.
func (f *fdCounter) get() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if time.Since(f.at) < fdCacheTTL {
		return f.last
	}
	entries, err := os.ReadDir("/proc/self/fd")
	f.at, f.last = time.Now(), len(entries)
	if err != nil {
		f.last = -1
	}
	return f.last
}

// serveRooms lists the public rooms (those quick-match fills) as JSON:
// [{"id", "mode", "players", "capacity", "tick_rate"}].
func (s *Server) serveRooms(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(s.cfg.Hub.PublicRooms())
}
