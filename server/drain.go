package server

import (
	"context"
	"fmt"
	"net/http"
	"time"

	skirmishv1 "github.com/skirmishgg/skirmish/proto/skirmish/v1"
)

// drainPoll is how often Drain looks whether the rooms have emptied: the
// process exits well within a second of the last player leaving.
const drainPoll = 50 * time.Millisecond

// StartDrain puts the server in draining mode, at once and for good:
// /readyz answers 503 and a Join of a new player (or spectator) is
// refused with ERROR_CODE_DRAINING, while the rooms play on, resumes are
// taken, and the page is served. It is idempotent; Drain calls it.
func (s *Server) StartDrain() {
	s.drainOnce.Do(func() {
		s.draining.Store(true)
		close(s.drainCh)
		hs := s.cfg.Hub.Stats()
		s.log.Info("draining: no new players", "rooms", hs.Rooms, "players", hs.Players, "connections", s.Conns())
	})
}

// Draining is closed once draining has started (StartDrain, or POST
// /drain on the admin handler).
func (s *Server) Draining() <-chan struct{} { return s.drainCh }

// Drain drains the server before a restart: StartDrain, then wait until
// no room has a player left (players away within their resume grace
// count) or ctx ends. The players still connected are told the server
// restarts (Error{ERROR_CODE_SERVER_RESTARTING}) DrainWarning before ctx's
// deadline, or at once when ctx is cancelled first. Drain returns nil
// once the rooms are empty and ctx's error otherwise; then Shutdown
// closes every connection with 1001.
func (s *Server) Drain(ctx context.Context) error {
	s.StartDrain()
	var warnAt <-chan time.Time
	if deadline, ok := ctx.Deadline(); ok {
		t := time.NewTimer(time.Until(deadline.Add(-s.cfg.DrainWarning)))
		defer t.Stop()
		warnAt = t.C
	}
	poll := time.NewTicker(drainPoll)
	defer poll.Stop()
	warned := false
	for {
		if s.cfg.Hub.Stats().Players == 0 {
			s.log.Info("drained: no players left")
			return nil
		}
		select {
		case <-ctx.Done():
			if !warned {
				s.warnRestart(0)
			}
			hs := s.cfg.Hub.Stats()
			s.log.Info("drain over before the rooms emptied", "rooms", hs.Rooms, "players", hs.Players, "err", ctx.Err())
			return ctx.Err()
		case <-warnAt:
			warned = true
			deadline, _ := ctx.Deadline()
			s.warnRestart(time.Until(deadline))
		case <-poll.C:
		}
	}
}

// warnRestart tells every connection that has said Hello that the server
// closes them in about `in` (now, when in is 0).
func (s *Server) warnRestart(in time.Duration) {
	msg := "the server is restarting now"
	if in = in.Round(time.Second); in > 0 {
		msg = fmt.Sprintf("the server restarts in %v", in)
	}
	s.mu.Lock()
	conns := make([]*Conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	told := 0
	for _, c := range conns {
		c.mu.Lock()
		hello := c.hello && c.state == stateOpen
		c.mu.Unlock()
		if hello {
			c.sendError(skirmishv1.ErrorCode_ERROR_CODE_SERVER_RESTARTING, msg)
			told++
		}
	}
	s.log.Info("told the connections the server restarts", "connections", told, "in", in)
}

// serveDrain is POST /drain: StartDrain. The process (the caller of
// Drain) ends the drain; this only starts it.
func (s *Server) serveDrain(w http.ResponseWriter, _ *http.Request) {
	s.StartDrain()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusAccepted)
	fmt.Fprintln(w, "draining")
}
