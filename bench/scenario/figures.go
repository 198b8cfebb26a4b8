package scenario

import (
	"time"

	"github.com/skirmishgg/skirmish/bench/botnet"
	"github.com/skirmishgg/skirmish/bench/measure"
)

// The figures the load scenarios share, in groups that their results
// embed (encoding/json inlines embedded structs, and leaves out a nil
// embedded pointer: a group a run did not measure). Times are in ms,
// rates per client and second, over the measurement window unless noted.

// Handshakes are the connection phases: TCP connect + HTTP upgrade, and
// Hello → ServerHello.
type Handshakes struct {
	ConnectP50Ms   float64 `json:"connect_p50_ms"`
	ConnectP99Ms   float64 `json:"connect_p99_ms"`
	HandshakeP50Ms float64 `json:"handshake_p50_ms"`
	HandshakeP99Ms float64 `json:"handshake_p99_ms"`
}

// NewHandshakes reads the handshake percentiles of s.
func NewHandshakes(s *measure.Stats) Handshakes {
	return Handshakes{
		ConnectP50Ms: measure.Ms(s.Connect.Quantile(0.5)), ConnectP99Ms: measure.Ms(s.Connect.Quantile(0.99)),
		HandshakeP50Ms: measure.Ms(s.Handshake.Quantile(0.5)), HandshakeP99Ms: measure.Ms(s.Handshake.Quantile(0.99)),
	}
}

// Joins are Join → Welcome.
type Joins struct {
	JoinP50Ms float64 `json:"join_p50_ms"`
	JoinP99Ms float64 `json:"join_p99_ms"`
}

// NewJoins reads the join percentiles of s.
func NewJoins(s *measure.Stats) Joins {
	return Joins{JoinP50Ms: measure.Ms(s.Join.Quantile(0.5)), JoinP99Ms: measure.Ms(s.Join.Quantile(0.99))}
}

// gapFigures are the time between two snapshots at a client, and input →
// acknowledgement.
type gapFigures struct {
	GapP50Ms float64 `json:"gap_p50_ms"`
	GapP99Ms float64 `json:"gap_p99_ms"`
	GapMaxMs float64 `json:"gap_max_ms"`
	RTTP50Ms float64 `json:"rtt_p50_ms"`
	RTTP99Ms float64 `json:"rtt_p99_ms"`
}

func newGaps(s *measure.Stats) gapFigures {
	return gapFigures{
		GapP50Ms: measure.Ms(s.Gap.Quantile(0.5)), GapP99Ms: measure.Ms(s.Gap.Quantile(0.99)), GapMaxMs: measure.Ms(s.Gap.Max()),
		RTTP50Ms: measure.Ms(s.RTT.Quantile(0.5)), RTTP99Ms: measure.Ms(s.RTT.Quantile(0.99)),
	}
}

// Failures are what went wrong over the whole run.
type Failures struct {
	Disconnects    int64  `json:"disconnects"`
	ProtocolErrors int64  `json:"protocol_errors"`
	CloseCodes     string `json:"close_codes"`
	ErrorCodes     string `json:"error_codes"`
	FailReasons    string `json:"fail_reasons"`
}

// NewFailures reads the failures of s.
func NewFailures(s *measure.Stats) Failures {
	return Failures{
		Disconnects: s.Disconnects, ProtocolErrors: s.ProtocolErrors, CloseCodes: measure.CountsString(s.CloseCodes),
		ErrorCodes: measure.CountsString(s.ErrorCodes), FailReasons: measure.CountsString(s.FailReasons),
	}
}

// clientFigures are what the bots of a load run measured.
type clientFigures struct {
	ClientsConnected int64  `json:"clients_connected"`
	ClientsJoined    *int64 `json:"clients_joined,omitempty"` // loads that join rooms
	ClientsFailed    int64  `json:"clients_failed"`
	// ClientsMeasured are the bots in a room (and reading) for the whole
	// window: the divisor of the per-client rates.
	ClientsMeasured int64   `json:"clients_measured"`
	Processes       int64   `json:"processes"`
	ConnectPhaseS   float64 `json:"connect_phase_s,omitempty"`
	WindowS         float64 `json:"window_s"`
	Handshakes
	*snapshotFigures
	byteFigures
	*inputFigures
	*botsUse
	Failures
}

