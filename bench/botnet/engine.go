// Package botnet is the bots: cheap simulated clients speaking the real
// protocol over raw sockets, run by an engine per process (a reactor of
// reader workers, one sender goroutine, a bounded dial pool), spread over
// child processes past the fd limit, and coordinated by Run through a
// connect phase, a warmup and a measurement window.
package botnet

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws"

	"github.com/skirmishgg/skirmish/bench/diag"
	"github.com/skirmishgg/skirmish/bench/measure"
	"github.com/skirmishgg/skirmish/bench/reactor"
)

// engine runs the bots of one process (a shard): a reactor (epoll + a few
// reader workers), one sender goroutine (inputs, held frames, timers) and a
// bounded pool of dial goroutines while connecting. Every goroutine it
// starts ends in Close.
type engine struct {
	spec   ShardSpec
	u      *url.URL
	remote netip.AddrPort
	start  time.Time

	r       *reactor.Reactor
	workers []*botWorker
	snd     *sender
	delay   *delayQueue
	timers  *timerQueue
	bots    []atomic.Pointer[bot]

	winStart atomic.Int64
	winEnd   atomic.Int64
	// The reference window (slow): before the window, with nobody slow;
	// only the bots that will keep reading are measured in it.
	refStart atomic.Int64
	refEnd   atomic.Int64

	nextDial  atomic.Int64
	dialed    atomic.Int64
	connected atomic.Int64
	joined    atomic.Int64
	ok        atomic.Int64
	failed    atomic.Int64
	open      atomic.Int64
	stopping  atomic.Bool

	lowMu sync.Mutex
	low   measure.Stats // dialers, sender timers and closes outside a worker

	dialStop chan struct{}
	dialWG   sync.WaitGroup

	// Resume: reconnections run in goroutines of their own, at most
	// DialConcurrency at once; redialMu orders their start with Close.
	redialMu  sync.Mutex
	redialSem chan struct{}
	// Wall clock (Unix ns) of the first Join sent, the first and the last
	// Welcome.
	firstJoin    atomic.Int64
	firstWelcome atomic.Int64
	lastWelcome  atomic.Int64

	readyCh   chan struct{}
	readyOnce sync.Once
	closeOnce sync.Once
	closeErr  error
}

// progress is a live count of a shard's bots.
type progress struct {
	Bots      int64 `json:"bots"`
	Dialed    int64 `json:"dialed"`
	Connected int64 `json:"connected"`
	Joined    int64 `json:"joined"`
	OK        int64 `json:"ok"`
	Failed    int64 `json:"failed"`
	Open      int64 `json:"open"`
}

// Add sums two progress counts.
func (p progress) Add(o progress) progress {
	return progress{p.Bots + o.Bots, p.Dialed + o.Dialed, p.Connected + o.Connected,
		p.Joined + o.Joined, p.OK + o.OK, p.Failed + o.Failed, p.Open + o.Open}
}

// newEngine prepares a shard; Start begins dialing.
func newEngine(spec ShardSpec) (*engine, error) {
	spec = spec.withDefaults()
	if err := spec.validate(); err != nil {
		return nil, err
	}
	u, remote, err := reactor.ResolveURL(spec.URL)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	e := &engine{
		spec:     spec,
		u:        u,
		remote:   remote,
		start:    time.Now(),
		bots:     make([]atomic.Pointer[bot], spec.Count),
		dialStop: make(chan struct{}),
		readyCh:  make(chan struct{}),
	}
	e.redialSem = make(chan struct{}, spec.DialConcurrency)
	e.winStart.Store(math.MaxInt64)
	e.winEnd.Store(math.MaxInt64)
	e.refStart.Store(math.MaxInt64)
	e.refEnd.Store(math.MaxInt64)
	holdSlots := 4
	if spec.Latency > 0 {
		holdSlots += int(spec.Latency/spec.TickPeriod) + 1
	}
	e.delay = newDelayQueue((spec.Count + 1) * holdSlots)
	e.timers = newTimerQueue(spec.Count + 1)
	e.r, err = reactor.New(spec.Workers, spec.Count+1, 64<<10)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	for range spec.Workers {
		e.workers = append(e.workers, &botWorker{e: e})
	}
	e.snd = newSender(e)
	if spec.Count == 0 {
		e.markReady()
	}
	return e, nil
}

// Start launches the sender and the dial pool.
func (e *engine) Start() {
	go e.snd.run()
	n := min(e.spec.DialConcurrency, max(e.spec.Count, 1))
	for range n {
		e.dialWG.Add(1)
		go e.dialLoop()
	}
}

// now is the engine clock: monotonic nanoseconds since newEngine.
func (e *engine) now() int64 { return int64(time.Since(e.start)) }

// at converts a wall-clock time to the engine clock.
func (e *engine) at(t time.Time) int64 { return int64(t.Sub(e.start)) }

func (e *engine) inWindow(now int64) bool {
	return now >= e.winStart.Load() && now < e.winEnd.Load()
}

