package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// DebugStats is what the bench reads from the server's /debug/stats.
// Counters a server does not report stay 0 (FDs is -1 where the server
// cannot count them).
type DebugStats struct {
	Goroutines        int64            `json:"goroutines"`
	Connections       int64            `json:"connections"`
	FDs               int64            `json:"fds"`
	Rooms             int64            `json:"rooms"`
	Players           int64            `json:"players"`
	HandshakeTimeouts int64            `json:"handshake_timeouts"`
	FrameTimeouts     int64            `json:"frame_timeouts"`
	SlowClosed        int64            `json:"slow_closed"`
	SnapshotsReplaced int64            `json:"snapshots_replaced"`
	CloseCodes        map[string]int64 `json:"close_codes"`
	HeapInuseBytes    int64            `json:"heap_inuse_bytes"`
	Joins             int64            `json:"joins"`
	JoinErrors        int64            `json:"join_errors"`
	Resumes           int64            `json:"resumes"`
	ResumeErrors      int64            `json:"resume_errors"`
	TickOverruns      int64            `json:"tick_overruns"`
	TicksSkipped      int64            `json:"ticks_skipped"`
}

// CloseCode is how many connections the server has closed with code.
func (d DebugStats) CloseCode(code int) int64 {
	return d.CloseCodes[strconv.Itoa(code)]
}

// debugClient keeps no idle connections (and so no lingering goroutines).
var debugClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

// statsURLFor derives http://HOST:PORT/debug/stats from the ws:// URL.
func statsURLFor(wsURL string) (string, error) {
	u, err := url.Parse(wsURL)
	if err != nil {
		return "", fmt.Errorf("stats url: %w", err)
	}
	return (&url.URL{Scheme: "http", Host: u.Host, Path: "/debug/stats"}).String(), nil
}

// FetchDebugStats GETs the server's /debug/stats.
func FetchDebugStats(ctx context.Context, statsURL string) (DebugStats, error) {
	var d DebugStats
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, statsURL, nil)
	if err != nil {
		return d, fmt.Errorf("debug stats: %w", err)
	}
	resp, err := debugClient.Do(req)
	if err != nil {
		return d, fmt.Errorf("debug stats: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return d, fmt.Errorf("debug stats: read: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return d, fmt.Errorf("debug stats: HTTP %d", resp.StatusCode)
	}
	if err := json.Unmarshal(body, &d); err != nil {
		return d, fmt.Errorf("debug stats: %w", err)
	}
	return d, nil
}
