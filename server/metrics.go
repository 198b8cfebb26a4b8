package server

import (
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	skirmishv1 "github.com/skirmishgg/skirmish/proto/skirmish/v1"
)

// BuildInfo names the build, for skirmish_build_info and logs.
type BuildInfo struct {
	Version string // "dev" when empty
	Commit  string // "unknown" when empty
}

// newRegistry gathers what /metrics serves: the server's counters, read
// at scrape time from the atomics that the connections' paths bump; the
// rooms' histograms; the build; and the Go runtime's and the process's
// standard metrics.
func (s *Server) newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	build := s.cfg.Build
	if build.Version == "" {
		build.Version = "dev"
	}
	if build.Commit == "" {
		build.Commit = "unknown"
	}
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "skirmish_build_info",
			Help:        "Always 1; the labels name the build.",
			ConstLabels: prometheus.Labels{"version": build.Version, "commit": build.Commit, "goversion": runtime.Version()},
		}, func() float64 { return 1 }),
		s.cfg.Rooms,
		&serverCollector{s: s},
	)
	return reg
}

// The server's metrics. Their names and labels are a contract with the
// operators' dashboards and alerts (docs/operations.md lists them).
var (
	descConnections = prometheus.NewDesc("skirmish_connections",
		"Open WebSocket connections by state: handshake (before the Hello), lobby (in no room), room, closing.", []string{"state"}, nil)
	descHTTPConnections = prometheus.NewDesc("skirmish_http_connections",
		"Plain HTTP connections (the page, /rooms) being served.", nil, nil)
	descMaxConnections = prometheus.NewDesc("skirmish_max_connections",
		"The connection limit (-max-conns): WebSocket and HTTP connections together.", nil, nil)
	descRooms = prometheus.NewDesc("skirmish_rooms",
		"Open rooms, by mode.", []string{"mode"}, nil)
	descPlayers = prometheus.NewDesc("skirmish_players",
		"Players in rooms (spectators not counted; players waiting for a resume counted), by mode.", []string{"mode"}, nil)
	descTickBudget = prometheus.NewDesc("skirmish_tick_budget_seconds",
		"The period of the default tick rate: a tick that takes longer makes its room late.", nil, nil)
	descTicks = prometheus.NewDesc("skirmish_ticks_total",
		"Room ticks run.", nil, nil)
	descOverruns = prometheus.NewDesc("skirmish_tick_overruns_total",
		"Ticks run late, back to back with another, because the room's loop fell behind.", nil, nil)
	descSkipped = prometheus.NewDesc("skirmish_ticks_skipped_total",
		"Ticks dropped because a room's loop fell too far behind to catch up.", nil, nil)
	descRoomsFailed = prometheus.NewDesc("skirmish_rooms_failed_total",
		"Rooms that ended on an internal error (a panic in a tick).", nil, nil)
	descCloses = prometheus.NewDesc("skirmish_closes_total",
		"WebSocket connections closed, by close code (the code the server sent or echoed; 1006: ended without a close frame).", []string{"code"}, nil)
	descRejects = prometheus.NewDesc("skirmish_rejects_total",
		"Connections refused or cut off by a limit or a check, by reason.", []string{"reason"}, nil)
	descTimeouts = prometheus.NewDesc("skirmish_timeouts_total",
		"Connections closed because a deadline passed, by kind: handshake, hello, lobby, frame, ping.", []string{"kind"}, nil)
	descJoins = prometheus.NewDesc("skirmish_joins_total",
		"Joins (not resumes), by result: ok, or the ErrorCode that refused them (room_full, draining, ...).", []string{"result"}, nil)
	descResumes = prometheus.NewDesc("skirmish_resumes_total",
		"Resumes of a session on a new connection, by result: ok, or the ErrorCode that refused them.", []string{"result"}, nil)
	descBytes = prometheus.NewDesc("skirmish_bytes_total",
		"Bytes read from and written to WebSocket connections (frames and headers), by direction: in, out.", []string{"direction"}, nil)
	descFrames = prometheus.NewDesc("skirmish_frames_total",
		"WebSocket frames received and sent, by direction: in, out.", []string{"direction"}, nil)
	descInputs = prometheus.NewDesc("skirmish_inputs_total",
		"Inputs received, by what became of them: queued for a room, outside_room, rate_limited, before_hello.", []string{"result"}, nil)
	descInputsDropped = prometheus.NewDesc("skirmish_inputs_dropped_total",
		"Queued inputs dropped because a player sent more than a room keeps between two ticks (the oldest go).", nil, nil)
	descRateLimited = prometheus.NewDesc("skirmish_rate_limited_total",
		"Messages dropped because a connection went over one of its rate limits.", nil, nil)
	descSnapshotsReplaced = prometheus.NewDesc("skirmish_snapshots_replaced_total",
		"Snapshots never sent because a newer one replaced them while the connection's socket was full.", nil, nil)
	descSlowClosed = prometheus.NewDesc("skirmish_slow_closed_total",
		"Connections closed because they did not read what the server sent (too much pending, or stalled too long).", nil, nil)
	descAcceptErrors = prometheus.NewDesc("skirmish_accept_errors_total",
		"Failed accepts (out of file descriptors, say); the accept loop backs off.", nil, nil)
	descDraining = prometheus.NewDesc("skirmish_draining",
		"1 while the server drains before a restart (no new players), else 0.", nil, nil)
)

