package server

import (
	"context"
	"log/slog"
	"sync"
	"time"

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

func (l *limitedLog) info(msg string, args ...any) { l.logAt(slog.LevelInfo, msg, args...) }
func (l *limitedLog) warn(msg string, args ...any) { l.logAt(slog.LevelWarn, msg, args...) }

func (l *limitedLog) logAt(level slog.Level, msg string, args ...any) {
	if !l.log.Enabled(context.Background(), level) {
		return
	}
	l.mu.Lock()
	ll := l.lines[msg]
	if ll == nil {
		ll = &logLimit{lim: rate.NewLimiter(rate.Every(logEvery), logBurst)}
		l.lines[msg] = ll
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
