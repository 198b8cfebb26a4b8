package bench

import (
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Stats is what the bots of one goroutine, one process or a whole run
// measured. Every field merges by addition (histograms by bucket), so each
// goroutine keeps its own, a process merges its goroutines' and the
// coordinator merges the processes' (shipped as JSON).
type Stats struct {
	// Connection phase, not limited to the window.
	Bots       int64 `json:"bots"`
	Connected  int64 `json:"connected"`   // finished the handshake (ServerHello)
	Failed     int64 `json:"failed"`      // never reached their target state
	Joined     int64 `json:"joined"`      // got Welcome
	JoinFailed int64 `json:"join_failed"` // got Error or lost the connection while joining

	Connect   Histogram `json:"connect_us"`   // TCP connect + HTTP upgrade
	Handshake Histogram `json:"handshake_us"` // Hello → ServerHello
	Join      Histogram `json:"join_us"`      // Join → Welcome
	TickRate  uint32    `json:"tick_rate"`    // largest Welcome.tick_rate seen

	// Measurement window (events whose time falls inside it).
	WindowNanos   int64     `json:"window_ns"`
	Clients       int64     `json:"clients"` // in a room (and reading) during the whole window
	Snapshots     int64     `json:"snapshots"`
	RecvPayload   int64     `json:"recv_payload_bytes"` // WebSocket payload bytes received
	RecvWire      int64     `json:"recv_wire_bytes"`    // bytes read from the sockets
	SentPayload   int64     `json:"sent_payload_bytes"`
	SentWire      int64     `json:"sent_wire_bytes"`
	InputsSent    int64     `json:"inputs_sent"`
	InputsDropped int64     `json:"inputs_dropped"` // send queue of the bot full
	InputsSkipped int64     `json:"inputs_skipped"` // scheduler fell a period behind
	AcksLost      int64     `json:"acks_lost"`      // ack for a seq no longer in the ring
	Gap           Histogram `json:"gap_us"`
	RTT           Histogram `json:"rtt_us"`
	SnapshotSize  Histogram `json:"snapshot_bytes"`
	// SnapshotsFull are the full snapshots (base_tick 0) among Snapshots.
	SnapshotsFull int64 `json:"snapshots_full"`
	// With ShardSpec.TrackEntities: the entities in the world of each
	// snapshot (full or delta, followed through the baselines), the ids
	// listed by full snapshots alone, and the deltas whose baseline the
	// bot did not have (not counted).
	Entities           Histogram `json:"entities"`
	EntitiesFull       Histogram `json:"entities_full"`
	EntitiesUnresolved int64     `json:"entities_unresolved"`
	// RosterChanges are RosterUpdates, and Rosters other than the one
	// that follows a bot's own Welcome: someone joined or left the room.
	RosterChanges int64 `json:"roster_changes"`
	// Rosters and RosterBytes count every Roster and RosterUpdate message
	// (payload bytes) over the whole run.
	Rosters     int64 `json:"rosters"`
	RosterBytes int64 `json:"roster_bytes"`

	// Whole run.
	Disconnects    int64            `json:"disconnects"` // closed by the server or the network after connecting
	CloseCodes     map[string]int64 `json:"close_codes,omitempty"`
	ErrorCodes     map[string]int64 `json:"error_codes,omitempty"`
	FailReasons    map[string]int64 `json:"fail_reasons,omitempty"`
	ProtocolErrors int64            `json:"protocol_errors"`

	// Reference window (slow scenario): the bots that keep reading, before
	// the others stop.
	RefWindowNanos int64     `json:"ref_window_ns"`
	RefClients     int64     `json:"ref_clients"`
	RefSnapshots   int64     `json:"ref_snapshots"`
	RefGap         Histogram `json:"ref_gap_us"`
	RefRTT         Histogram `json:"ref_rtt_us"`
	RefInputsSkip  int64     `json:"ref_inputs_skipped"`
	// GapSeconds[i] holds the readers' gaps that ended in second i from
	// the start of the reference window (through the window).
	GapSeconds []Histogram `json:"gap_seconds_us,omitempty"`

	// Slow scenario.
	SlowBots         int64     `json:"slow_bots"`
	SlowDisconnected int64     `json:"slow_disconnected"`
	SlowDisconnect   Histogram `json:"slow_disconnect_us"` // from stopping to read to the disconnect

	// Churn scenario.
	Cycles       int64 `json:"cycles"`        // joins answered by Welcome
	CyclesFailed int64 `json:"cycles_failed"` // connections that failed before finishing their cycles
	Leaves       int64 `json:"leaves"`

	// Joins over the whole run, wall clock (Unix ns): the first Join sent,
	// the first and the last Welcome received (match scenario).
	FirstJoinNs    int64 `json:"first_join_ns,omitempty"`
	FirstWelcomeNs int64 `json:"first_welcome_ns,omitempty"`
	LastWelcomeNs  int64 `json:"last_welcome_ns,omitempty"`
	// WelcomesBySecond[i] counts the Welcomes in second i of the dial
	// pacing (with a connect rate).
	WelcomesBySecond []int64 `json:"welcomes_by_second,omitempty"`

	// Resume scenario.
	Drops        int64 `json:"drops"`         // sockets dropped (no close frame)
	DropsSkipped int64 `json:"drops_skipped"` // bots not in a room when their drop came
	Resumed      int64 `json:"resumed"`       // Welcome{resumed, same player_id}
	ResumeFailed int64 `json:"resume_failed"` // refused, wrong Welcome, or connection lost
	// ResumeFailReasons says why, like FailReasons.
	ResumeFailReasons map[string]int64 `json:"resume_fail_reasons,omitempty"`
	// From the drop (the redial starts) to the resumed Welcome; the
	// reconnection's TCP connect + upgrade, Hello → ServerHello and
	// Join{resume_token} → Welcome.
	ResumeLatency   Histogram `json:"resume_us"`
	ResumeConnect   Histogram `json:"resume_connect_us"`
	ResumeHandshake Histogram `json:"resume_handshake_us"`
	ResumeJoin      Histogram `json:"resume_join_us"`
	// After a resumed Welcome: the first snapshot the bot could resolve
	// (without the old connection's baselines) holds the player's entity
	// with a score at least the one it had before the drop; or it is
	// missing, its score is lower, or the score before was not known.
	ResumeEntityOK      int64 `json:"resume_entity_ok"`
	ResumeEntityMissing int64 `json:"resume_entity_missing"`
	ResumeScoreLower    int64 `json:"resume_score_lower"`
	ResumeScoreUnknown  int64 `json:"resume_score_unknown"`
	// The first snapshot after it was a delta (the contract says full),
	// against a tick the old connection had received (at most the newest
	// it got); the snapshots that could not be resolved before one could
	// (deltas against baselines the new connection never had); and the
	// time from the resumed Welcome to the first resolved snapshot.
	ResumeFirstDelta    int64     `json:"resume_first_delta"`
	ResumeFirstDeltaOld int64     `json:"resume_first_delta_old"`
	ResumeUnusable      int64     `json:"resume_unusable_snapshots"`
	ResumeWorld         Histogram `json:"resume_world_us"`
}

// Merge adds o into s.
func (s *Stats) Merge(o *Stats) {
	if o == nil {
		return
	}
	s.Bots += o.Bots
	s.Connected += o.Connected
	s.Failed += o.Failed
	s.Joined += o.Joined
	s.JoinFailed += o.JoinFailed
	s.Connect.Merge(&o.Connect)
	s.Handshake.Merge(&o.Handshake)
	s.Join.Merge(&o.Join)
	s.TickRate = max(s.TickRate, o.TickRate)
	s.WindowNanos = max(s.WindowNanos, o.WindowNanos)
	s.Clients += o.Clients
	s.Snapshots += o.Snapshots
	s.RecvPayload += o.RecvPayload
	s.RecvWire += o.RecvWire
	s.SentPayload += o.SentPayload
	s.SentWire += o.SentWire
	s.InputsSent += o.InputsSent
	s.InputsDropped += o.InputsDropped
	s.InputsSkipped += o.InputsSkipped
	s.AcksLost += o.AcksLost
	s.Gap.Merge(&o.Gap)
	s.RTT.Merge(&o.RTT)
	s.SnapshotSize.Merge(&o.SnapshotSize)
	s.SnapshotsFull += o.SnapshotsFull
	s.Entities.Merge(&o.Entities)
	s.EntitiesFull.Merge(&o.EntitiesFull)
	s.EntitiesUnresolved += o.EntitiesUnresolved
	s.RosterChanges += o.RosterChanges
	s.Rosters += o.Rosters
	s.RosterBytes += o.RosterBytes
	s.Disconnects += o.Disconnects
	s.CloseCodes = mergeCounts(s.CloseCodes, o.CloseCodes)
	s.ErrorCodes = mergeCounts(s.ErrorCodes, o.ErrorCodes)
	s.FailReasons = mergeCounts(s.FailReasons, o.FailReasons)
	s.ProtocolErrors += o.ProtocolErrors
	s.RefWindowNanos = max(s.RefWindowNanos, o.RefWindowNanos)
	s.RefClients += o.RefClients
	s.RefSnapshots += o.RefSnapshots
	s.RefGap.Merge(&o.RefGap)
	s.RefRTT.Merge(&o.RefRTT)
	s.RefInputsSkip += o.RefInputsSkip
	if n := len(o.GapSeconds); n > len(s.GapSeconds) {
		s.GapSeconds = append(s.GapSeconds, make([]Histogram, n-len(s.GapSeconds))...)
	}
	for i := range o.GapSeconds {
		s.GapSeconds[i].Merge(&o.GapSeconds[i])
	}
	s.SlowBots += o.SlowBots
	s.SlowDisconnected += o.SlowDisconnected
	s.SlowDisconnect.Merge(&o.SlowDisconnect)
	s.Cycles += o.Cycles
	s.CyclesFailed += o.CyclesFailed
	s.Leaves += o.Leaves
	s.FirstJoinNs = minNonZero(s.FirstJoinNs, o.FirstJoinNs)
	s.FirstWelcomeNs = minNonZero(s.FirstWelcomeNs, o.FirstWelcomeNs)
	s.LastWelcomeNs = max(s.LastWelcomeNs, o.LastWelcomeNs)
	if n := len(o.WelcomesBySecond); n > len(s.WelcomesBySecond) {
		s.WelcomesBySecond = append(s.WelcomesBySecond, make([]int64, n-len(s.WelcomesBySecond))...)
	}
	for i, c := range o.WelcomesBySecond {
		s.WelcomesBySecond[i] += c
	}
	s.Drops += o.Drops
	s.DropsSkipped += o.DropsSkipped
	s.Resumed += o.Resumed
	s.ResumeFailed += o.ResumeFailed
	s.ResumeFailReasons = mergeCounts(s.ResumeFailReasons, o.ResumeFailReasons)
	s.ResumeLatency.Merge(&o.ResumeLatency)
	s.ResumeConnect.Merge(&o.ResumeConnect)
	s.ResumeHandshake.Merge(&o.ResumeHandshake)
	s.ResumeJoin.Merge(&o.ResumeJoin)
	s.ResumeEntityOK += o.ResumeEntityOK
	s.ResumeEntityMissing += o.ResumeEntityMissing
	s.ResumeScoreLower += o.ResumeScoreLower
	s.ResumeScoreUnknown += o.ResumeScoreUnknown
	s.ResumeFirstDelta += o.ResumeFirstDelta
	s.ResumeFirstDeltaOld += o.ResumeFirstDeltaOld
	s.ResumeUnusable += o.ResumeUnusable
	s.ResumeWorld.Merge(&o.ResumeWorld)
}

// minNonZero is the smaller of a and b, 0 meaning unset.
func minNonZero(a, b int64) int64 {
	if a == 0 || b != 0 && b < a {
		return b
	}
	return a
}

func mergeCounts(dst, src map[string]int64) map[string]int64 {
	if len(src) == 0 {
		return dst
	}
	if dst == nil {
		dst = make(map[string]int64, len(src))
	}
	for k, v := range src {
		dst[k] += v
	}
	return dst
}

// count increments m[k], creating m.
func count(m *map[string]int64, k string) {
	if *m == nil {
		*m = make(map[string]int64)
	}
	(*m)[k]++
}

// countsString renders a count map as "k=v k=v" in key order.
func countsString(m map[string]int64) string {
	if len(m) == 0 {
		return "-"
	}
	var sb strings.Builder
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if sb.Len() > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(k)
		sb.WriteByte('=')
		sb.WriteString(strconv.FormatInt(m[k], 10))
	}
	return sb.String()
}

// maxSeconds bounds GapSeconds (an hour).
const maxSeconds = 3600

// recordSecond adds a gap (µs) to second i.
func (s *Stats) recordSecond(i int, us int64) {
	if i < 0 || i >= maxSeconds {
		return
	}
	if i >= len(s.GapSeconds) {
		s.GapSeconds = append(s.GapSeconds, make([]Histogram, i+1-len(s.GapSeconds))...)
	}
	s.GapSeconds[i].Record(us)
}

// recordWelcome counts a Welcome in second i.
func (s *Stats) recordWelcome(i int) {
	if i < 0 || i >= maxSeconds {
		return
	}
	if i >= len(s.WelcomesBySecond) {
		s.WelcomesBySecond = append(s.WelcomesBySecond, make([]int64, i+1-len(s.WelcomesBySecond))...)
	}
	s.WelcomesBySecond[i]++
}