// snapshotFigures are what the bots in rooms received.
type snapshotFigures struct {
	Joins
	SnapshotsPerClientS float64 `json:"snapshots_per_client_s"`
	gapFigures
	SnapshotBytesMean    float64  `json:"snapshot_bytes_mean"`
	FullSnapshotFraction *float64 `json:"full_snapshot_fraction,omitempty"`
	*entityFigures
}

// entityFigures are the entities in the world of each snapshot, when the bots
// track them.
type entityFigures struct {
	PerSnapshotMean     float64  `json:"entities_per_snapshot_mean"`
	PerSnapshotP50      int64    `json:"entities_per_snapshot_p50"`
	PerSnapshotP99      int64    `json:"entities_per_snapshot_p99"`
	PerSnapshotMax      int64    `json:"entities_per_snapshot_max"`
	Unresolved          int64    `json:"entities_unresolved"`
	FullSnapshots       int64    `json:"full_snapshots_counted"`
	PerFullSnapshotMean *float64 `json:"entities_per_full_snapshot_mean,omitempty"`
}

// byteFigures are the bytes the bots received and sent.
type byteFigures struct {
	PayloadBytesPerClientS float64 `json:"payload_bytes_per_client_s"`
	WireBytesPerClientS    float64 `json:"wire_bytes_per_client_s"`
	SentBytesPerClientS    float64 `json:"sent_bytes_per_client_s"`
}

// inputFigures are the inputs the bots in rooms sent.
type inputFigures struct {
	InputsSent    int64 `json:"inputs_sent"`
	InputsDropped int64 `json:"inputs_dropped"`
	InputsSkipped int64 `json:"inputs_skipped"`
	AcksLost      int64 `json:"acks_lost"`
	TickRate      int64 `json:"tick_rate"`
}

// botsUse is the bot processes' own CPU and RSS.
type botsUse struct {
	CPUCoreFraction float64 `json:"bots_cpu_core_fraction"`
	RSSBytes        int64   `json:"bots_rss_bytes"`
}

// newClients reads what the bots of r measured; joins tells whether they
// joined rooms.
func newClients(r *botnet.RunResult, joins bool) clientFigures {
	s := r.Stats
	win := time.Duration(s.WindowNanos)
	perClient := func(n int64) float64 { return measure.Round3(measure.PerClientSecond(float64(n), s.Clients, win)) }
	c := clientFigures{
		ClientsConnected: s.Connected, ClientsFailed: s.Failed, ClientsMeasured: s.Clients,
		Processes: int64(r.Processes), ConnectPhaseS: measure.Round3(r.ConnectTime.Seconds()),
		WindowS: measure.Round3(win.Seconds()), Handshakes: NewHandshakes(s),
		byteFigures: byteFigures{perClient(s.RecvPayload), perClient(s.RecvWire), perClient(s.SentWire)},
		Failures:    NewFailures(s),
	}
	if joins {
		c.ClientsJoined = new(s.Joined)
		c.snapshotFigures = &snapshotFigures{
			Joins: NewJoins(s), SnapshotsPerClientS: perClient(s.Snapshots), gapFigures: newGaps(s),
			SnapshotBytesMean: measure.Round3(s.SnapshotSize.Mean()), entityFigures: newEntities(s),
		}
		if s.Snapshots > 0 {
			c.FullSnapshotFraction = new(measure.Round3(float64(s.SnapshotsFull) / float64(s.Snapshots)))
		}
		c.inputFigures = &inputFigures{s.InputsSent, s.InputsDropped, s.InputsSkipped, s.AcksLost, int64(s.TickRate)}
	}
	if cores := BotsCores(r, win); cores != nil {
		c.botsUse = &botsUse{*cores, r.Bots.RSS}
	}
	return c
}

// newEntities reads the entity counts, when the bots tracked them.
func newEntities(s *measure.Stats) *entityFigures {
	if s.Entities.Count() == 0 && s.EntitiesUnresolved == 0 && s.EntitiesFull.Count() == 0 {
		return nil
	}
	e := &entityFigures{
		PerSnapshotMean: measure.Round3(s.Entities.Mean()), PerSnapshotP50: s.Entities.Quantile(0.5),
		PerSnapshotP99: s.Entities.Quantile(0.99), PerSnapshotMax: s.Entities.Max(),
		Unresolved: s.EntitiesUnresolved, FullSnapshots: int64(s.EntitiesFull.Count()),
	}
	if s.EntitiesFull.Count() > 0 {
		e.PerFullSnapshotMean = new(measure.Round3(s.EntitiesFull.Mean()))
	}
	return e
}

