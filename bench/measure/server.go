package measure

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/skirmishgg/skirmish/game"
	"github.com/skirmishgg/skirmish/server"
)

// The server's HTTP endpoints the bots read: /debug/stats (server.Stats:
// its counters, to judge what it did) and GET /rooms (the public rooms
// quick-match fills). Both are decoded into the server's own types.

// debugClient keeps no idle connections (and so no lingering goroutines).
var debugClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

// StatsURL is /debug/stats on the admin listener at adminURL
// (http://HOST:PORT/); "" for an empty adminURL.
func StatsURL(adminURL string) (string, error) {
	if adminURL == "" {
		return "", nil
	}
	return endpoint(adminURL, "/debug/stats")
}

// RoomsURL derives http://HOST:PORT/rooms from the ws:// URL.
func RoomsURL(wsURL string) (string, error) { return endpoint(wsURL, "/rooms") }

// endpoint is path on the host of base (a ws:// or http:// URL).
func endpoint(base, path string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("%s url: %w", path, err)
	}
	return (&url.URL{Scheme: "http", Host: u.Host, Path: path}).String(), nil
}

// FetchStats GETs the server's /debug/stats.
func FetchStats(ctx context.Context, statsURL string) (server.Stats, error) {
	var d server.Stats
	err := getJSON(ctx, statsURL, 3*time.Second, 1<<20, &d)
	if err != nil {
		return d, fmt.Errorf("debug stats: %w", err)
	}
	return d, nil
}

// CloseCode is how many connections the server has closed with code.
func CloseCode(d server.Stats, code int) int64 {
	return int64(d.CloseCodes[strconv.Itoa(code)])
}

// FetchRooms GETs the server's public rooms.
func FetchRooms(ctx context.Context, roomsURL string) ([]game.RoomInfo, error) {
	var rooms []game.RoomInfo
	if err := getJSON(ctx, roomsURL, 5*time.Second, 8<<20, &rooms); err != nil {
		return nil, fmt.Errorf("rooms: %w", err)
	}
	return rooms, nil
}

// getJSON GETs u within timeout and decodes at most limit bytes of it
// into v.
func getJSON(ctx context.Context, u string, timeout time.Duration, limit int64, v any) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := debugClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	if err != nil {
		return fmt.Errorf("read: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return json.Unmarshal(body, v)
}
