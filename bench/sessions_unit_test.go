package bench

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/skirmishgg/skirmish/game"
)

func TestJoinRateAndRateHeld(t *testing.T) {
	s := int64(time.Second)
	if got := JoinRate(1001, 5*s, 6*s); got != 1000 {
		t.Errorf("1001 Welcomes over 1 s = %v/s, want 1000", got)
	}
	for _, c := range [][3]int64{{1, s, 2 * s}, {10, 0, s}, {10, 2 * s, 2 * s}} {
		if got := JoinRate(c[0], c[1], c[2]); got != 0 {
			t.Errorf("JoinRate%v = %v, want 0", c, got)
		}
	}
	held, n, fewest := rateHeld([]int64{990, 1000, 960, 700, 980, 300}, 950)
	if held != 3 || n != 2950 || fewest != 700 {
		t.Errorf("rateHeld = %d %d %d, want 3 2950 700", held, n, fewest)
	}
	if held, n, fewest := rateHeld(nil, 950); held != 0 || n != 0 || fewest != -1 {
		t.Errorf("empty: %d %d %d", held, n, fewest)
	}
}

func TestQuickMatchFillAndRoomFill(t *testing.T) {
	for _, c := range []struct {
		n, cap, rooms int
		dist          string
	}{
		{10000, 512, 20, "512×19 272×1"},
		{1024, 512, 2, "512×2"},
		{5, 512, 1, "5×1"},
		{0, 512, 0, "-"},
	} {
		rooms, dist := quickMatchFill(c.n, c.cap)
		if rooms != c.rooms || dist != c.dist {
			t.Errorf("quickMatchFill(%d, %d) = %d %q, want %d %q", c.n, c.cap, rooms, dist, c.rooms, c.dist)
		}
	}
	var listing []game.RoomInfo
	if err := json.Unmarshal([]byte(`[{"id":"a","mode":"movers","players":512,"capacity":512,"tick_rate":30},
		{"id":"b","mode":"movers","players":272,"capacity":512,"tick_rate":30},
		{"id":"c","mode":"arena","players":3,"capacity":16,"tick_rate":30},
		{"id":"d","mode":"movers","players":512,"capacity":512,"tick_rate":30}]`), &listing); err != nil {
		t.Fatal(err)
	}
	n, players, dist := roomFill(listing, "movers")
	if n != 3 || players != 1296 || dist != "512×2 272×1" {
		t.Errorf("roomFill = %d %d %q", n, players, dist)
	}
	if n, _, dist := roomFill(listing, "movers-large"); n != 0 || dist != "-" {
		t.Errorf("no rooms: %d %q", n, dist)
	}
}

// validRoomName is the server's rule for room ids (docs/protocol.md).
func validRoomName(s string) bool {
	if len(s) == 0 || len(s) > 32 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func TestRatioSectionAndCheckJoined(t *testing.T) {
	a, b := NewFigures(), NewFigures()
	a.Set("x", 30.0)
	b.Set("x", 10.0)
	a.Set("y", int64(5))
	b.Set("y", int64(0))
	a.Set("only_a", 1.0)
	r := ratioSection(a, b, []string{"x", "y", "only_a", "missing"})
	if !slices.Equal(r.Keys(), []string{"x"}) || r.Float("x") != 3 {
		t.Errorf("ratios %v x=%v", r.Keys(), r.Float("x"))
	}
	f := NewFigures()
	f.Set("bots", int64(10))
	f.Set("clients_joined", int64(10))
	f.Set("clients_failed", int64(0))
	v := &Verdict{Scenario: "t"}
	checkJoined(v, "a", f, true)
	checkJoined(v, "b", f, false)
	f.Set("clients_joined", int64(9))
	checkJoined(v, "c", f, true)
	if !v.Checks[0].OK || v.Checks[1].OK || v.Checks[2].OK {
		t.Errorf("checks %+v", v.Checks)
	}
}

func TestRoomPrefix(t *testing.T) {
	if roomPrefix("") != "bench-" || roomPrefix("movers") != "bench-" || roomPrefix("movers-large") != "bench-movers-large-" {
		t.Error("room prefixes")
	}
	if got := roomPrefix("movers-large") + "999"; !validRoomName(got) {
		t.Errorf("room %q", got)
	}
}
