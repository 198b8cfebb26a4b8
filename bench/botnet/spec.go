package botnet

import (
	"fmt"
	"net/netip"
	"net/url"
	"time"
)

// Workload is what every bot of a shard does once connected.
type Workload string

const (
	// WorkIdle: finish the handshake, then stay silent.
	WorkIdle Workload = "idle"
	// WorkPlay: join a room and send inputs on the tick schedule.
	WorkPlay Workload = "play"
	// WorkChurn: join, hold, leave, repeat Cycles times, then disconnect.
	WorkChurn Workload = "churn"
	// WorkResume: play like WorkPlay; once the window starts, each bot
	// drops its socket (no close frame) at its slot of DropSpread,
	// reconnects and resumes its session (Join{resume_token}).
	WorkResume Workload = "resume"
)

// plays reports whether the bots of w send inputs on the tick schedule.
func (w Workload) plays() bool { return w == WorkPlay || w == WorkResume }

// ShardSpec configures one engine: the bots with global indices
// First..First+Count-1 of a run of Total bots. It travels as JSON to child
// processes, so every field is plain data.
type ShardSpec struct {
	URL      string   `json:"url"`
	Workload Workload `json:"workload"`
	First    int      `json:"first"`
	Count    int      `json:"count"`
	Total    int      `json:"total"`

	// Rooms: bot g joins RoomPrefix + g/PlayersPerRoom, or, with a
	// RoomPool, RoomPrefix + g mod RoomPool.
	PlayersPerRoom int    `json:"players_per_room"`
	RoomPool       int    `json:"room_pool,omitempty"`
	RoomPrefix     string `json:"room_prefix"`
	GameMode       string `json:"game_mode"`
	// QuickMatch: bots join with an empty room id, letting the server's
	// matchmaking place them in a public room of GameMode.
	QuickMatch bool `json:"quick_match,omitempty"`
	// AwayAfterJoin: a bot closes its socket (no Leave, no close frame)
	// right after its Welcome, leaving an away player in its place.
	AwayAfterJoin bool `json:"away_after_join,omitempty"`

	TickPeriod time.Duration `json:"tick_period"` // input period
	Latency    time.Duration `json:"latency"`     // held before each send

	DialConcurrency int           `json:"dial_concurrency"`
	DialTimeout     time.Duration `json:"dial_timeout"`
	// ConnectRate paces new connections per second over the whole run
	// (0: as fast as the dial pool goes): bot g dials at DialEpoch +
	// g/ConnectRate, whichever process it is in.
	ConnectRate float64 `json:"connect_rate"`
	// DialEpoch is the wall-clock start of the pacing (Unix ns; 0: when
	// the engine starts).
	DialEpoch int64 `json:"dial_epoch,omitempty"`
	// SourceAddrs, if any, are the local addresses to dial from, PerSource
	// bots each, in order.
	SourceAddrs []netip.Addr `json:"source_addrs,omitempty"`
	PerSource   int          `json:"per_source"`

	// SlowFraction of the bots stop reading when the window starts.
	SlowFraction float64 `json:"slow_fraction"`
	// SlowRcvBuf, if > 0, is the SO_RCVBUF of the slow bots' sockets: a
	// small one makes the server's own limit, not the kernel's buffers,
	// decide when a stalled client is cut off.
	SlowRcvBuf int `json:"slow_rcvbuf"`

	// Churn: time in the room, pause after Leave, joins per connection.
	Hold   time.Duration `json:"hold"`
	Pause  time.Duration `json:"pause"`
	Cycles int           `json:"cycles"`

	Workers  int   `json:"workers"`
	MaxFrame int64 `json:"max_frame"`
	// Validate decodes every snapshot with the generated code (costs CPU)
	// and counts the ones that do not decode as protocol errors.
	Validate bool `json:"validate"`
	// TrackEntities: bots follow the ids of the entities in their
	// snapshots, through deltas, to count the entities each one sees.
	TrackEntities bool `json:"track_entities,omitempty"`

	// Resume (WorkResume): the drops are spread over DropSpread from the
	// window's start; DropReset closes with SO_LINGER 0 (an RST) instead
	// of a FIN.
	DropSpread time.Duration `json:"drop_spread,omitempty"`
	DropReset  bool          `json:"drop_reset,omitempty"`
}