// inRef reports whether now is in the reference window.
func (e *engine) inRef(now int64) bool {
	return now >= e.refStart.Load() && now < e.refEnd.Load()
}

// SetRefWindow sets the reference window (wall-clock times): a span
// before the window in which the bots that will keep reading are
// measured apart (Stats.Ref*), while the slow ones still read.
func (e *engine) SetRefWindow(start, end time.Time) {
	e.refEnd.Store(e.at(end))
	e.refStart.Store(e.at(start))
}

// SetWindow sets the measurement window (wall-clock times, so that child
// processes measure the same span).
func (e *engine) SetWindow(start, end time.Time) {
	e.winEnd.Store(e.at(end))
	e.winStart.Store(e.at(start))
	e.snd.kick()
}

// Ready is closed when every bot reached its target state or failed.
func (e *engine) Ready() <-chan struct{} { return e.readyCh }

func (e *engine) markReady() { e.readyOnce.Do(func() { close(e.readyCh) }) }

// Progress reads the live counters.
func (e *engine) Progress() progress {
	return progress{
		Bots:      int64(e.spec.Count),
		Dialed:    e.dialed.Load(),
		Connected: e.connected.Load(),
		Joined:    e.joined.Load(),
		OK:        e.ok.Load(),
		Failed:    e.failed.Load(),
		Open:      e.open.Load(),
	}
}

// withLow runs fn on the stats of bw, or on the shared ones under a lock
// when there is no worker context.
func (e *engine) withLow(bw *botWorker, fn func(s *measure.Stats)) {
	if bw != nil {
		fn(&bw.stats)
		return
	}
	e.lowMu.Lock()
	defer e.lowMu.Unlock()
	fn(&e.low)
}

// send hands a frame to the network: now, or after -latency.
func (e *engine) send(b *bot, frame []byte) bool {
	if e.spec.Latency <= 0 {
		return b.write(frame)
	}
	if !e.delay.push(b, e.now()+int64(e.spec.Latency), frame) {
		return false
	}
	e.snd.kick()
	return true
}

// sendJoin asks for bot b's room.
func (e *engine) sendJoin(b *bot, enc *Encoder, now int64) {
	frame, err := enc.Join("bot"+strconv.Itoa(b.g), e.spec.GameMode, e.spec.roomOf(b.g))
	if err != nil {
		diag.Logf("bot %d: %v", b.g, err)
		return
	}
	b.state.Store(int32(stJoining))
	b.joinAt.Store(now)
	storeMin(&e.firstJoin, e.start.UnixNano()+now)
	e.send(b, frame)
}

// onLobby: the handshake is done.
func (e *engine) onLobby(bw *botWorker, b *bot, enc *Encoder, now int64) {
	switch {
	case e.spec.Workload == WorkIdle:
		b.succeed()
	case b.res != nil && b.res.resuming:
		e.sendResume(b, enc, now)
	default:
		e.sendJoin(b, enc, now)
	}
}

// onJoined: Welcome arrived.
func (e *engine) onJoined(bw *botWorker, b *bot, now int64) {
	switch e.spec.Workload {
	case WorkPlay, WorkResume:
		b.succeed()
		if e.spec.AwayAfterJoin && b.res == nil {
			// Gone without a Leave: the server keeps the player (away)
			// for its resume grace, in its place, with no snapshots.
			b.close(bw, closeLocal, nil)
		}
	case WorkChurn:
		bw.stats.Cycles++
		if !e.timers.push(now+int64(e.spec.Hold), b, actLeave) {
			b.fail(bw, "timer queue full")
		}
		e.snd.kick()
	}
}

// noteWelcome records when a join's Welcome came (not a resume's): the
// span of the Welcomes, and their count per second of the dial pacing.
func (e *engine) noteWelcome(bw *botWorker, now int64) {
	wall := e.start.UnixNano() + now
	storeMin(&e.firstWelcome, wall)
	for {
		l := e.lastWelcome.Load()
		if l >= wall || e.lastWelcome.CompareAndSwap(l, wall) {
			break
		}
	}
	if e.spec.DialEpoch != 0 {
		bw.stats.RecordWelcome(int((wall - e.spec.DialEpoch) / int64(time.Second)))
	}
}

// storeMin lowers a to v unless it holds a smaller non-zero value.
func storeMin(a *atomic.Int64, v int64) {
	for {
		old := a.Load()
		if old != 0 && old <= v || a.CompareAndSwap(old, v) {
			return
		}
	}
}

// succeed counts b as having reached its target.
func (b *bot) succeed() {
	if b.settled.CompareAndSwap(false, true) {
		b.e.ok.Add(1)
		b.e.checkReady()
	}
}

// fail counts b as failed, once, with a reason for the report.
func (b *bot) fail(bw *botWorker, why string) {
	if b.settled.CompareAndSwap(false, true) {
		b.failedWhy.Store(&why)
		b.e.withLow(bw, func(s *measure.Stats) {
			s.Failed++
			measure.Count(&s.FailReasons, why)
		})
		b.e.failed.Add(1)
		b.e.checkReady()
	}
}

