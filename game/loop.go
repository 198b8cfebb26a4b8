package game

import (
	"fmt"
	"runtime/debug"
	"time"
)

// Run runs the room's loop until Close is called, the room stays empty for
// its IdleTimeout, or a tick panics. It must be called at most once.
//
// A room that a panic ended is marked failed and closed; OnClose runs
// before its members are dropped, so that by the time a client hears that
// its room failed, the room's owner has counted the failure.
func (r *Room) Run() {
	r.started.Store(true)
	defer close(r.done)
	err := r.loop()
	if err != nil {
		r.fail(err)
	}
	if r.cfg.Link != nil {
		r.cfg.Link.Close()
	}
	if r.cfg.OnClose != nil {
		r.cfg.OnClose(r)
	}
	if err != nil {
		r.dropMembers(DropRoomFailed)
	}
}

// loop runs the ticks on schedule until the room closes or a tick panics.
// Whenever the room is left empty it sleeps instead (see sleep), and
// starts a fresh schedule when a join wakes it.
func (r *Room) loop() error {
	s := schedule{start: time.Now(), period: r.period, maxCatchUp: catchUpTicks}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		r.busySince.Store(0)
		select {
		case <-r.stop:
			return nil
		case <-timer.C:
		}
		r.busySince.Store(monoNow())
		run, skipped := s.due(time.Now())
		if run > 1 {
			r.overruns.Add(uint64(run - 1))
		}
		if skipped > 0 {
			r.skipped.Add(uint64(skipped))
		}
		for range run {
			start := time.Now()
			if err := r.safeStep(); err != nil {
				return err
			}
			if obs := r.cfg.Observer; obs != nil {
				r.report.Tick = r.tick
				r.report.Work = time.Since(start)
				obs.ObserveTick(&r.report)
			}
		}
		if len(r.members) == 0 && r.settle() {
			r.busySince.Store(0) // asleep is waiting, not stuck
			if !r.sleep() {
				return nil
			}
			s = schedule{start: time.Now(), period: r.period, maxCatchUp: catchUpTicks}
		}
		timer.Reset(time.Until(s.wakeAt()))
	}
}

// Step runs one tick: apply queued joins, leaves and inputs, advance the
// world, and broadcast the snapshot.
func (r *Room) Step() {
	r.report.Snapshots = r.report.Snapshots[:0]
	r.tick++
	r.ticks.Add(1)
	r.lastTick.Store(r.tick)
	if r.cfg.Link != nil {
		r.cfg.Link.Poll()
	}
	r.applyCommands()
	r.applyInputs()
	r.mode.Step(r.period.Seconds())
	r.broadcast()
}

// safeStep runs Step and turns a panic inside it (a bug in a mode, say)
// into an error, so that one broken room never takes the server down.
func (r *Room) safeStep() (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("room %s panicked at tick %d: %v\n%s", r.cfg.ID, r.tick, p, debug.Stack())
		}
	}()
	r.Step()
	return nil
}

// fail marks a room that a panic ended as failed, and closes it to new
// players and resumes.
func (r *Room) fail(err error) {
	r.failed.Store(true)
	r.log.Error("room failed", "err", err)
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
}

// dropMembers ends every member's connection from the room's side.
func (r *Room) dropMembers(reason DropReason) {
	r.mu.Lock()
	peers := make([]Peer, 0, len(r.byID))
	for _, m := range r.byID {
		if m.owner != nil {
			peers = append(peers, m.owner)
		}
	}
	r.mu.Unlock()
	for _, p := range peers {
		p.Drop(reason)
	}
}

// settle reports whether the room is empty, with nothing queued, and if
// so marks it asleep: from then on the next command wakes it.
func (r *Room) settle() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.byID) > 0 || len(r.commands) > 0 {
		return false
	}
	r.asleep = true
	return true
}

// sleep waits, without ticking, until a command wakes the room (true),
// or until Close or IdleTimeout (false: the room is closed). An empty
// room costs its goroutine and this one timer, nothing per tick.
func (r *Room) sleep() bool {
	var expired <-chan time.Time
	if r.cfg.IdleTimeout > 0 {
		t := time.NewTimer(r.cfg.IdleTimeout)
		defer t.Stop()
		expired = t.C
	}
	select {
	case <-r.stop:
		return false
	case <-r.wake:
		return true
	case <-expired:
	}
	r.mu.Lock()
	if r.asleep {
		r.closed = true
		r.mu.Unlock()
		return false
	}
	r.mu.Unlock()
	<-r.wake // a join raced the timer: take its token
	return true
}