var allDescs = []*prometheus.Desc{
	descConnections, descHTTPConnections, descMaxConnections, descRooms, descPlayers, descTickBudget,
	descTicks, descOverruns, descSkipped, descRoomsFailed, descCloses, descRejects, descTimeouts,
	descJoins, descResumes, descBytes, descFrames, descInputs, descInputsDropped, descRateLimited,
	descSnapshotsReplaced, descSlowClosed, descAcceptErrors, descDraining,
}

// Close codes, join and resume results with a series from the start, so
// that their rates are 0 rather than missing until the first one.
var (
	knownCloseCodes = []int{1000, 1001, 1002, 1003, 1006, 1007, 1008, 1009, 1011, 4001}
	knownJoinCodes  = []skirmishv1.ErrorCode{
		skirmishv1.ErrorCode_ERROR_CODE_BAD_REQUEST, skirmishv1.ErrorCode_ERROR_CODE_UNKNOWN_MODE,
		skirmishv1.ErrorCode_ERROR_CODE_ROOM_FULL, skirmishv1.ErrorCode_ERROR_CODE_ROOM_CLOSED,
		skirmishv1.ErrorCode_ERROR_CODE_RATE_LIMITED, skirmishv1.ErrorCode_ERROR_CODE_DRAINING,
		skirmishv1.ErrorCode_ERROR_CODE_TOO_MANY_ROOMS,
	}
	knownResumeCodes = []skirmishv1.ErrorCode{
		skirmishv1.ErrorCode_ERROR_CODE_SESSION_INVALID, skirmishv1.ErrorCode_ERROR_CODE_SESSION_EXPIRED,
		skirmishv1.ErrorCode_ERROR_CODE_RATE_LIMITED,
	}
)

// resultLabel is the label of a join or resume result: "ok" for slot 0,
// else the ErrorCode's name without its prefix, in lower case.
func resultLabel(slot int) string {
	if slot == 0 {
		return "ok"
	}
	if slot == resultSlots-1 {
		return "other"
	}
	return strings.ToLower(strings.TrimPrefix(skirmishv1.ErrorCode(slot).String(), "ERROR_CODE_"))
}

// serverCollector reads the server's counters and gauges at scrape time.
type serverCollector struct {
	s *Server

	mu    sync.Mutex // one scrape at a time walks the connections
	conns []*Conn    // reused between scrapes
}

func (sc *serverCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range allDescs {
		ch <- d
	}
}

