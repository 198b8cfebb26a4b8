package server

import (
	"log/slog"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/skirmishgg/skirmish/game"
)

// Bucket bounds of the room histograms.
var (
	// tickBuckets reach past the 33 ms budget of a 30 Hz tick, with bounds
	// near it, so that a p99 against the budget reads well.
	tickBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .02, .033, .05, .1, .25}
	// snapshotBuckets span an empty delta to a full snapshot of a crowded
	// room (64 B .. 64 KiB).
	snapshotBuckets = prometheus.ExponentialBuckets(64, 2, 11)
	// baselineAgeBuckets span the 32 ticks of history a room keeps.
	baselineAgeBuckets = []float64{1, 2, 3, 4, 6, 8, 12, 16, 24, 32}
)

// RoomObserver watches a hub's rooms for the server (it is a
// game.Observer): each room's ticks feed the histograms of tick work,
// snapshot sizes and baseline ages, and each room that opens or closes
// gets a log line. Make one, give it to the hub (HubConfig.Observer) and
// to the server (Config.Rooms), which serves its histograms at /metrics.
//
// Nothing here runs per message or per member: a room reports once per
// tick (game.TickReport), and the label values of a mode are looked up
// once, when its first room opens.
type RoomObserver struct {
	log         *limitedLog
	tick        *prometheus.HistogramVec
	snapshot    *prometheus.HistogramVec
	baselineAge prometheus.Histogram
	full, delta prometheus.Observer
	opened      *prometheus.CounterVec
	closed      *prometheus.CounterVec

	mu    sync.Mutex
	modes map[string]*modeMetrics // bounded by the hub's modes
}

// modeMetrics are the metrics of one mode, resolved once.
type modeMetrics struct {
	tick           prometheus.Observer
	opened, closed prometheus.Counter
}

// NewRoomObserver returns an observer that logs to log (slog.Default
// when nil).
func NewRoomObserver(log *slog.Logger) *RoomObserver {
	if log == nil {
		log = slog.Default()
	}
	o := &RoomObserver{
		log: newLimitedLog(log),
		tick: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "skirmish_tick_seconds",
			Help:    "Time a room's tick took: reading its members, applying their messages, advancing the world, broadcasting.",
			Buckets: tickBuckets,
		}, []string{"mode"}),
		snapshot: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "skirmish_snapshot_bytes",
			Help:    "Size of each encoded snapshot (one per distinct view and tick, shared by its receivers), by kind: full or delta.",
			Buckets: snapshotBuckets,
		}, []string{"kind"}),
		baselineAge: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "skirmish_baseline_age_ticks",
			Help:    "Ticks between each encoded delta snapshot and the baseline it is relative to.",
			Buckets: baselineAgeBuckets,
		}),
		opened: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "skirmish_rooms_opened_total",
			Help: "Rooms opened, by mode.",
		}, []string{"mode"}),
		closed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "skirmish_rooms_closed_total",
			Help: "Rooms closed, by mode.",
		}, []string{"mode"}),
		modes: make(map[string]*modeMetrics),
	}
	o.full = o.snapshot.WithLabelValues("full")
	o.delta = o.snapshot.WithLabelValues("delta")
	return o
}

// Describe implements prometheus.Collector.
func (o *RoomObserver) Describe(ch chan<- *prometheus.Desc) {
	o.tick.Describe(ch)
	o.snapshot.Describe(ch)
	o.baselineAge.Describe(ch)
	o.opened.Describe(ch)
	o.closed.Describe(ch)
}

// Collect implements prometheus.Collector.
func (o *RoomObserver) Collect(ch chan<- prometheus.Metric) {
	o.tick.Collect(ch)
	o.snapshot.Collect(ch)
	o.baselineAge.Collect(ch)
	o.opened.Collect(ch)
	o.closed.Collect(ch)
}

// Modes makes the series of modes exist before their first room opens,
// so that dashboards and rate() see zeros rather than nothing.
func (o *RoomObserver) Modes(names ...string) {
	for _, m := range names {
		o.mode(m)
	}
}

func (o *RoomObserver) mode(name string) *modeMetrics {
	o.mu.Lock()
	defer o.mu.Unlock()
	m := o.modes[name]
	if m == nil {
		m = &modeMetrics{
			tick:   o.tick.WithLabelValues(name),
			opened: o.opened.WithLabelValues(name),
			closed: o.closed.WithLabelValues(name),
		}
		o.modes[name] = m
	}
	return m
}

// RoomOpened implements game.Observer.
func (o *RoomObserver) RoomOpened(r *game.Room) game.TickObserver {
	m := o.mode(r.ModeName())
	m.opened.Inc()
	// Anyone can open a room (with a Join), so the line is rate-limited.
	o.log.info("room opened", "room", r.ID(), "mode", r.ModeName(), "tick_rate", r.TickRate(), "capacity", r.Capacity())
	return &roomTicks{o: o, tick: m.tick}
}

// RoomClosed implements game.Observer.
func (o *RoomObserver) RoomClosed(r *game.Room) {
	o.mode(r.ModeName()).closed.Inc()
	o.log.info("room closed", "room", r.ID(), "mode", r.ModeName(), "ticks", r.Stats().Ticks, "failed", r.Failed())
}

// roomTicks hears one room's ticks.
type roomTicks struct {
	o    *RoomObserver
	tick prometheus.Observer
}

// ObserveTick implements game.TickObserver: one observation of the tick's
// work, and one per snapshot encoded (a handful per tick: one per
// distinct baseline, and per cell with interest management).
func (t *roomTicks) ObserveTick(rep *game.TickReport) {
	t.tick.Observe(rep.Work.Seconds())
	for _, s := range rep.Snapshots {
		if s.BaseAge == 0 {
			t.o.full.Observe(float64(s.Bytes))
			continue
		}
		t.o.delta.Observe(float64(s.Bytes))
		t.o.baselineAge.Observe(float64(s.BaseAge))
	}
}
