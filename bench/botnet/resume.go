package botnet

import (
	"golang.org/x/sys/unix"

	"github.com/skirmishgg/skirmish/bench/diag"
	"github.com/skirmishgg/skirmish/bench/measure"
	skirmishv1 "github.com/skirmishgg/skirmish/proto/skirmish/v1"
)

// The bots' side of sessions (WorkResume): each bot remembers its player
// id and its newest session token; at its drop time it closes its socket
// without a close frame, opens a new connection at once, sends Hello and
// Join{resume_token}, and checks the Welcome (resumed, same player id) and
// the first snapshot after it (its entity, with a score at least the one
// it had).

// resumeInfo is a bot's session. It belongs to whoever owns the bot (see
// bot.res).
type resumeInfo struct {
	player uint32 // entity id from the first Welcome
	token  string // session token of the newest Welcome

	// The reconnection: from the drop to the resumed Welcome.
	resuming  bool
	droppedAt int64 // engine clock
	// The own entity in the newest world seen before the drop.
	ownBefore   bool
	scoreBefore int32
	knownBefore bool   // the tracker had a resolved tick
	tickBefore  uint32 // the newest tick received before the drop
	// After the resumed Welcome (at welcomedAt): firstSeen once a
	// snapshot came; awaitWorld until one could be resolved.
	welcomedAt int64
	firstSeen  bool
	awaitWorld bool
}

// failWith counts b as failed: a resume failure while it reconnects, a
// failed bot otherwise.
func (b *bot) failWith(bw *botWorker, why string) {
	if b.res != nil && b.res.resuming {
		b.e.resumeFailed(bw, b, why)
		return
	}
	b.fail(bw, why)
}

// resumeFailed records that b's resume failed (once).
func (e *engine) resumeFailed(bw *botWorker, b *bot, why string) {
	if !b.res.resuming {
		return
	}
	b.res.resuming = false
	e.withLow(bw, func(s *measure.Stats) {
		s.ResumeFailed++
		measure.Count(&s.ResumeFailReasons, why)
	})
}

// scheduleDrops queues every joined bot's drop at its slot after the
// window's start (sender goroutine).
func (s *sender) scheduleDrops(winStart int64) {
	s.dropsScheduled = true
	for i := range s.e.bots {
		b := s.e.bots[i].Load()
		if b == nil || b.getState() != stJoined {
			s.stats.DropsSkipped++
			continue
		}
		at := winStart + int64(dropOffset(b.g, s.e.spec.Total, s.e.spec.PlayersPerRoom, s.e.spec.DropSpread))
		if !s.e.timers.push(at, b, actDrop) {
			s.stats.DropsSkipped++
		}
	}
}

// drop closes b's socket without a close frame and starts its
// reconnection (the worker serving b).
func (b *bot) drop(bw *botWorker) {
	e := b.e
	if b.getState() != stJoined || b.res == nil || b.res.resuming {
		bw.stats.DropsSkipped++
		return
	}
	nb := &bot{e: e, g: b.g, fd: -1}
	nb.settled.Store(true) // counted once, at its first join
	// A new connection drops its old baselines, as the protocol asks.
	nb.track = &worldTracker{ids: b.track.ids, own: b.res.player}
	nr := &resumeInfo{player: b.res.player, token: b.res.token, resuming: true, tickBefore: b.lastTick.Load()}
	if t, ok := b.track.latest(); ok {
		nr.knownBefore, nr.ownBefore, nr.scoreBefore = true, t.own, t.score
	}
	nb.res = nr
	if e.spec.DropReset {
		// SO_LINGER 0: close sends an RST instead of a FIN.
		if err := unix.SetsockoptLinger(b.fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0}); err != nil {
			diag.Logf("bot %d: SO_LINGER: %v", b.g, err)
		}
	}
	b.close(bw, closeDrop, nil)
	bw.stats.Drops++
	nr.droppedAt = e.now()
	if nr.token == "" {
		e.resumeFailed(bw, nb, "no session token in Welcome")
		return
	}
	if !e.redial(b.g-e.spec.First, nb) {
		e.resumeFailed(bw, nb, "run ended before the reconnection")
	}
}

// redial reconnects nb as local bot i in a goroutine of its own (at most
// DialConcurrency at once); false once the engine is closing.
func (e *engine) redial(i int, nb *bot) bool {
	e.redialMu.Lock()
	defer e.redialMu.Unlock()
	if e.stopping.Load() {
		return false
	}
	e.dialWG.Add(1)
	go func() {
		defer e.dialWG.Done()
		select {
		case e.redialSem <- struct{}{}:
		case <-e.dialStop:
			e.resumeFailed(nil, nb, "run ended before the reconnection")
			return
		}
		defer func() { <-e.redialSem }()
		var enc Encoder
		e.connect(i, nb, &enc, nb.res.droppedAt)
	}()
	return true
}

// sendResume sends Join{resume_token} (worker, after ServerHello).
func (e *engine) sendResume(b *bot, enc *Encoder, now int64) {
	frame, err := enc.JoinResume(b.res.token)
	if err != nil {
		diag.Logf("bot %d: %v", b.g, err)
		return
	}
	b.state.Store(int32(stJoining))
	b.joinAt.Store(now)
	e.send(b, frame)
}

// onResumeWelcome judges the Welcome answering a resume and readies the bot
// to play on (worker). It reports whether the bot is in its room again.
func (bw *botWorker) onResumeWelcome(b *bot, w *skirmishv1.Welcome, now int64) bool {
	r := b.res
	if !w.GetResumed() || w.GetPlayerId() != r.player {
		why := "Welcome.resumed false"
		if w.GetResumed() {
			why = "Welcome.player_id changed"
		}
		bw.e.resumeFailed(bw, b, why)
		return false
	}
	r.resuming = false
	r.token = w.GetSessionToken()
	r.welcomedAt, r.firstSeen, r.awaitWorld = now, false, true
	bw.stats.Resumed++
	bw.stats.ResumeLatency.Record((now - r.droppedAt) / 1000)
	bw.stats.ResumeJoin.Record((now - b.joinAt.Load()) / 1000)
	// Number the next inputs after the last one applied; acknowledge only
	// ticks received on this connection (the old baselines are dropped).
	b.seq = w.GetInputSeq() + 1
	b.lastAck = w.GetInputSeq()
	b.lastTick.Store(0)
	return true
}

// afterResume follows the snapshots after a resumed Welcome until one can
// be resolved (worker): the first should be full; a delta against a tick
// of the old connection cannot be applied by a client that dropped its
// baselines. The first resolved one must hold the player's entity, with a
// score at least the one it had.
func (bw *botWorker) afterResume(b *bot, base uint32, t trackResult, now int64) {
	r := b.res
	st := &bw.stats
	if !r.firstSeen {
		r.firstSeen = true
		if base != 0 {
			st.ResumeFirstDelta++
			if base <= r.tickBefore {
				st.ResumeFirstDeltaOld++
			}
		}
	}
	if !t.ok {
		st.ResumeUnusable++
		return
	}
	r.awaitWorld = false
	st.ResumeWorld.Record((now - r.welcomedAt) / 1000)
	switch {
	case !t.own:
		st.ResumeEntityMissing++
	case !r.knownBefore || !r.ownBefore:
		st.ResumeScoreUnknown++
	case t.score < r.scoreBefore:
		st.ResumeScoreLower++
	default:
		st.ResumeEntityOK++
	}
}