func (sc *serverCollector) Collect(ch chan<- prometheus.Metric) {
	s := sc.s
	st := &s.stats
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}

	states, httpConns := sc.connStates()
	for i, n := range states {
		gauge(descConnections, float64(n), metricStates[i])
	}
	gauge(descHTTPConnections, float64(httpConns))
	gauge(descMaxConnections, float64(s.cfg.MaxConns))

	hs := s.cfg.Hub.Stats()
	for mode, m := range hs.Modes {
		gauge(descRooms, float64(m.Rooms), mode)
		gauge(descPlayers, float64(m.Players), mode)
	}
	gauge(descTickBudget, 1/float64(s.cfg.Hub.TickRate()))
	counter(descTicks, hs.Ticks)
	counter(descOverruns, hs.Overruns)
	counter(descSkipped, hs.Skipped)
	counter(descRoomsFailed, hs.RoomsFailed)
	counter(descInputsDropped, hs.InputsDropped)

	for i := range st.closeCodes {
		code := slotCloseCode(i)
		if n := st.closeCodes[i].Load(); n > 0 || slices.Contains(knownCloseCodes, code) {
			counter(descCloses, n, strconv.Itoa(code))
		}
	}
	counter(descRejects, st.rejected.Load(), "max_conns")
	counter(descRejects, st.rejectedPerIP.Load(), "max_conns_per_ip")
	counter(descRejects, st.httpRejected.Load(), "max_http_conns")
	counter(descRejects, st.originRejected.Load(), "origin")
	counter(descRejects, st.handshakeErrors.Load(), "bad_handshake")
	counter(descRejects, st.rateClosed.Load(), "rate_limit")
	counter(descRejects, st.lookupsClosed.Load(), "room_lookups")
	counter(descRejects, st.protocolErrors.Load(), "protocol_error")
	counter(descRejects, st.badMessages.Load(), "bad_message")
	counter(descTimeouts, st.handshakeTimeouts.Load(), "handshake")
	counter(descTimeouts, st.helloTimeouts.Load(), "hello")
	counter(descTimeouts, st.lobbyTimeouts.Load(), "lobby")
	counter(descTimeouts, st.frameTimeouts.Load(), "frame")
	counter(descTimeouts, st.pingTimeouts.Load(), "ping")
	collectResults(ch, descJoins, &st.joinResults, knownJoinCodes)
	collectResults(ch, descResumes, &st.resumeResults, knownResumeCodes)
	counter(descBytes, st.bytesIn.Load(), "in")
	counter(descBytes, st.bytesOut.Load(), "out")
	counter(descFrames, st.framesIn.Load(), "in")
	counter(descFrames, st.framesOut.Load()+st.snapshotsSent.Load(), "out")
	counter(descInputs, st.inputsQueued.Load(), "queued")
	counter(descInputs, st.inputsOutsideRoom.Load(), "outside_room")
	counter(descInputs, st.inputsLimited.Load(), "rate_limited")
	counter(descInputs, st.inputsEarly.Load(), "before_hello")
	counter(descRateLimited, st.rateLimited.Load())
	counter(descSnapshotsReplaced, st.snapshotsReplaced.Load())
	counter(descSlowClosed, st.slowClosed.Load())
	counter(descAcceptErrors, st.acceptErrors.Load())
	draining := 0.0
	if s.draining.Load() {
		draining = 1
	}
	gauge(descDraining, draining)
}

func collectResults(ch chan<- prometheus.Metric, d *prometheus.Desc, slots *[resultSlots]atomic.Uint64, known []skirmishv1.ErrorCode) {
	for i := range slots {
		n := slots[i].Load()
		if n > 0 || i == 0 || slices.Contains(known, skirmishv1.ErrorCode(i)) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(n), resultLabel(i))
		}
	}
}

// metricStates are the values of skirmish_connections' state label.
var metricStates = [...]string{"handshake", "lobby", "room", "closing"}

// connStates counts the open connections by metricStates, and the HTTP
// connections. It walks every connection (a copy of the list, so that
// neither accepts nor closes wait for the walk) and reads each one's
// state under its own lock: about a millisecond at 19,000 connections,
// paid by the scrape, not by the connections.
func (sc *serverCollector) connStates() (states [len(metricStates)]int, httpConns int) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	s := sc.s
	s.mu.Lock()
	sc.conns = sc.conns[:0]
	for c := range s.conns {
		sc.conns = append(sc.conns, c)
	}
	httpConns = s.httpConns
	s.mu.Unlock()
	for i, c := range sc.conns {
		sc.conns[i] = nil // keep no closed connection alive until the next scrape
		c.mu.Lock()
		state, hello, inRoom := c.state, c.hello, c.room != nil
		c.mu.Unlock()
		switch {
		case state == stateHandshake, state == stateOpen && !hello:
			states[0]++
		case state == stateOpen && !inRoom:
			states[1]++
		case state == stateOpen:
			states[2]++
		case state == stateClosing:
			states[3]++
		}
	}
	return states, httpConns
}
