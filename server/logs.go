package server

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/gobwas/ws"
	"golang.org/x/time/rate"
)

// Log lines a client can cause at will (a refused resume, a slow or
// flooding connection, accept failures) go through limitedLog: at most
// logBurst lines of one message, then one per logEvery, and the next line
// that passes says how many were suppressed.
const (
	logEvery = time.Second
	logBurst = 5
)

type limitedLog struct {
	log *slog.Logger

	mu    sync.Mutex
	lines map[string]*logLimit // by message: bounded by the call sites
}

type logLimit struct {
	lim        *rate.Limiter
	suppressed int
}

func newLimitedLog(l *slog.Logger) *limitedLog {
	return &limitedLog{log: l, lines: map[string]*logLimit{}}
}

func (l *limitedLog) info(msg string, args ...any) { l.logAt(slog.LevelInfo, msg, msg, args...) }
func (l *limitedLog) warn(msg string, args ...any) { l.logAt(slog.LevelWarn, msg, msg, args...) }

// logAt logs msg unless lines of key went over their rate. Keys must come
// from a bounded set: each keeps a limiter.
func (l *limitedLog) logAt(level slog.Level, key, msg string, args ...any) {
	if !l.log.Enabled(context.Background(), level) {
		return
	}
	l.mu.Lock()
	ll := l.lines[key]
	if ll == nil {
		ll = &logLimit{lim: rate.NewLimiter(rate.Every(logEvery), logBurst)}
		l.lines[key] = ll
	}
	if !ll.lim.Allow() {
		ll.suppressed++
		l.mu.Unlock()
		return
	}
	suppressed := ll.suppressed
	ll.suppressed = 0
	l.mu.Unlock()
	if suppressed > 0 {
		args = append(args, "suppressed", suppressed)
	}
	l.log.Log(context.Background(), level, msg, args...)
}

// Every line about a connection carries the same attributes: conn (the
// server's number for it), remote and, while its player is in a room,
// room, mode and player. A close adds code.

// logArgs returns c's attributes followed by args.
func (c *Conn) logArgs(args ...any) []any {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.logArgsLocked(args...)
}

// logArgsLocked is logArgs with c.mu held.
func (c *Conn) logArgsLocked(args ...any) []any {
	out := make([]any, 0, 10+len(args))
	out = append(out, "conn", c.id, "remote", c.remote)
	if c.room != nil {
		out = append(out, "room", c.room.ID(), "mode", c.room.ModeName(), "player", c.player)
	}
	return append(out, args...)
}

// logClose logs the end of a connection. A normal close (1000, 1001,
// 4001, or whatever the peer chose to close with) is a Debug line; any
// other (the peer vanished, or broke a rule or a limit) is an Info line,
// rate-limited per code because a client can cause it at will.
func (s *Server) logClose(args []any, code ws.StatusCode, reason string, byPeer bool) {
	args = append(args, "code", int(code), "reason", reason)
	switch {
	case byPeer:
		s.log.Debug("connection closed by the peer", args...)
	case code == ws.StatusNormalClosure || code == ws.StatusGoingAway || code == CloseSessionTakenOver:
		s.log.Debug("connection closed", args...)
	default:
		s.limited.logAt(slog.LevelInfo, "close "+strconv.Itoa(int(code)), "connection closed abnormally", args...)
	}
}
