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