// DefaultPause is a churn connection's pause between its Leave and its
// next Join.
const DefaultPause = 50 * time.Millisecond

// withDefaults fills zero fields.
func (s ShardSpec) withDefaults() ShardSpec {
	if s.Total == 0 {
		s.Total = s.First + s.Count
	}
	if s.PlayersPerRoom <= 0 {
		s.PlayersPerRoom = 50
	}
	if s.RoomPrefix == "" {
		s.RoomPrefix = "bench-"
	}
	if s.GameMode == "" {
		s.GameMode = "movers"
	}
	if s.TickPeriod <= 0 {
		s.TickPeriod = time.Second / 30
	}
	if s.DialConcurrency <= 0 {
		s.DialConcurrency = 32
	}
	if s.DialTimeout <= 0 {
		s.DialTimeout = 10 * time.Second
	}
	if s.PerSource <= 0 {
		s.PerSource = 25000
	}
	if s.Workers <= 0 {
		s.Workers = 2
	}
	if s.MaxFrame <= 0 {
		s.MaxFrame = 1 << 20
	}
	if s.Cycles <= 0 {
		s.Cycles = 1
	}
	if s.Pause <= 0 {
		s.Pause = DefaultPause
	}
	return s
}

func (s ShardSpec) validate() error {
	if s.Count < 0 || s.First < 0 {
		return fmt.Errorf("shard: bad range first=%d count=%d", s.First, s.Count)
	}
	switch s.Workload {
	case WorkIdle, WorkPlay, WorkChurn, WorkResume:
	default:
		return fmt.Errorf("shard: unknown workload %q", s.Workload)
	}
	u, err := url.Parse(s.URL)
	if err != nil {
		return fmt.Errorf("shard: url: %w", err)
	}
	if u.Scheme != "ws" {
		return fmt.Errorf("shard: url %q: only ws:// is supported", s.URL)
	}
	if s.SlowFraction < 0 || s.SlowFraction > 1 {
		return fmt.Errorf("shard: slow fraction %v outside [0, 1]", s.SlowFraction)
	}
	return nil
}

// roomOf names the room of bot g ("" for a quick-match).
func (s ShardSpec) roomOf(g int) string {
	if s.QuickMatch {
		return ""
	}
	if s.RoomPool > 0 {
		return fmt.Sprintf("%s%d", s.RoomPrefix, g%s.RoomPool)
	}
	return fmt.Sprintf("%s%d", s.RoomPrefix, g/s.PlayersPerRoom)
}

// sourceOf is the local address bot g dials from (zero: let the kernel pick).
func (s ShardSpec) sourceOf(g int) netip.Addr {
	if len(s.SourceAddrs) == 0 {
		return netip.Addr{}
	}
	return s.SourceAddrs[(g/s.PerSource)%len(s.SourceAddrs)]
}

// IsSlow spreads SlowFraction evenly over the global indices.
func IsSlow(g int, fraction float64) bool {
	if fraction <= 0 {
		return false
	}
	return int64(float64(g+1)*fraction) > int64(float64(g)*fraction)
}

// dropOffset is when, after the window's start, bot g of total drops its
// connection (resume): the drops are spread evenly over spread, and the
// bots of one room (perRoom consecutive indices) are interleaved with the
// other rooms' so that each room loses few players at once while the rest
// of it watches.
func dropOffset(g, total, perRoom int, spread time.Duration) time.Duration {
	if total <= 1 || spread <= 0 {
		return 0
	}
	perRoom = max(min(perRoom, total), 1)
	rooms := (total + perRoom - 1) / perRoom
	slot := (g%perRoom)*rooms + g/perRoom // < perRoom*rooms
	return time.Duration(int64(slot) * int64(spread) / int64(perRoom*rooms))
}
