package botnet

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/skirmishgg/skirmish/bench/diag"
	"github.com/skirmishgg/skirmish/bench/measure"
	"github.com/skirmishgg/skirmish/server/wsframe"
)

// sender is the engine's one writing goroutine: it sends each joined bot's
// input on its slot of the schedule (non-blocking), releases frames held
// for -latency, fires churn timers and stops the slow bots' reading when
// the window starts.
type sender struct {
	e      *engine
	stats  measure.Stats
	enc    Encoder
	cursor *scheduleCursor
	rng    *rand.Rand

	kickCh chan struct{}
	calls  chan func(*sender)
	stopCh chan struct{}
	done   chan struct{}

	delayBuf       []delayed
	timerBuf       []timerEntry
	slowApplied    bool
	dropsScheduled bool
}

// Sender timing: never sleep longer than maxSleep (the window may start),
// never shorter than minSleep (timer granularity).
const (
	senderMinSleep = 200 * time.Microsecond
	senderMaxSleep = 20 * time.Millisecond
)

func newSender(e *engine) *sender {
	p := int64(e.spec.TickPeriod)
	// Align the schedule to wall-clock period boundaries so that the
	// shards of several processes interleave as one schedule.
	epoch := -(e.start.UnixNano() % p)
	seed := uint64(e.spec.First)*0x9e3779b97f4a7c15 + 1
	return &sender{
		e:        e,
		cursor:   newScheduleCursor(schedule{Period: e.spec.TickPeriod, Total: e.spec.Total}, e.spec.First, e.spec.Count, epoch),
		rng:      rand.New(rand.NewPCG(seed, uint64(e.spec.Total))),
		kickCh:   make(chan struct{}, 1),
		calls:    make(chan func(*sender)),
		stopCh:   make(chan struct{}),
		done:     make(chan struct{}),
		delayBuf: make([]delayed, 0, 1024),
		timerBuf: make([]timerEntry, 0, 256),
	}
}

// kick wakes the sender early (a held frame or a timer was queued).
func (s *sender) kick() {
	select {
	case s.kickCh <- struct{}{}:
	default:
	}
}

// call runs fn on the sender goroutine and waits for it.
func (s *sender) call(fn func(*sender)) {
	ran := make(chan struct{})
	select {
	case s.calls <- func(sn *sender) { fn(sn); close(ran) }:
		<-ran
	case <-s.done:
		fn(s) // the sender has ended: its state is ours now
	}
}

func (s *sender) stop() {
	select {
	case <-s.stopCh:
	default:
		close(s.stopCh)
	}
	<-s.done
}

func (s *sender) run() {
	defer close(s.done)
	timer := time.NewTimer(senderMinSleep)
	defer timer.Stop()
	for {
		now := s.e.now()
		next := now + int64(senderMaxSleep)
		if s.e.spec.SlowFraction > 0 && !s.slowApplied && now >= s.e.winStart.Load() {
			s.applySlow(now)
		}
		if s.e.spec.Workload == WorkResume && !s.dropsScheduled {
			if ws := s.e.winStart.Load(); ws != math.MaxInt64 {
				s.scheduleDrops(ws)
			}
		}
		if s.e.spec.Workload.plays() {
			skipped := s.cursor.skipped
			s.cursor.due(now, s.sendInput)
			if s.e.inWindow(now) {
				s.stats.InputsSkipped += s.cursor.skipped - skipped
			} else if s.e.inRef(now) {
				s.stats.RefInputsSkip += s.cursor.skipped - skipped
			}
			next = min(next, s.cursor.next())
		}
		if t := s.releaseHeld(now); t >= 0 {
			next = min(next, t)
		}
		if t := s.fireTimers(now); t >= 0 {
			next = min(next, t)
		}
		timer.Reset(max(time.Duration(next-s.e.now()), senderMinSleep))
		select {
		case <-s.stopCh:
			return
		case fn := <-s.calls:
			fn(s)
		case <-s.kickCh:
		case <-timer.C:
		}
	}
}

// sendInput sends bot local's input for its slot.
func (s *sender) sendInput(local int, _ int64) {
	b := s.e.bots[local].Load()
	if b == nil || b.getState() != stJoined || b.closeReq.Load() {
		return
	}
	now := s.e.now()
	seq := b.seq
	if newDirection(seq) {
		b.dx = s.rng.Float32()*2 - 1
		b.dy = s.rng.Float32()*2 - 1
	}
	frame, err := s.enc.Input(seq, b.dx, b.dy, b.lastTick.Load())
	if err != nil {
		diag.Logf("bot %d: %v", b.g, err)
		return
	}
	b.recordSend(seq, uint32(now/1000))
	b.seq++
	ok := s.e.send(b, frame)
	if !s.e.inWindow(now) || b.slow.Load() {
		return
	}
	if !ok {
		s.stats.InputsDropped++
		return
	}
	s.stats.InputsSent++
	s.stats.SentWire += int64(len(frame))
	if _, n, ok := wsframe.ParseHeader(frame); ok {
		s.stats.SentPayload += int64(len(frame) - n)
	}
}

// releaseHeld writes the frames whose -latency hold is over; it returns
// when the next one is due (-1: none held).
func (s *sender) releaseHeld(now int64) int64 {
	for {
		got, next := s.e.delay.popDue(now, s.delayBuf)
		for i := range got {
			got[i].b.write(got[i].frame())
			got[i] = delayed{}
		}
		if len(got) < cap(s.delayBuf) {
			return next
		}
	}
}

// fireTimers runs the churn timers that are due.
func (s *sender) fireTimers(now int64) int64 {
	got, next := s.e.timers.popDue(now, s.timerBuf)
	for _, t := range got {
		b := t.b
		switch t.act {
		case actLeave:
			if !b.state.CompareAndSwap(int32(stJoined), int32(stLobby)) {
				continue
			}
			frame, err := s.enc.Leave()
			if err != nil {
				diag.Logf("bot %d: %v", b.g, err)
				continue
			}
			b.joinedAt.Store(0)
			s.e.send(b, frame)
			s.stats.Leaves++
			act := actJoin
			if int(b.joins.Load()) >= s.e.spec.Cycles {
				act = actClose
			}
			at := now + int64(s.e.spec.Pause)
			if !s.e.timers.push(at, b, act) {
				b.closeReq.Store(true)
				s.e.r.Wake(b)
				continue
			}
			if next < 0 || next > at {
				next = at
			}
		case actJoin:
			if b.getState() == stLobby {
				s.e.sendJoin(b, &s.enc, now)
			}
		case actClose:
			b.closeReq.Store(true)
			s.e.r.Wake(b)
		case actDrop:
			b.dropReq.Store(true)
			s.e.r.Wake(b)
		}
	}
	for i := range got {
		got[i] = timerEntry{}
	}
	return next
}

// applySlow makes the slow fraction of the joined bots stop reading.
func (s *sender) applySlow(now int64) {
	s.slowApplied = true
	for i := range s.e.bots {
		b := s.e.bots[i].Load()
		if b == nil || !IsSlow(b.g, s.e.spec.SlowFraction) || b.getState() != stJoined {
			continue
		}
		b.slowSince.Store(now)
		b.slow.Store(true)
	}
}