// serverUse is the server process's side of a load run.
type serverUse struct {
	*serverCPU
	// MachineOtherCPUCores is the CPU the machine spent over the window
	// on anything but the bots and the server.
	MachineOtherCPUCores *float64 `json:"machine_other_cpu_cores,omitempty"`
	*serverCounts
}

// serverCPU is the server's CPU and RSS, from /proc.
type serverCPU struct {
	CPUUsPerClientTick *float64 `json:"server_cpu_us_per_client_tick,omitempty"`
	CPUUsPerClientS    *float64 `json:"server_cpu_us_per_client_s,omitempty"` // loads without ticks (idle)
	CoreFraction       float64  `json:"server_cpu_core_fraction"`
	RSSBeforeBytes     int64    `json:"server_rss_before_bytes"`
	RSSBytes           int64    `json:"server_rss_bytes"`
	RSSPerConnBytes    float64  `json:"server_rss_per_conn_bytes"`
}

// serverCounts are from /debug/stats.
type serverCounts struct {
	GoroutinesBefore int64 `json:"server_goroutines_before"`
	Goroutines       int64 `json:"server_goroutines"`
	Connections      int64 `json:"server_connections"`
}

// newServerUse reads the server's side of r; clients is the number of
// connections it served, ticks whether the load runs on its ticks.
func newServerUse(r *botnet.RunResult, clients int64, ticks bool) serverUse {
	var u serverUse
	sv := r.Server
	win := time.Duration(r.Stats.WindowNanos)
	if sv.Measured {
		c := &serverCPU{
			CoreFraction: measure.Round3(measure.CoreFraction(sv.CPU, win)), RSSBeforeBytes: sv.RSSBefore, RSSBytes: sv.RSSAfter,
			RSSPerConnBytes: measure.Round3(measure.PerConn(sv.RSSBefore, sv.RSSAfter, clients)),
		}
		if ticks {
			c.CPUUsPerClientTick = new(measure.Round3(measure.CPUPerClientTick(sv.CPU, clients, win, float64(r.Stats.TickRate))))
		} else {
			c.CPUUsPerClientS = new(measure.Round3(measure.PerClientSecond(float64(sv.CPU.Microseconds()), clients, win)))
		}
		u.serverCPU = c
		u.MachineOtherCPUCores = OtherCores(r, win)
	}
	if sv.HasDebug {
		u.serverCounts = &serverCounts{sv.GoroutinesPre, sv.Goroutines, sv.Connections}
	}
	return u
}

// BotsCores is the bots' CPU over span in cores, when they were sampled.
func BotsCores(r *botnet.RunResult, span time.Duration) *float64 {
	if r.Bots.RSS <= 0 {
		return nil
	}
	return new(measure.Round3(measure.CoreFraction(r.Bots.CPU, span)))
}

// ServerCores is the server's CPU over span in cores, when it was
// sampled.
func ServerCores(r *botnet.RunResult, span time.Duration) *float64 {
	if !r.Server.Measured {
		return nil
	}
	return new(measure.Round3(measure.CoreFraction(r.Server.CPU, span)))
}

// OtherCores is the CPU the machine spent over span on anything but the
// bots and the server, when all three were measured.
func OtherCores(r *botnet.RunResult, span time.Duration) *float64 {
	if !r.Server.Measured || r.Bots.RSS <= 0 || r.Machine.Busy <= 0 {
		return nil
	}
	return new(measure.Round3(measure.OtherCores(r.Machine, r.Server.CPU+r.Bots.CPU, span)))
}

// joinedFigures are the bots that finished the handshake, got a Welcome, or
// never got there.
type joinedFigures struct {
	ClientsConnected int64 `json:"clients_connected"`
	ClientsJoined    int64 `json:"clients_joined"`
	ClientsFailed    int64 `json:"clients_failed"`
}