func (e *engine) checkReady() {
	if e.ok.Load()+e.failed.Load() >= int64(e.spec.Count) {
		e.markReady()
	}
}

// onClosed accounts for a closed bot.
func (e *engine) onClosed(bw *botWorker, b *bot, prev botState, kind closeKind, cause error, now int64) {
	if kind == closeDrop {
		return // resume: the reconnection is another bot
	}
	if b.res != nil && b.res.resuming {
		why := "run ended while resuming"
		if kind != closeLocal && !e.stopping.Load() {
			why = failReason(prev, cause)
		}
		e.resumeFailed(bw, b, why)
	}
	if kind == closeSlow || (kind != closeLocal && b.slow.Load()) {
		e.withLow(bw, func(s *measure.Stats) {
			s.SlowDisconnected++
			s.SlowDisconnect.Record((now - b.slowSince.Load()) / 1000)
		})
		return
	}
	if e.spec.Workload == WorkChurn {
		if kind == closeLocal && int(b.joins.Load()) >= e.spec.Cycles {
			b.succeed()
			return
		}
		if !e.stopping.Load() {
			e.withLow(bw, func(s *measure.Stats) { s.CyclesFailed++ })
		}
	}
	if kind == closeLocal || e.stopping.Load() {
		if !b.settled.Load() {
			b.fail(bw, "not finished when the run ended")
		}
		return
	}
	if prev >= stLobby {
		e.withLow(bw, func(s *measure.Stats) { s.Disconnects++ })
	}
	if prev == stJoining {
		e.withLow(bw, func(s *measure.Stats) { s.JoinFailed++ })
	}
	b.fail(bw, failReason(prev, cause))
}

// failReason is a short, countable description of why a bot failed.
func failReason(prev botState, cause error) string {
	stage := map[botState]string{
		stHandshake: "closed during handshake",
		stLobby:     "closed in lobby",
		stJoining:   "closed while joining",
		stJoined:    "closed in room",
	}[prev]
	if stage == "" {
		stage = "closed"
	}
	if cause == nil {
		return stage
	}
	return stage + ": " + reactor.ShortErr(cause)
}

// Collect returns the shard's merged stats. Call it after the window ended.
func (e *engine) Collect() *measure.Stats {
	var s measure.Stats
	e.lowMu.Lock()
	s.Merge(&e.low)
	e.lowMu.Unlock()
	e.r.OnWorkers(func(w *reactor.Worker) { s.Merge(&e.workers[w.ID].stats) })
	e.snd.call(func(sn *sender) { s.Merge(&sn.stats) })
	s.Bots = int64(e.spec.Count)
	s.FirstJoinNs = e.firstJoin.Load()
	s.FirstWelcomeNs = e.firstWelcome.Load()
	s.LastWelcomeNs = e.lastWelcome.Load()
	ws, we := e.winStart.Load(), e.winEnd.Load()
	if ws != math.MaxInt64 && we != math.MaxInt64 {
		s.WindowNanos = we - ws
	}
	rs, re := e.refStart.Load(), e.refEnd.Load()
	hasRef := rs != math.MaxInt64 && re != math.MaxInt64
	if hasRef {
		s.RefWindowNanos = re - rs
	}
	for i := range e.bots {
		b := e.bots[i].Load()
		if b == nil {
			continue
		}
		j, c := b.joinedAt.Load(), b.closedAt.Load()
		if hasRef && !IsSlow(b.g, e.spec.SlowFraction) && j > 0 && j <= rs && (c == 0 || c >= re) {
			s.RefClients++
		}
		if b.slow.Load() {
			s.SlowBots++
			continue
		}
		in := j > 0 && j <= ws && (c == 0 || c >= we)
		if e.spec.Workload == WorkIdle {
			in = b.settled.Load() && b.failedWhy.Load() == nil && (c == 0 || c >= we)
		}
		if in {
			s.Clients++
		}
	}
	return &s
}

// Close stops dialing, the sender and the workers, then closes every
// connection (a close frame, then the fd) and the epoll.
func (e *engine) Close() error {
	e.closeOnce.Do(func() {
		e.redialMu.Lock()
		e.stopping.Store(true)
		e.redialMu.Unlock()
		close(e.dialStop)
		e.dialWG.Wait()
		e.snd.stop()
		e.r.StopWorkers()
		var enc Encoder
		frame := append([]byte(nil), enc.Close(ws.StatusGoingAway, "")...)
		for i := range e.bots {
			if b := e.bots[i].Load(); b != nil && b.getState() != stClosed {
				b.write(frame)
				b.close(nil, closeLocal, nil)
			}
		}
		if n := e.r.Dropped(); n > 0 {
			e.closeErr = errors.Join(e.closeErr, fmt.Errorf("engine: %d epoll wake-ups lost to a full queue", n))
		}
		e.closeErr = errors.Join(e.closeErr, e.r.Close())
	})
	return e.closeErr
}
